// A checkpointer that keeps LangGraph's own objects by reference: no serialization, no copies. Not a
// saver anyone should use (a node that mutates state in place changes every checkpoint holding it), but
// what any checkpointer costs at least: LangGraph's own work of creating checkpoints and calling the
// saver. Reads return the latest checkpoint of a thread or the one asked for; list() yields nothing.
import { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

const key = (config) => `${config.configurable.thread_id}\u0000${config.configurable.checkpoint_ns ?? ""}`;

export class ByReferenceSaver extends BaseCheckpointSaver {
  rows = new Map();
  latest = new Map();

  async getTuple(config) {
    const id = config.configurable?.checkpoint_id ?? this.latest.get(key(config));
    const row = id && this.rows.get(`${key(config)}\u0000${id}`);
    if (!row) return undefined;
    const at = (checkpointId) => ({
      configurable: {
        thread_id: config.configurable.thread_id,
        checkpoint_ns: config.configurable.checkpoint_ns ?? "",
        checkpoint_id: checkpointId,
      },
    });
    return {
      config: at(id),
      checkpoint: row.checkpoint,
      metadata: row.metadata,
      parentConfig: row.parent ? at(row.parent) : undefined,
      pendingWrites: row.writes,
    };
  }

  async *list() {}

  async put(config, checkpoint, metadata) {
    this.rows.set(`${key(config)}\u0000${checkpoint.id}`, { checkpoint, metadata, parent: config.configurable.checkpoint_id, writes: [] });
    this.latest.set(key(config), checkpoint.id);
    return {
      configurable: {
        thread_id: config.configurable.thread_id,
        checkpoint_ns: config.configurable.checkpoint_ns ?? "",
        checkpoint_id: checkpoint.id,
      },
    };
  }

  async putWrites(config, writes, taskId) {
    const row = this.rows.get(`${key(config)}\u0000${config.configurable.checkpoint_id}`);
    if (row) for (const [channel, value] of writes) row.writes.push([taskId, channel, value]);
  }

  async deleteThread(threadId) {
    for (const k of [...this.rows.keys()]) if (k.startsWith(`${threadId}\u0000`)) this.rows.delete(k);
    for (const k of [...this.latest.keys()]) if (k.startsWith(`${threadId}\u0000`)) this.latest.delete(k);
  }
}
