import { performance } from "node:perf_hooks";
import type { CheckpointOp, CheckpointOpRecord } from "./records";
import { settle } from "./hooks/settle";
import { type Scope, Scopes } from "./scopes";
import { estimateJsonBytes } from "./state-size";

type Sink = (record: CheckpointOpRecord) => void;
type AnyFn = (...args: unknown[]) => unknown;

interface Serde {
  dumpsTyped(value: unknown): unknown;
  loadsTyped(type: string, data: unknown): unknown;
}

interface ProbedSaver {
  serde?: Serde;
  [method: string]: unknown;
}

interface Probe {
  sinks: Set<Sink>;
  channelSizes: boolean;
  restore(): void;
}

export interface ProbeOptions {
  /** Estimate the JSON size of each channel changed by a `put` (see estimateJsonBytes). Default true. */
  channelSizes?: boolean;
}

const OPS: CheckpointOp[] = ["getTuple", "put", "putWrites", "list"];
const probes = new WeakMap<object, Probe>();

/** One open operation: its record and the probe of the saver it runs on. */
interface OpenOp extends Scope {
  readonly rec: CheckpointOpRecord;
  readonly probe: Probe;
}
const ops = new Scopes<OpenOp>();

/** The record of the operation of `probe`'s saver the running code belongs to, if any. */
function currentRecord(probe: Probe): CheckpointOpRecord | undefined {
  const op = ops.current();
  return op?.probe === probe ? op.rec : undefined;
}

const byteLength = (data: unknown): number =>
  typeof data === "string" ? Buffer.byteLength(data) : ArrayBuffer.isView(data) ? data.byteLength : 0;

function configKeys(config: unknown): { threadId?: string; checkpointNs: string } {
  const c = (config as { configurable?: Record<string, unknown> } | undefined)?.configurable;
  return { threadId: c?.thread_id === undefined ? undefined : String(c.thread_id), checkpointNs: String(c?.checkpoint_ns ?? "") };
}

/** Busy time of overlapping async serde calls within one operation, counted once (a union, not a sum). */
const busy = new WeakMap<CheckpointOpRecord, { dump: number; load: number; dumpSince: number; loadSince: number }>();

function enter(rec: CheckpointOpRecord, kind: "dump" | "load"): void {
  let b = busy.get(rec);
  if (!b) {
    b = { dump: 0, load: 0, dumpSince: 0, loadSince: 0 };
    busy.set(rec, b);
  }
  if (b[kind]++ === 0) b[kind === "dump" ? "dumpSince" : "loadSince"] = performance.now();
}

function leave(rec: CheckpointOpRecord, kind: "dump" | "load"): void {
  const b = busy.get(rec);
  if (!b || --b[kind] > 0) return;
  if (kind === "dump") rec.serializeMs += performance.now() - b.dumpSince;
  else rec.deserializeMs += performance.now() - b.loadSince;
}

let onSerdeWrapped: (wrapper: object, inner: object) => void = () => {};

/**
 * Told of each timing wrapper made around a saver's serde (it encodes exactly as the serde it wraps):
 * patch/profile-hooks.ts registers it with the official layouts' value-bytes cache, which then still
 * splices grown lists while a saver is profiled.
 */
export function setSerdeWrapperListener(listener: (wrapper: object, inner: object) => void): void {
  onSerdeWrapped = listener;
}

function timedSerde(serde: Serde, probe: Probe): Serde {
  const wrapped = Object.create(serde) as Serde;
  const timed = (kind: "dump" | "load", rec: CheckpointOpRecord, call: () => unknown, after?: (out: unknown) => void) => {
    enter(rec, kind);
    let out: unknown;
    try {
      out = call();
    } catch (err) {
      leave(rec, kind);
      throw err;
    }
    const done = (value: unknown) => {
      leave(rec, kind);
      after?.(value);
      return value;
    };
    if (out instanceof Promise)
      return out.then(done, (err) => {
        leave(rec, kind);
        throw err;
      });
    return done(out);
  };
  wrapped.dumpsTyped = (value: unknown) => {
    const rec = currentRecord(probe);
    if (!rec) return serde.dumpsTyped(value);
    return timed(
      "dump",
      rec,
      () => serde.dumpsTyped(value),
      (out) => {
        if (Array.isArray(out)) rec.bytesWritten += byteLength(out[1]);
      },
    );
  };
  onSerdeWrapped(wrapped, serde);
  wrapped.loadsTyped = (type: string, data: unknown) => {
    const rec = currentRecord(probe);
    if (!rec) return serde.loadsTyped(type, data);
    rec.bytesRead += byteLength(data);
    return timed("load", rec, () => serde.loadsTyped(type, data));
  };
  return wrapped;
}

function newRecord(saver: object, op: CheckpointOp, config: unknown): CheckpointOpRecord {
  return {
    op,
    saver: saver.constructor?.name ?? "saver",
    ...configKeys(config),
    start: performance.now(),
    bytesWritten: 0,
    bytesRead: 0,
    serializeMs: 0,
    deserializeMs: 0,
    status: "ok",
  };
}

function emit(probe: Probe, rec: CheckpointOpRecord): void {
  rec.end = performance.now();
  for (const sink of probe.sinks) sink(rec);
}

/**
 * Runs `fn` (a call of the saver's method) as part of the operation `rec`, which is open for the
 * serde until `fn`'s result settles; then `done(failed)`. Gives back `fn`'s value or error.
 */
function inOperation<R>(probe: Probe, rec: CheckpointOpRecord, fn: () => R, done?: (failed: boolean) => void): R {
  const op: OpenOp = { rec, probe, closed: false };
  ops.enter(op);
  return settle(
    () => ops.within(op, fn),
    (_err, failed) => {
      ops.close(op);
      done?.(failed);
    },
  );
}

function wrapMethod(probe: Probe, op: CheckpointOp, own: AnyFn | undefined): AnyFn {
  // Looks the method up at call time, so a prototype patched later (patchLangGraph) is still what runs.
  const target = (self: ProbedSaver): AnyFn => own ?? (Object.getPrototypeOf(self)[op] as AnyFn);
  if (op === "list") {
    return function (this: ProbedSaver, ...args: unknown[]) {
      const rec = newRecord(this, op, args[0]);
      rec.items = 0;
      let finished = false;
      const finish = (status: "ok" | "error") => {
        if (finished) return;
        finished = true;
        rec.status = status;
        emit(probe, rec);
      };
      // Open only while the saver's code runs (each call), so that a listing left unfinished holds nothing open.
      const inner = inOperation(
        probe,
        rec,
        () => target(this).apply(this, args),
        (failed) => failed && finish("error"),
      ) as AsyncIterator<unknown>;
      const gen: AsyncIterableIterator<unknown> = {
        next: async () => {
          try {
            const r = await inOperation(probe, rec, () => inner.next());
            if (r.done) finish("ok");
            else rec.items = (rec.items ?? 0) + 1;
            return r;
          } catch (err) {
            finish("error");
            throw err;
          }
        },
        return: async (value?: unknown) => {
          finish("ok");
          return inner.return ? inner.return(value) : { done: true, value };
        },
        throw: async (err?: unknown) => {
          finish("error");
          if (inner.throw) return inner.throw(err);
          throw err;
        },
        [Symbol.asyncIterator]() {
          return gen;
        },
      };
      return gen;
    };
  }
  return function (this: ProbedSaver, ...args: unknown[]) {
    const rec = newRecord(this, op, args[0]);
    if (op === "putWrites" && typeof args[2] === "string") rec.taskId = args[2];
    if (op === "put") {
      const metadata = args[2] as { step?: number } | undefined;
      rec.step = metadata?.step;
      if (probe.channelSizes) {
        const values = (args[1] as { channel_values?: Record<string, unknown> } | undefined)?.channel_values ?? {};
        const changed = Object.keys((args[3] as object | undefined) ?? values);
        rec.channelBytes = {};
        for (const ch of changed) if (ch in values) rec.channelBytes[ch] = estimateJsonBytes(values[ch]);
      }
    }
    return inOperation(
      probe,
      rec,
      () => target(this).apply(this, args),
      (failed) => {
        if (failed) rec.status = "error";
        emit(probe, rec);
      },
    );
  };
}

/**
 * Times getTuple / put / putWrites / list of one checkpointer instance, whatever its class: the
 * instance gets own methods that call its class's methods (looked up at each call) and report a
 * CheckpointOpRecord to `sink`; its `serde` is replaced by an object that inherits from it and times
 * dumpsTyped / loadsTyped, counting their bytes toward the operation they run in. The class and its
 * prototype are untouched. Probing the same instance again adds a sink. Returns a function that
 * removes the sink, and restores the instance when it was the last.
 */
export function probeCheckpointer(saver: object, sink: Sink, options: ProbeOptions = {}): () => void {
  const target = saver as ProbedSaver;
  let probe = probes.get(saver);
  if (!probe) {
    const owned = OPS.map((op) => ({ op, had: Object.hasOwn(target, op), value: target[op] as AnyFn | undefined }));
    const hadSerde = Object.hasOwn(target, "serde");
    const serde = target.serde;
    const created: Probe = {
      sinks: new Set(),
      channelSizes: options.channelSizes !== false,
      restore() {
        for (const { op, had, value } of owned) {
          if (had) target[op] = value;
          else delete target[op];
        }
        if (serde) {
          if (hadSerde) target.serde = serde;
          else delete target.serde;
        }
      },
    };
    for (const { op, had, value } of owned) {
      if (typeof target[op] !== "function") continue;
      Object.defineProperty(target, op, {
        value: wrapMethod(created, op, had ? value : undefined),
        writable: true,
        configurable: true,
        enumerable: false,
      });
    }
    if (serde && typeof serde.dumpsTyped === "function") target.serde = timedSerde(serde, created);
    probes.set(saver, created);
    probe = created;
  }
  probe.sinks.add(sink);
  const p = probe;
  return () => {
    p.sinks.delete(sink);
    if (p.sinks.size === 0) {
      p.restore();
      probes.delete(saver);
    }
  };
}

/** True when the instance carries a probe. */
export function isProbed(saver: object): boolean {
  return probes.has(saver);
}
