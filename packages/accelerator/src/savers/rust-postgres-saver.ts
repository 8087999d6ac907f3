import type { Checkpoint, SerializerProtocol } from "@langchain/langgraph-checkpoint";
import type { PostgresCheckpointStore } from "@fast-langgraph/native";

import { settleInCheckPhase } from "./check-phase";
import { explainJsonbRefusal } from "./jsonb-refusal";
import { requireNative } from "../native";
import { DecodedLists } from "../checkpoint/decoded-lists";
import { ChannelMemory } from "../checkpoint/channel-memory";
import { type KeyCodec, keyCodec, keyedCalls } from "./key-boundary";
import { NativeCheckpointSaver, type CheckpointStoreCalls, type SaverCacheOptions, byteBound } from "./native-checkpoint-saver";
import { type PostgresConnection, postgresConnectionString } from "./postgres-connection";
import { ValueBytesCache } from "../checkpoint/value-bytes-cache";
import { type PruneOptions, type PruneReport, type RetentionOptions, scheduleRetention, toNativePruneOptions } from "./retention";

/**
 * Official rows key a value by (channel, version). A fork (updateState on an earlier checkpoint) gives
 * a channel the version it already has on the original branch, so with LangGraph's integer versions
 * PostgresSaver keeps the old value and silently drops the fork's. A random fraction keeps versions
 * numeric and ordered (PostgresSaver continues such threads) but unique, as Python's PostgresSaver does.
 */
export function forkSafeNextVersion(current: number | undefined): number {
  return (typeof current === "number" ? Math.floor(current) + 1 : 1) + Math.random();
}

export interface RustPostgresSaverOptions extends SaverCacheOptions {
  /** Serializer for checkpoints, metadata, channel values and writes (default: LangGraph's JsonPlusSerializer). */
  serde?: SerializerProtocol;
  /** Schema holding the tables (default "public"), as PostgresSaver's `schema` option. */
  schema?: string;
  /**
   * "official" (default): the official PostgresSaver's tables and rows, so that saver reads everything
   * written here; each changed channel is stored in full at its new version, as PostgresSaver does.
   * "compact": our tables (prefixed `flg_`): a list that only grew is stored as its new elements, a
   * messages list changed by replacements or removals as that reducer update. Far fewer bytes and
   * faster long threads, but PostgresSaver does not see these threads. Either layout reads both.
   */
  layout?: "official" | "compact";
  /** Connections kept in the pool (default 10). */
  maxConnections?: number;
  /**
   * How long making a connection (TCP, TLS, startup, authentication) may take, in ms (default 5000;
   * 0: no limit, as node-postgres's `connectionTimeoutMillis` 0). Waiting for a free pooled connection is
   * bounded by twice this. A call that cannot get a connection fails with an error naming host:port and
   * database, never the password.
   */
  connectTimeoutMs?: number;
  /**
   * Further attempts when no connection can be made (refused, unreachable, timed out, the server starting
   * up), after 50, 200, 500, 1000 ms and then 2000 ms each (default 0: one attempt per call, as
   * node-postgres makes it; 5 rides out a restart of about 3.7 s). A fault of a connection that was made
   * (closed under the call, a serialization failure) still runs the call again on another connection, at
   * most 5 times; getting that connection is again under this budget.
   */
  connectRetries?: number;
  /**
   * Close a pooled connection idle this long, in ms (default 10000, as node-postgres's
   * `idleTimeoutMillis` that PostgresSaver's pool uses; 0 keeps idle connections open). Idle time
   * counts from when the connection was last handed out; `poolStatus()` shows the setting and how
   * many connections it closed.
   */
  idleTimeoutMs?: number;
  /**
   * How the server compresses large values this saver writes (PostgreSQL's `default_toast_compression`,
   * set on its own connections only): "lz4" (default), "pglz", or "server" (leave the server's setting).
   * Measured with realistic text (benchmarks/saver-postgres.bench.mjs, the 3-node messages loop, official
   * layout): lz4 stores 1.10x PostgresSaver's bytes at 300 steps and 1.08x at 1,000 and is 2.3x / 1.6x
   * faster per step than pglz, which stores 1.01x / 1.00x. Readers, PostgresSaver included, decompress either transparently. A server without lz4
   * (before 14, or built without it) keeps pglz.
   */
  toastCompression?: "lz4" | "pglz" | "server";
  /**
   * Official layout: what a put does with a value that clashes with another stored under the same
   * channel and version (another writer continued the thread from the same parent with the same
   * versions, or a caller chose them). "refuse" (default): nothing is written and the put fails naming
   * the channels, since the checkpoint would read the other value. "keepStored": PostgresSaver's
   * behaviour (its `ON CONFLICT DO NOTHING`): the stored value stays, the checkpoint is stored and
   * reads it; what a patched PostgresSaver does.
   */
  onVersionClash?: "refuse" | "keepStored";
  /** Prune in the background on a schedule (see `prune`); stopped by `end()`. */
  retention?: RetentionOptions;
  /**
   * TLS settings as PEM text, replacing the connection's `sslmode`, `sslrootcert`, `sslcert` and `sslkey`;
   * TLS is then required (no plaintext fallback). `verify`: "full" (default: the chain leads to `ca`, or
   * to the Mozilla roots compiled in when `ca` is absent, and the certificate names the host), "chain"
   * (the chain only) or "none" (encrypted, certificate unchecked). `cert`/`key`: a client certificate and
   * its unencrypted private key, sent when the server asks for one. Errors (unreadable PEM, a certificate
   * without its key) are thrown by the constructor.
   */
  tls?: { ca?: string; cert?: string; key?: string; verify?: "full" | "chain" | "none" };
}

/**
 * A LangGraph checkpointer on PostgreSQL, drop-in for `PostgresSaver`: tokio-postgres with a connection
 * pool in Rust, every query off the JavaScript thread, each put one statement (official layout) or one
 * transaction (compact). Reads and continues threads PostgresSaver wrote in the same database.
 */
export class RustPostgresSaver extends NativeCheckpointSaver {
  readonly layout: "official" | "compact";
  protected readonly label = "RustPostgresSaver";
  protected readonly calls: CheckpointStoreCalls;
  private readonly native: PostgresCheckpointStore;
  private readonly keys: KeyCodec;
  private readonly stopRetention: () => void = () => {};

  /**
   * `connection`: a connection string (`postgresql://user:password@host:5432/db`), or node-postgres style
   * fields (`{ connectionString }` or `{ host, port, user, password, database }`) with the options beside them.
   */
  constructor(connection: string | (PostgresConnection & RustPostgresSaverOptions), options: RustPostgresSaverOptions = {}) {
    options = typeof connection === "string" ? options : { ...connection, ...options };
    super(options.serde);
    if (options.layout !== undefined && options.layout !== "official" && options.layout !== "compact") {
      throw new Error(`RustPostgresSaver: layout must be "official" or "compact", got ${JSON.stringify(options.layout)}`);
    }
    this.layout = options.layout ?? "official";
    if (options.onVersionClash !== undefined && options.onVersionClash !== "refuse" && options.onVersionClash !== "keepStored") {
      throw new Error(`RustPostgresSaver: onVersionClash must be "refuse" or "keepStored", got ${JSON.stringify(options.onVersionClash)}`);
    }
    this.keepStoredOnClash = options.onVersionClash === "keepStored";
    this.native = new (requireNative("RustPostgresSaver").PostgresCheckpointStore)(postgresConnectionString(connection), {
      schema: options.schema,
      maxConnections: options.maxConnections,
      connectTimeoutMs: options.connectTimeoutMs,
      connectRetries: options.connectRetries,
      toastCompression: options.toastCompression,
      idleTimeoutMs: options.idleTimeoutMs,
      tls: options.tls,
    });
    const official = this.layout === "official";
    const channelMemoryBytes = byteBound(this.label, "channelMemoryBytes", options.channelMemoryBytes);
    const valueCacheBytes = byteBound(this.label, "valueCacheBytes", options.valueCacheBytes);
    const store = this.native;
    // Each call's result reaches JavaScript in the check phase of the turn it completed in (see
    // settleInCheckPhase): one step per request per turn of the event loop.
    const later = settleInCheckPhase;
    const calls: CheckpointStoreCalls = {
      put: (req) =>
        later(store.put(req, official)).catch((error: unknown) => {
          throw explainJsonbRefusal(error, this.label, req);
        }),
      putWrites: (req) => later(store.putWrites(req, official)),
      getTuple: (threadId, ns, id) => later(store.getTuple(threadId, ns, id)),
      list: (req) => later(store.list(req)),
      deleteThread: (threadId) => later(store.deleteThread(threadId)),
      deltaChannelHistory: (threadId, ns, id, channels) => later(store.deltaChannelHistory(threadId, ns, id, channels)),
      pendingWrites: (threadId, ns, id) => later(store.pendingWrites(threadId, ns, id)),
    };
    // The official layout is PostgresSaver's tables: keys it would merge (lone surrogates) or cannot
    // store (NUL) are refused there; our compact layout encodes them.
    this.keys = keyCodec(official ? { store: "PostgreSQL", allowNul: false } : "encode", this.label);
    this.calls = keyedCalls(calls, this.keys);
    this.listRule = "postgresSaver";
    if (official) {
      this.storeEmptyValues = true;
      this.storeUnversionedValues = false;
      this.carryRule = "official";
      this.storeIncrements = false;
      // Only to prove, when a parent in our compact layout cannot supply a value, that it is still as given.
      this.memory = new ChannelMemory(channelMemoryBytes);
      this.readRules = { writesOrder: "official", pendingSends: "when-sent", versionDefaults: true };
      this.valueBytes = new ValueBytesCache(() => this.serde, valueCacheBytes);
    } else {
      this.readRules = { writesOrder: "writesSortKey", pendingSends: "when-sent", versionDefaults: true };
      // Rows carry write tokens here (xmin): the memory vouches for a row only with the token it learned.
      this.memory = new ChannelMemory(channelMemoryBytes, true);
    }
    this.decodedLists = new DecodedLists(byteBound(this.label, "decodedListBytes", options.decodedListBytes));
    if (options.retention) {
      this.stopRetention = scheduleRetention((o) => this.prune(o), options.retention, this.label);
    }
  }

  static fromConnString(connString: string, options?: RustPostgresSaverOptions): RustPostgresSaver {
    return new RustPostgresSaver(connString, options);
  }

  /**
   * Creates the schema and tables, running every missing migration in order: the official saver's
   * (recorded in its checkpoint_migrations, so PostgresSaver.setup() finds them done), then ours.
   * Safe to run from several processes at once.
   */
  async setup(): Promise<void> {
    await this.native.setup();
  }

  /** Closes the connection pool; later calls fail with an error saying so. */
  async end(): Promise<void> {
    this.stopRetention();
    this.native.end();
  }

  /**
   * Removes old checkpoints, their pending writes and the values no remaining checkpoint reaches, in
   * both layouts (also rows PostgresSaver wrote), one thread per transaction, off the JavaScript thread.
   * Never removes a namespace's newest checkpoint or anything a thread needs to resume (the rules of
   * `RustSqliteSaver.prune`). Safe with writers in other processes: compact puts take a per-thread
   * advisory lock the prune takes exclusive; official rows are deleted only by key and only while
   * no checkpoint names them (see packages/native/src/postgres/prune.rs). Space is reused by later
   * writes after autovacuum (or `VACUUM`) has run; only `VACUUM FULL` returns it to the file system.
   */
  async prune(options: PruneOptions = {}): Promise<PruneReport> {
    const threadIds = options.threadIds?.map((id) => this.keys.key(String(id), "thread_id"));
    const report = await this.native.prune(toNativePruneOptions({ ...options, threadIds }, `${this.label}.prune`));
    if (options.strategy === "delete") {
      for (const id of options.threadIds ?? []) this.memory?.forgetThread(id);
    }
    return report;
  }

  /**
   * Plain `VACUUM` of the checkpoint tables (both layouts'), so the space `prune` freed is reused by
   * later writes at once instead of after autovacuum; returns their pg_total_relation_size together
   * before and after, in bytes. Safe while others read and write (it never runs `VACUUM FULL`, which
   * locks the tables); the files shrink only by empty pages at their end. Needs table ownership
   * (otherwise the server skips the table with a warning).
   */
  async vacuum(): Promise<{ bytesBefore: number; bytesAfter: number }> {
    return this.native.vacuum();
  }

  /** The schema holding the tables. */
  get schema(): string {
    return this.native.schema;
  }

  get ended(): boolean {
    return this.native.ended;
  }

  /**
   * Connections in the pool: open (`size`), idle (`available`), callers waiting, the bound, the idle
   * timeout in ms (0: none), how many connections it has closed, the connect timeout in ms (0: none)
   * and the further connect attempts a call makes.
   */
  poolStatus(): {
    size: number;
    available: number;
    waiting: number;
    maxSize: number;
    idleTimeoutMs: number;
    idleClosed: number;
    connectTimeoutMs: number;
    connectRetries: number;
  } {
    return this.native.poolStatus();
  }

  getNextVersion(current: number | undefined): number {
    return this.layout === "official" ? forkSafeNextVersion(current) : super.getNextVersion(current);
  }

  /** PostgresSaver stores the checkpoint without a channel_values key; so does the official layout. */
  protected checkpointHead(checkpoint: Checkpoint): object {
    if (this.layout !== "official") return super.checkpointHead(checkpoint);
    const { channel_values: _values, ...head } = checkpoint;
    return head;
  }
}
