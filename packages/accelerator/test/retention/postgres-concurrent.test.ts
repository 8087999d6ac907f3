import { spawn } from "node:child_process";
import path from "node:path";

import type { BaseCheckpointSaver, CheckpointTuple } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

import { type PruneOptions, type PruneReport, RustPostgresSaver, prunePostgresSaver } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

const writer = path.join(__dirname, "fixtures", "pg-writer.cjs");
const STEPS = 150;
const entry = (step: number) => `entry ${step} `.repeat(20);

/**
 * A checkpoint of the writer's thread holds exactly the log its step wrote, and its pending write once
 * the writer is done (while it runs, the newest may be read between its put and its putWrites).
 */
function expectWhole(tuple: CheckpointTuple | undefined, step?: number, writesDone = true) {
  const values = tuple?.checkpoint.channel_values as { step: number; log: string[] };
  if (step !== undefined) expect(values.step).toBe(step);
  expect(values.log).toEqual(Array.from({ length: values.step + 1 }, (_, i) => entry(i)));
  if (writesDone) expect(tuple?.pendingWrites?.map(([, channel, value]) => [channel, value])).toEqual([["step", values.step + 1]]);
}

describe.each(["compact", "official", "PostgresSaver"] as const)("pruning while another process writes (%s)", (kind) => {
  it("the writer never fails, every checkpoint read meanwhile is whole, and the newest ones stay", async () => {
    const schema = freshSchema("concurrent");
    let reader: BaseCheckpointSaver;
    let prune: (o: PruneOptions) => Promise<PruneReport>;
    let end: () => Promise<void>;
    if (kind === "PostgresSaver") {
      const saver = PostgresSaver.fromConnString(postgresUrl(), { schema });
      await saver.setup();
      [reader, prune, end] = [saver, (o) => prunePostgresSaver(saver, o), () => saver.end()];
    } else {
      const saver = new RustPostgresSaver(postgresUrl(), { schema, layout: kind });
      await saver.setup();
      [reader, prune, end] = [saver, (o) => saver.prune(o), () => saver.end()];
    }
    const child = spawn(process.execPath, [writer, postgresUrl(), schema, kind, "w", String(STEPS)], { stdio: ["ignore", "pipe", "pipe"] });
    const resolved: Array<[string, number]> = [];
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) resolved.push(line.split(" ").map((x, i) => (i ? Number(x) : x)) as [string, number]);
    });
    let running = true;
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => {
        running = false;
        resolve(code);
      }),
    );

    const config = { configurable: { thread_id: "w", checkpoint_ns: "" } };
    let pruned = 0;
    let prunes = 0;
    let reads = 0;
    try {
      while (running) {
        pruned += (await prune({ keepLast: 3 })).checkpoints;
        prunes += 1;
        const latest = await reader.getTuple(config);
        if (latest) {
          expectWhole(latest, undefined, false);
          reads += 1;
        }
      }
      expect(await exited).toBe(0);
      expect(stderr).toBe("");
      expect(resolved).toHaveLength(STEPS);
      expect(prunes).toBeGreaterThan(5);
      expect(pruned).toBeGreaterThan(0);
      expect(reads).toBeGreaterThan(0);

      // The writer's newest checkpoint, and the two before it, read back whole.
      const kept: CheckpointTuple[] = [];
      for await (const t of reader.list(config)) kept.push(t);
      const last = resolved.slice(-3).reverse();
      expect(kept.slice(0, 3).map((t) => t.config.configurable?.checkpoint_id)).toEqual(last.map(([id]) => id));
      for (const [i, t] of kept.slice(0, 3).entries()) expectWhole(t, last[i][1]);
      // Whatever else is still stored is whole too; one more prune leaves exactly three.
      for (const t of kept) expectWhole(t);
      await prune({ keepLast: 3 });
      const final: CheckpointTuple[] = [];
      for await (const t of reader.list(config)) final.push(t);
      expect(final.map((t) => t.config.configurable?.checkpoint_id)).toEqual(last.map(([id]) => id));
    } finally {
      child.kill("SIGKILL");
      await end();
      await dropSchema(schema);
    }
  });
});
