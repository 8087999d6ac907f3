import { type BaseCheckpointSaver, JsonPlusSerializer } from "@langchain/langgraph-checkpoint";

import { type CallTracker, type DelegatedMethod, delegatingSaverMethods } from "./delegating-methods";
import { type RustConnection, rustConnectionOf } from "./pg-connection";
import { followPoolEnds, restorePoolEnds } from "./pg-pool-end";
import type { PgConnectionParameters } from "./postgres-tls";
import { RustPostgresSaver, forkSafeNextVersion } from "../savers/rust-postgres-saver";

/** What a `@langchain/langgraph-checkpoint-postgres` PostgresSaver exposes that we rely on. */
type PostgresSaverInstance = BaseCheckpointSaver & {
  pool?: PgPool & { ending?: boolean; ended?: boolean };
  options?: { schema?: string };
};

type Method = (...args: never[]) => unknown;
type SaverMethods = Record<DelegatedMethod | "getNextVersion" | "end", Method>;

/** Why an instance keeps PostgresSaver's own code, for getPatchStatus(). */
export interface PostgresFallback {
  schema: string;
  reason: string;
}

/**
 * LangGraph's PostgresSaver on the Rust PostgreSQL engine, writing PostgresSaver's own tables and rows
 * (RustPostgresSaver's official layout) in the same database and schema, so PostgresSaver (patched or
 * not, in this process or another) reads everything. An instance whose connection the Rust client
 * cannot make the same way (TLS, a password callback) or whose first setup fails keeps its own code.
 */
let decided = new WeakMap<object, RustPostgresSaver | null>();
/** The saver's serde when its store was decided: a serde replaced since has a store of its own. */
let decidedSerde = new WeakMap<object, unknown>();
/**
 * One Rust saver per node-postgres pool, schema and serializer, shared by every PostgresSaver made on
 * that pool (apps that make a saver per request on one pool must not open a Rust pool per request).
 */
let shared = new WeakMap<object, Map<string, Promise<RustPostgresSaver | null>>>();
const open = new Set<RustPostgresSaver>();
/** Pools ended through a patched saver: their savers fail as node-postgres makes them fail. */
let endedPools = new WeakSet<object>();
const serdeIds = new WeakMap<object, number>();
let serdeCount = 0;
export const postgresFallbacks: PostgresFallback[] = [];
/** What connectionOfPool found per pool (it builds a pg client and may read certificate files). */
let connections = new WeakMap<object, RustConnection | string>();

/** A node-postgres pool as PostgresSaver holds it. */
export interface PgPool {
  options?: Record<string, unknown>;
  Client?: new (options: Record<string, unknown>) => { connectionParameters?: PgConnectionParameters; connection?: unknown };
}

/**
 * The node-postgres pool's connection, if the Rust client makes the same one (same host, user and
 * database, same TLS verification and certificates); else why not. pg itself resolves the settings:
 * a client of the pool's own class is built (never connected) and its `connectionParameters` read.
 */
export function connectionOfPool(pool: PgPool | undefined): RustConnection | string {
  if (!pool) return "it has no pool";
  let known = connections.get(pool);
  if (known === undefined) {
    known = readConnection(pool);
    connections.set(pool, known);
  }
  return known;
}

/** The pool events whose listeners run code on a connection before PostgresSaver's queries use it. */
const SESSION_EVENTS = ["connect", "acquire"] as const;

/**
 * Why the pool's sessions are set up by code the Rust client's connections would not run (a `connect`
 * or `acquire` listener that sets a role or settings, a Client class or Pool subclass of the app's own),
 * or undefined. Checked on every call: listeners can be added at any time.
 */
export function sessionSetupOf(pool: PgPool): string | undefined {
  const emitter = pool as PgPool & { listenerCount?: (event: string) => number };
  for (const event of SESSION_EVENTS) {
    if ((emitter.listenerCount?.(event) ?? 0) > 0)
      return `its pool runs code on each connection ('${event}' listeners), which the Rust client's connections would not run`;
  }
  return undefined;
}

/** Whether `pool` is node-postgres's own `pg.Pool`, not a subclass or a wrapper that could change its sessions. */
function isPgOwnPool(pool: PgPool): boolean {
  const proto = Object.getPrototypeOf(pool) as { constructor?: { name?: string } } | null;
  if (proto?.constructor?.name !== "BoundPool") return false;
  if (Object.hasOwn(pool, "connect") || Object.hasOwn(pool, "query") || Object.hasOwn(proto, "connect")) return false;
  const base = Object.getPrototypeOf(proto) as Record<string, unknown> | null;
  return Boolean(base && Object.hasOwn(base, "connect") && (pool as unknown as Record<string, unknown>).connect === base.connect);
}

function readConnection(pool: PgPool): RustConnection | string {
  const options = pool.options;
  if (!options) return "its pool exposes no connection options";
  if (options.Client !== undefined) return "its pool makes its connections with a Client class of its own (options.Client)";
  if (!isPgOwnPool(pool)) return "its pool is not node-postgres's own Pool (a subclass or a wrapper may set up its sessions)";
  if (typeof options.password === "function") return "its pool takes the password from a callback";
  if (typeof pool.Client !== "function") return "its pool has no node-postgres Client class to read the settings from";
  // Checked before a client is built: pg's Connection calls a stream factory on construction.
  if (options.stream !== undefined) return "its pool connects through its own stream factory";
  let params: PgConnectionParameters | undefined;
  try {
    const client = new pool.Client(options);
    // pg-native's client talks through libpq, whose TLS rules differ from pg's JavaScript client.
    if (client.connection === undefined) return "its pool uses a client other than pg's JavaScript client (pg-native?)";
    params = client.connectionParameters;
  } catch (error) {
    return `node-postgres cannot read its settings: ${(error as Error).message}`;
  }
  if (!params) return "its pool's client exposes no connection parameters";
  return rustConnectionOf(options, params);
}

/**
 * LangGraph's default serializer is stateless: savers with their own instances of it can share a store.
 * Only instances with nothing of their own (a method set on the instance, a spy) are alike; any other
 * serde has a store of its own. A replaced prototype method is the same for every instance.
 */
function serdeKey(serde: object): string {
  if (Object.getPrototypeOf(serde) === JsonPlusSerializer.prototype && Reflect.ownKeys(serde).length === 0) return "default";
  if (!serdeIds.has(serde)) serdeIds.set(serde, ++serdeCount);
  return `custom-${serdeIds.get(serde)}`;
}

/**
 * Connects once through the node-postgres pool itself (the connection is closed, not pooled), so a
 * server that is down fails the first call with pg's own error after pg's own single attempt, as the
 * unpatched saver's first query would; resolves when the server answers.
 */
async function reachThroughPg(pool: PgPool): Promise<void> {
  const client = await (pool as unknown as { connect(): Promise<{ release(destroy?: boolean): void }> }).connect();
  client.release(true);
}

/** A Rust saver for the pool's connection, set up; rejects with the reason it cannot be used. */
async function startStore({ connection, tls }: RustConnection, schema: string, saver: PostgresSaverInstance): Promise<RustPostgresSaver> {
  // A connection string node-postgres accepts may hold parameters the Rust client does not know.
  const maxConnections = Number(saver.pool?.options?.max ?? 10);
  // node-postgres closes idle connections after idleTimeoutMillis (10000 by default; 0: never).
  const idleTimeoutMs = Number(saver.pool?.options?.idleTimeoutMillis ?? 10000);
  // ... and gives up connecting after connectionTimeoutMillis (0 by default: no limit), making one
  // attempt per call.
  const connectTimeoutMs = Number(saver.pool?.options?.connectionTimeoutMillis ?? 0) || 0;
  const store = new RustPostgresSaver(connection, {
    schema,
    serde: saver.serde,
    maxConnections,
    idleTimeoutMs,
    connectTimeoutMs,
    connectRetries: 0,
    tls,
    // A value clashing with another under the same version: PostgresSaver keeps the stored one.
    onVersionClash: "keepStored",
  });
  try {
    await store.setup();
  } catch (error) {
    await store.end();
    throw new Error(`the Rust client could not set up schema "${schema}": ${(error as Error).message}`);
  }
  open.add(store);
  return store;
}

/**
 * A pool whose Rust setup failed (the server unreachable at start-up, say) keeps its own code for this
 * long, then its next call tries the Rust client again; a reason of configuration (TLS, callbacks) is for good.
 */
export const setupRetry = { afterMs: 30_000 };
const failedSetups = new WeakSet<Promise<RustPostgresSaver | null>>();
/** Savers on their own code until a failed setup is tried again. */
let retrying = new WeakSet<object>();

function noteFallback(schema: string, reason: string): void {
  const last = postgresFallbacks.filter((f) => f.schema === schema).pop();
  if (last?.reason !== reason) postgresFallbacks.push({ schema, reason });
}

function sharedStore(saver: PostgresSaverInstance, schema: string): Promise<RustPostgresSaver | null> {
  const pool = saver.pool as object;
  const key = `${schema}\u0000${serdeKey(saver.serde)}`;
  let byKey = shared.get(pool);
  if (!byKey) {
    byKey = new Map();
    shared.set(pool, byKey);
  }
  let pending = byKey.get(key);
  if (pending === undefined) {
    const connection = connectionOfPool(saver.pool as PgPool);
    const fallBack = (reason: string) => {
      noteFallback(schema, reason);
      return null;
    };
    if (typeof connection === "string") {
      pending = Promise.resolve(fallBack(connection));
    } else {
      followPoolEnds(pool, (ended) => void endStoresOf(ended));
      const forgetLater = () => {
        const forget = setTimeout(() => {
          if (byKey?.get(key) === tried) byKey.delete(key);
        }, setupRetry.afterMs);
        forget.unref();
      };
      const tried: Promise<RustPostgresSaver | null> = reachThroughPg(saver.pool as PgPool).then(
        () =>
          startStore(connection, schema, saver).catch((error: Error) => {
            forgetLater();
            return fallBack(error.message);
          }),
        // pg could not connect: the calls waiting for this decision fail with pg's error, as they would
        // unpatched (their first step is the same connect), without a second attempt by pg's own code.
        // The next call connects through pg again, as an unpatched call would (hostile review round 6,
        // finding 5: a remembered failure failed every call for 30 s after the server came back).
        (error: Error) => {
          if (byKey?.get(key) === tried) byKey.delete(key);
          fallBack(`node-postgres could not connect when first used: ${error?.message ?? error}`);
          throw error;
        },
      );
      failedSetups.add(tried);
      pending = tried;
    }
    byKey.set(key, pending);
  }
  return pending;
}

/**
 * Ends the Rust savers mirroring `pool`, for every schema: its node-postgres pool was ended (by
 * `pool.end()` or a saver's `end()`), so its savers fail from then on as node-postgres makes them fail.
 */
async function endStoresOf(pool: object): Promise<void> {
  const byPool = shared.get(pool);
  shared.delete(pool);
  endedPools.add(pool);
  for (const pending of byPool?.values() ?? []) {
    // A pool pg could not reach has no Rust saver (its calls got pg's error).
    const store = await pending.catch(() => null);
    if (store) {
      open.delete(store);
      await store.end();
    }
  }
}

function decide(saver: PostgresSaverInstance): RustPostgresSaver | null | Promise<RustPostgresSaver | null> {
  if (!saver.pool || endedPools.has(saver.pool)) return null;
  if (saver.pool.ending || saver.pool.ended) {
    void endStoresOf(saver.pool);
    return null;
  }
  const hooks = sessionSetupOf(saver.pool);
  if (hooks !== undefined) {
    noteFallback(saver.options?.schema ?? "public", hooks);
    return null;
  }
  const known = decided.get(saver);
  if (known !== undefined) {
    if (known === null || decidedSerde.get(saver) === saver.serde) return known;
    decided.delete(saver);
  }
  const serde = saver.serde;
  const pending = sharedStore(saver, saver.options?.schema ?? "public");
  if (!decided.has(saver))
    pending.then(
      (store) => {
        // A failed setup is decided again later (setupRetry), so this instance does not keep null for good.
        if (store || !failedSetups.has(pending)) {
          decided.set(saver, store);
          decidedSerde.set(saver, serde);
          retrying.delete(saver);
        } else retrying.add(saver);
      },
      () => retrying.add(saver),
    );
  return pending;
}

/** Calls in flight per Rust saver, and the savers to end once theirs have settled (unpatchLangGraph). */
const inFlight = new Map<object, number>();
const endWhenIdle = new Set<object>();
const calls: CallTracker = {
  begin(store) {
    inFlight.set(store, (inFlight.get(store) ?? 0) + 1);
  },
  end(store) {
    const left = (inFlight.get(store) ?? 1) - 1;
    if (left > 0) {
      inFlight.set(store, left);
      return;
    }
    inFlight.delete(store);
    if (endWhenIdle.delete(store)) void (store as RustPostgresSaver).end();
  },
};

/** The methods installed on PostgresSaver.prototype while patched; `originals` serve instances that keep their code. */
export function acceleratedPostgresSaverMethods(originals: SaverMethods) {
  return {
    ...delegatingSaverMethods<PostgresSaverInstance>(decide, originals, calls),
    // Versions unique per fork (see RustPostgresSaver.getNextVersion) once the instance is accelerated:
    // with PostgresSaver's integer versions a fork's edit would clash with the original branch's value.
    getNextVersion(this: PostgresSaverInstance, current: number | undefined): number {
      // Once accelerated, the fork-safe versions stay, even for calls a session hook added later sends to
      // PostgresSaver's own code (both read either kind).
      const keepsItsCode =
        decided.get(this) === null ||
        (decided.get(this) === undefined && (retrying.has(this) || (this.pool !== undefined && sessionSetupOf(this.pool) !== undefined))) ||
        typeof connectionOfPool(this.pool as PgPool) === "string";
      if (keepsItsCode) return (originals.getNextVersion as unknown as (c: number | undefined) => number).call(this, current);
      return forkSafeNextVersion(current);
    },
    // Ending the node-postgres pool ends the Rust savers that mirror it, for every schema.
    async end(this: PostgresSaverInstance): Promise<void> {
      if (this.pool) await endStoresOf(this.pool);
      await (originals.end as unknown as () => Promise<void>).call(this);
    },
  };
}

/** Ends the Rust pools; the database holds nothing PostgresSaver cannot read. */
export function restorePostgresSavers(): number {
  const count = open.size;
  // Calls already made finish on their Rust saver (hostile review round 6, finding 8: they failed with
  // "the saver has been ended"); new calls run PostgresSaver's own code from now on.
  for (const store of open) {
    if (inFlight.has(store)) endWhenIdle.add(store);
    else void store.end();
  }
  open.clear();
  restorePoolEnds();
  decided = new WeakMap();
  decidedSerde = new WeakMap();
  retrying = new WeakSet();
  shared = new WeakMap();
  endedPools = new WeakSet();
  connections = new WeakMap();
  postgresFallbacks.length = 0;
  return count;
}

export function isAcceleratedPostgresSaver(saver: object): boolean {
  return Boolean(decided.get(saver));
}

/** The Rust saver a patched PostgresSaver runs on, once its first call has decided. */
export function rustSaverOf(saver: object): RustPostgresSaver | undefined {
  return decided.get(saver) ?? undefined;
}
