import type { RunnableConfig } from "@langchain/core/runnables";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import type {
  ChannelVersions,
  Checkpoint,
  CheckpointListOptions,
  CheckpointMetadata,
  CheckpointTuple,
  PendingWrite,
} from "@langchain/langgraph-checkpoint";
import type { BaseMessage } from "@langchain/core/messages";
import fc from "fast-check";

import { canonical, canonicalJson, firstDifference, inWritesSortKeyOrder } from "./canonical";
import { within } from "./fuzz-settings";
import type { SaverSetup, SaverVariant } from "./saver-variants";
import { Rng, messageId, mutateInPlace, newMessage, plainObject, scalar, text } from "./values";

/**
 * What a command may exercise. A variant's KNOWN_FAULTS entries switch features off for that variant
 * only (the generator then never produces them), so removing an entry re-enables them.
 */
export type Feature =
  | "retriedPut"
  | "forkFromOlder"
  | "parentMissing"
  | "unversionedValues"
  | "clearedChannel"
  | "mutateAfterPut"
  | "mutateWhilePending"
  | "mutateReadResults"
  | "duplicateSpecialWrites"
  | "mixedSpecialBatch"
  | "loneSurrogateKeys"
  | "loneSurrogateMetadata"
  | "numericThreadIds"
  | "oddListLimit"
  | "listCheckpointId"
  | "listBefore"
  | "listFilter"
  | "getTupleConfigShape"
  | "deleteThread"
  | "prune"
  | "concurrentCalls"
  | "deltaChannelHistory";

export const ALL_FEATURES: Feature[] = [
  "retriedPut",
  "forkFromOlder",
  "parentMissing",
  "unversionedValues",
  "clearedChannel",
  "mutateAfterPut",
  "mutateWhilePending",
  "mutateReadResults",
  "duplicateSpecialWrites",
  "mixedSpecialBatch",
  "loneSurrogateKeys",
  "loneSurrogateMetadata",
  "numericThreadIds",
  "oddListLimit",
  "listCheckpointId",
  "listBefore",
  "listFilter",
  "getTupleConfigShape",
  "deleteThread",
  "prune",
  "concurrentCalls",
  "deltaChannelHistory",
];

export interface KnownFault {
  variant: string;
  feature: Feature;
  /** The issue 11 case (or FOUND.md entry) that explains it. */
  issueCase: string;
}

const SPECIAL = ["__interrupt__", "__resume__", "__error__", "__scheduled__"];
const NORMAL_WRITE_CHANNELS = ["messages", "items", "obj", "branch:to:next"];
const VALUE_CHANNELS = ["messages", "items", "obj", "text", "count"];
/** Task ids whose code-point order differs from their task paths' order, so both orders are observable. */
export const TASK_PATHS: Record<string, string> = { a1: "~__pregel_push, 2", b2: "", c3: "~__pregel_pull, alpha" };
const NAMESPACES = ["", "child:1", "child:1|inner:2"];

interface PutRecord {
  thread: string;
  ns: string;
  config: RunnableConfig;
  checkpoint: Checkpoint;
  metadata: CheckpointMetadata;
  newVersions: ChannelVersions;
  parentId?: string;
  /** The named values as they were serialized, to tell whether a retry would carry other bytes. */
  fingerprint: string;
}

const key = (...parts: string[]) => JSON.stringify(parts);

/** The bookkeeping of one run: what was put, so commands can pick heads, older checkpoints and writes. */
export class CheckpointerModel {
  readonly records = new Map<string, PutRecord>();
  /** Every put ever made, including ones whose thread was deleted since (a retry may recreate it). */
  readonly history: PutRecord[] = [];
  readonly withWrites = new Set<string>();
  private readonly versions = new Map<string, number>();
  private idCounter = 0;

  constructor(
    readonly variant: SaverVariant,
    readonly enabled: Set<Feature>,
  ) {}

  threads(): string[] {
    const pool = ["t1", "t2"];
    if (this.enabled.has("numericThreadIds")) pool.push("7", "10");
    if (this.enabled.has("loneSurrogateKeys") && this.variant.loneSurrogateKeys) pool.push("user-\ud83c", "user-\ud83d");
    return pool;
  }

  nextId(): string {
    this.idCounter += 1;
    return `00000000-0000-6000-8000-${this.idCounter.toString(16).padStart(12, "0")}`;
  }

  ts(): string {
    return new Date(Date.UTC(2026, 0, 1) + this.idCounter * 1000).toISOString();
  }

  nextVersion(thread: string, ns: string, channel: string): number {
    const k = key(thread, ns, channel);
    const v = (this.versions.get(k) ?? 0) + 1;
    this.versions.set(k, v);
    return v;
  }

  of(thread: string, ns: string): PutRecord[] {
    return [...this.records.values()]
      .filter((r) => r.thread === thread && r.ns === ns)
      .sort((a, b) => cmp(a.checkpoint.id, b.checkpoint.id));
  }

  head(thread: string, ns: string): PutRecord | undefined {
    return this.of(thread, ns).at(-1);
  }

  places(): Array<[string, string]> {
    const seen = new Map<string, [string, string]>();
    for (const r of this.records.values()) seen.set(key(r.thread, r.ns), [r.thread, r.ns]);
    return [...seen.values()];
  }

  record(r: PutRecord): void {
    this.records.set(key(r.thread, r.ns, r.checkpoint.id), r);
    this.history.push(r);
  }

  forgetThread(thread: string): void {
    for (const [k, r] of this.records) if (r.thread === thread) this.records.delete(k);
    for (const k of this.withWrites) if (JSON.parse(k)[0] === thread) this.withWrites.delete(k);
  }

  forget(thread: string, ns: string, id: string): void {
    this.records.delete(key(thread, ns, id));
    this.withWrites.delete(key(thread, ns, id));
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The real side of a run: the variant, its reference(s), and a trace of what was done. */
export interface Real {
  setup: SaverSetup;
  variant: SaverVariant;
  trace: string[];
}

const TIMEOUT_MS = 15_000;

function fail(real: Real, message: string): never {
  throw new Error(
    `${real.variant.name} vs ${real.variant.referenceName}: ${message}\n  trace of this run:\n    ${real.trace.join("\n    ")}`,
  );
}

function refConfig(real: Real, config: RunnableConfig): RunnableConfig {
  const c = config.configurable ?? {};
  if (typeof c.thread_id !== "string") return config;
  return { ...config, configurable: { ...c, thread_id: real.setup.referenceThread(c.thread_id) } };
}

/** The reference's tuple as the variant must give it: thread ids unmapped, pending writes in the variant's promised order. */
function expectedTuple(real: Real, tuple: CheckpointTuple | undefined): CheckpointTuple | undefined {
  if (!tuple) return tuple;
  const unmap = (c?: RunnableConfig) =>
    c?.configurable?.thread_id === undefined
      ? c
      : { ...c, configurable: { ...c.configurable, thread_id: real.setup.threadFromReference(String(c.configurable.thread_id)) } };
  return {
    ...tuple,
    config: unmap(tuple.config) as RunnableConfig,
    parentConfig: unmap(tuple.parentConfig),
    pendingWrites:
      real.variant.writesOrder === "writesSortKey"
        ? inWritesSortKeyOrder(tuple.pendingWrites, (t) => TASK_PATHS[t] ?? "")
        : tuple.pendingWrites,
  };
}

function same(real: Real, label: string, actual: unknown, expected: unknown): void {
  const d = firstDifference(canonical(actual), canonical(expected));
  if (d) fail(real, `${label} differs: ${d} (variant vs reference)`);
}

async function settle<T>(p: Promise<T>, what: string): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  try {
    return { ok: true, value: await within(p, TIMEOUT_MS, what) };
  } catch (error) {
    if ((error as Error).message.includes("did not settle")) throw error;
    return { ok: false, error: error as Error };
  }
}

async function collect(gen: AsyncGenerator<CheckpointTuple>): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of gen) out.push(t);
  return out;
}

/**
 * A write both sides must accept: where the reference fails the variant must fail too (and vice
 * versa), since the stores would otherwise diverge.
 */
async function writeBoth(
  real: Real,
  what: string,
  onReference: () => Promise<unknown>,
  onVariant: () => Promise<unknown>,
): Promise<boolean> {
  // The reference is called first and both are called before either is awaited: each must have taken
  // what it needs from the arguments synchronously, as LangGraph goes on mutating state while a put is pending.
  const r = settle(onReference(), `reference ${what}`);
  const v = settle(onVariant(), `variant ${what}`);
  const [rr, vr] = await Promise.all([r, v]);
  if (rr.ok !== vr.ok) {
    fail(
      real,
      `${what}: reference ${rr.ok ? "succeeded" : `failed (${(rr as { error: Error }).error.message})`}, variant ${vr.ok ? "succeeded" : `failed (${(vr as { error: Error }).error.message})`}`,
    );
  }
  return rr.ok;
}

async function compareGetTuple(
  real: Real,
  label: string,
  config: RunnableConfig,
): Promise<[CheckpointTuple | undefined, CheckpointTuple | undefined]> {
  const r = await settle(real.setup.reference.getTuple(refConfig(real, config)), `reference getTuple`);
  const v = await settle(real.setup.variant.getTuple(config), `variant getTuple`);
  if (!r.ok) return [undefined, undefined]; // code that fails unpatched: not compared
  if (!v.ok) fail(real, `${label}: variant failed (${v.error.message}) where the reference returned a tuple`);
  same(real, label, v.value, expectedTuple(real, r.value));
  return [v.value, r.value];
}

// ---------------------------------------------------------------------------------------------------
// Building checkpoints the way LangGraph does: channel values carried by reference from the parent,
// changed channels get a new value object and the next version, newVersions names exactly those.

function newValue(rng: Rng, real: Real, channel: string, old: unknown): [unknown, string] {
  const limits = real.variant.limits;
  switch (channel) {
    case "messages": {
      const list = Array.isArray(old) ? (old as BaseMessage[]) : [];
      const op = list.length === 0 ? 0 : rng.int(10);
      if (op < 6) {
        const added = Array.from({ length: 1 + rng.int(2) }, () => newMessage(rng, limits));
        return [[...list, ...added], `append ${added.map((m) => `${m.getType()} ${m.id}`).join(", ")}`];
      }
      const target = rng.pick(list);
      if (op < 8) {
        const replacement = newMessage(rng, limits, target.id);
        return [list.map((m) => (m === target ? replacement : m)), `replace ${target.id} by id`];
      }
      if (op < 9) return [list.filter((m) => m !== target), `remove ${target.id}`];
      return [[newMessage(rng, limits)], "replace whole list"];
    }
    case "items": {
      const list = Array.isArray(old) ? old : [];
      if (list.length > 0 && rng.chance(0.3)) return [[plainObject(rng, limits)], "new list"];
      return [[...list, plainObject(rng, limits)], "append item"];
    }
    case "obj":
      return [plainObject(rng, limits), "new object"];
    case "text":
      return [text(rng, limits), "new text"];
    default:
      return [rng.int(1000) - 500, "new number"];
  }
}

interface Built {
  checkpoint: Checkpoint;
  newVersions: ChannelVersions;
  changes: string[];
}

function buildCheckpoint(
  rng: Rng,
  real: Real,
  model: CheckpointerModel,
  thread: string,
  ns: string,
  base: Checkpoint | undefined,
  nameChanges: boolean,
): Built {
  const values: Record<string, unknown> = { ...(base?.channel_values ?? {}) };
  const versions: ChannelVersions = { ...(base?.channel_versions ?? {}) };
  const newVersions: ChannelVersions = {};
  const changes: string[] = [];
  const count = base ? 1 + rng.int(3) : 1 + rng.int(VALUE_CHANNELS.length);
  const channels = [...VALUE_CHANNELS].sort(() => rng.next() - 0.5).slice(0, count);
  for (const ch of channels) {
    if (base && model.enabled.has("clearedChannel") && rng.chance(0.05) && ch in values) {
      delete values[ch];
      changes.push(`${ch}: cleared`);
    } else {
      const [v, what] = newValue(rng, real, ch, values[ch]);
      values[ch] = v;
      changes.push(`${ch}: ${what}`);
    }
    versions[ch] = model.nextVersion(thread, ns, ch);
    if (nameChanges) newVersions[ch] = versions[ch];
  }
  if (model.enabled.has("unversionedValues") && rng.chance(0.3)) {
    if ("__pregel_tasks" in values && rng.chance(0.5)) delete values.__pregel_tasks;
    else values.__pregel_tasks = [];
    changes.push(`__pregel_tasks (unversioned): ${"__pregel_tasks" in values ? "[]" : "absent"}`);
  }
  const node = rng.pick(["agent", "tools", "__input__"]);
  const checkpoint: Checkpoint = {
    v: 4,
    id: model.nextId(),
    ts: model.ts(),
    channel_values: values,
    channel_versions: versions,
    versions_seen: { ...(base?.versions_seen ?? {}), [node]: Object.fromEntries(Object.entries(newVersions).slice(0, 2)) },
  };
  return { checkpoint, newVersions, changes };
}

function metadataFor(rng: Rng, real: Real, model: CheckpointerModel, step: number): CheckpointMetadata {
  const metadata: Record<string, unknown> = { source: rng.pick(["input", "loop", "update", "fork"]), step, parents: {} };
  const limits = {
    ...real.variant.limits,
    loneSurrogates: real.variant.limits.loneSurrogates && model.enabled.has("loneSurrogateMetadata"),
  };
  if (rng.chance(0.3)) metadata.user = rng.pick(["alice", "bob", text(rng, limits)]);
  if (rng.chance(0.2)) metadata.writes = { agent: { messages: [rng.int(5)] } };
  return metadata as CheckpointMetadata;
}

function putConfig(rng: Rng, thread: string, ns: string, parentId: string | undefined): RunnableConfig {
  const configurable: Record<string, unknown> = { thread_id: thread, checkpoint_ns: ns };
  if (ns === "" && rng.chance(0.3)) delete configurable.checkpoint_ns;
  if (parentId !== undefined) configurable.checkpoint_id = parentId;
  return { configurable };
}

function fingerprint(checkpoint: Checkpoint, newVersions: ChannelVersions): string {
  return canonicalJson(Object.keys(newVersions).map((c) => checkpoint.channel_values[c]));
}

async function doPut(
  real: Real,
  model: CheckpointerModel,
  r: Omit<PutRecord, "fingerprint">,
  label: string,
  pendingMutation?: () => string | undefined,
): Promise<void> {
  const before = canonicalJson(r.checkpoint);
  const { config, checkpoint, metadata, newVersions } = r;
  const rp = settle(real.setup.reference.put(refConfig(real, config), checkpoint, metadata, newVersions), "reference put");
  const vp = settle(real.setup.variant.put(config, checkpoint, metadata, newVersions), "variant put");
  const ap = (real.setup.alternative as BaseCheckpointSaver | undefined)?.put(config, checkpoint, metadata, newVersions);
  // Neither saver may take values from the checkpoint after put returned its promise.
  const mutated = pendingMutation?.();
  if (mutated) real.trace.push(`    while the put is pending: ${mutated}`);
  const [rr, vr] = await Promise.all([rp, vp]);
  await ap?.catch(() => {});
  if (rr.ok !== vr.ok) {
    fail(
      real,
      `${label}: reference ${rr.ok ? "succeeded" : `failed (${(rr as { error: Error }).error.message})`}, variant ${vr.ok ? "succeeded" : `failed (${(vr as { error: Error }).error.message})`}`,
    );
  }
  if (!mutated && canonicalJson(r.checkpoint) !== before) fail(real, `${label}: a saver changed the checkpoint object it was given`);
  if (!rr.ok) return;
  same(
    real,
    `${label}: returned config`,
    (vr as { value: unknown }).value,
    expectedTuple(real, { config: rr.value as RunnableConfig } as CheckpointTuple)?.config,
  );
  model.record({ ...r, fingerprint: mutated ? "mutated-while-pending" : fingerprint(checkpoint, newVersions) });
}

// ---------------------------------------------------------------------------------------------------
// Commands. Each carries a seed; its concrete choices follow from the seed and the model's state, and
// are written to the run's trace (printed with any failure, and by toString in fast-check's report).

abstract class SeededCommand implements fc.AsyncCommand<CheckpointerModel, Real> {
  protected resolved = "";
  constructor(
    protected readonly seed: number,
    protected readonly kind: string,
  ) {}
  check(_model: Readonly<CheckpointerModel>): boolean {
    return true;
  }
  async run(model: CheckpointerModel, real: Real): Promise<void> {
    const rng = new Rng(this.seed);
    this.resolved = "";
    real.trace.push(`${this.kind}(${this.seed})`);
    const index = real.trace.length - 1;
    await this.apply(rng, model, real, (d) => {
      this.resolved = d;
      real.trace[index] = `${this.kind}(${this.seed}): ${d}`;
    });
  }
  protected abstract apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void): Promise<void>;
  // fast-check prints the shrunk list with toString; what each command did in the failing run is in the
  // failure message's trace (choices depend on the model state, so only the run itself can say).
  toString(): string {
    return `${this.kind}(${this.seed})`;
  }
}

const show = (s: string) => JSON.stringify(s);

/** put: a fresh child of the head of a thread and namespace (a root put when there is none). */
class PutChild extends SeededCommand {
  constructor(
    seed: number,
    private readonly pending: boolean,
  ) {
    super(seed, pending ? "putChildMutatedWhilePending" : "putChild");
  }
  check(model: CheckpointerModel) {
    return !this.pending || model.enabled.has("mutateWhilePending");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    const thread = rng.pick(model.threads());
    const ns = rng.chance(0.75) ? "" : rng.pick(NAMESPACES);
    const head = model.head(thread, ns);
    const built = buildCheckpoint(rng, real, model, thread, ns, head?.checkpoint, true);
    const metadata = metadataFor(rng, real, model, (head?.metadata?.step ?? -2) + 1);
    say(`${head ? "child of head" : "root"} ${built.checkpoint.id.slice(-4)} in ${show(thread)}/${show(ns)}: ${built.changes.join("; ")}`);
    const config = putConfig(rng, thread, ns, head?.checkpoint.id);
    const mutation = this.pending
      ? () => {
          const ch = rng.pick(Object.keys(built.checkpoint.channel_values));
          const what = ch && mutateInPlace(rng, built.checkpoint.channel_values[ch], real.variant.limits);
          return what && `${ch}: ${what}`;
        }
      : undefined;
    await doPut(
      real,
      model,
      { thread, ns, config, checkpoint: built.checkpoint, metadata, newVersions: built.newVersions, parentId: head?.checkpoint.id },
      "put",
      mutation,
    );
  }
}

/** put: the same call again, with the same objects (a retrying caller). */
class RetryPut extends SeededCommand {
  constructor(seed: number) {
    super(seed, "retryPut");
  }
  check(model: CheckpointerModel) {
    return model.enabled.has("retriedPut");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    if (model.history.length === 0) return say("nothing put yet");
    const r = rng.chance(0.6) ? (model.history.at(-1) as PutRecord) : rng.pick(model.history);
    // PostgresSaver keeps the first bytes stored under a (channel, version) and RustPostgresSaver refuses
    // a clash by design (README): a retry whose values were mutated since is not a retry for PostgreSQL.
    const postgres = real.variant.family === "own-postgres" || real.variant.patchPart === "postgresSaver";
    if (postgres && fingerprint(r.checkpoint, r.newVersions) !== r.fingerprint) {
      return say(`skipped: ${r.checkpoint.id.slice(-4)}'s values were mutated since (PostgreSQL semantics differ by design)`);
    }
    say(`again ${r.checkpoint.id.slice(-4)} in ${show(r.thread)}/${show(r.ns)}`);
    await doPut(real, model, r, "retried put");
  }
}

/** put: a fork from an older checkpoint (updateState on history), built from what the reference reads back. */
class ForkPut extends SeededCommand {
  constructor(seed: number) {
    super(seed, "forkPut");
  }
  check(model: CheckpointerModel) {
    return model.enabled.has("forkFromOlder");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    const candidates = [...model.records.values()].filter((r) => model.head(r.thread, r.ns) !== r);
    if (candidates.length === 0) return say("no older checkpoint");
    const from = rng.pick(candidates);
    const read = await real.setup.reference.getTuple(
      refConfig(real, { configurable: { thread_id: from.thread, checkpoint_ns: from.ns, checkpoint_id: from.checkpoint.id } }),
    );
    if (!read) return say("reference has no such checkpoint");
    const built = buildCheckpoint(rng, real, model, from.thread, from.ns, read.checkpoint, true);
    say(
      `fork ${built.checkpoint.id.slice(-4)} from ${from.checkpoint.id.slice(-4)} in ${show(from.thread)}/${show(from.ns)}: ${built.changes.join("; ")}`,
    );
    const metadata = { ...metadataFor(rng, real, model, (from.metadata?.step ?? 0) + 1), source: "update" } as CheckpointMetadata;
    const config = putConfig(rng, from.thread, from.ns, from.checkpoint.id);
    await doPut(
      real,
      model,
      {
        thread: from.thread,
        ns: from.ns,
        config,
        checkpoint: built.checkpoint,
        metadata,
        newVersions: built.newVersions,
        parentId: from.checkpoint.id,
      },
      "fork put",
    );
  }
}

/** put: a checkpoint whose parent is not stored (never was, or was deleted/pruned), newVersions relative to that parent. */
class ParentMissingPut extends SeededCommand {
  constructor(seed: number) {
    super(seed, "parentMissingPut");
  }
  check(model: CheckpointerModel) {
    return model.enabled.has("parentMissing");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    const places = model.places();
    if (places.length === 0) return say("nothing put yet");
    const [thread, ns] = rng.pick(places);
    const head = model.head(thread, ns) as PutRecord;
    const copy = rng.chance(0.5);
    // A __copy__ fork: the head's values and versions, nothing named (LangGraph's copy of a checkpoint
    // onto its parent); or an update with its changes named, relative to a parent that is not stored.
    const built = copy
      ? {
          checkpoint: { ...head.checkpoint, id: model.nextId(), ts: model.ts(), channel_values: { ...head.checkpoint.channel_values } },
          newVersions: {},
          changes: ["copy of the head"],
        }
      : buildCheckpoint(rng, real, model, thread, ns, head.checkpoint, true);
    const missing = model.nextId();
    say(
      `${built.checkpoint.id.slice(-4)} in ${show(thread)}/${show(ns)} with unstored parent ${missing.slice(-4)}, ${copy ? "newVersions {}" : "changes named"}: ${built.changes.join("; ")}`,
    );
    const metadata = {
      ...metadataFor(rng, real, model, (head.metadata?.step ?? 0) + 1),
      source: copy ? "fork" : "update",
    } as CheckpointMetadata;
    const config = putConfig(rng, thread, ns, missing);
    await doPut(
      real,
      model,
      { thread, ns, config, checkpoint: built.checkpoint, metadata, newVersions: built.newVersions, parentId: missing },
      "put with missing parent",
    );
  }
}

function writeValue(rng: Rng, real: Real): unknown {
  const limits = real.variant.limits;
  return rng.pick([
    () => scalar(rng, limits),
    () => plainObject(rng, limits),
    () => newMessage(rng, limits),
    () => [{ value: text(rng, limits), id: `interrupt-${rng.int(9)}` }],
  ])();
}

/** One task's batch of writes: special and normal channels, duplicates of one special channel, mixed batches. */
function writeBatch(rng: Rng, model: CheckpointerModel, real: Real): PendingWrite[] {
  const writes: PendingWrite[] = [];
  const mixed = model.enabled.has("mixedSpecialBatch");
  if (model.enabled.has("duplicateSpecialWrites") && rng.chance(0.25)) {
    const ch = rng.pick(SPECIAL);
    writes.push([ch, writeValue(rng, real)], [ch, writeValue(rng, real)]);
    if (mixed && rng.chance(0.5)) writes.push([rng.pick(NORMAL_WRITE_CHANNELS), writeValue(rng, real)]);
  } else {
    const special = rng.chance(0.4);
    const n = 1 + rng.int(3);
    const channels = special && !mixed ? SPECIAL : special ? [...SPECIAL, ...NORMAL_WRITE_CHANNELS] : NORMAL_WRITE_CHANNELS;
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      const ch = rng.pick(channels);
      if (SPECIAL.includes(ch) && used.has(ch)) continue;
      used.add(ch);
      writes.push([ch, writeValue(rng, real)]);
    }
    if (mixed && special && !writes.some(([c]) => !SPECIAL.includes(c)) && rng.chance(0.5))
      writes.push(["messages", writeValue(rng, real)]);
  }
  return writes;
}

/** putWrites: special and normal channels, repeated batches with other values, duplicates of one special channel. */
class PutWrites extends SeededCommand {
  constructor(seed: number) {
    super(seed, "putWrites");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    const places = model.places();
    if (places.length === 0) return say("nothing put yet");
    const [thread, ns] = rng.pick(places);
    const target = rng.chance(0.8) ? (model.head(thread, ns) as PutRecord) : rng.pick(model.of(thread, ns));
    const taskId = rng.pick(Object.keys(TASK_PATHS));
    const writes = writeBatch(rng, model, real);
    const path = TASK_PATHS[taskId] || undefined;
    say(`task ${taskId} on ${target.checkpoint.id.slice(-4)} in ${show(thread)}/${show(ns)}: [${writes.map(([c]) => c).join(", ")}]`);
    const config = { configurable: { thread_id: thread, checkpoint_ns: ns, checkpoint_id: target.checkpoint.id } };
    const ok = await writeBoth(
      real,
      "putWrites",
      () => {
        real.setup.alternative?.putWrites(config, writes, taskId, path).catch(() => {});
        return real.setup.reference.putWrites(refConfig(real, config), writes, taskId, path);
      },
      () => real.setup.variant.putWrites(config, writes, taskId, path),
    );
    if (ok) model.withWrites.add(key(thread, ns, target.checkpoint.id));
  }
}

/**
 * A put and the writes of several tasks on the new checkpoint, all started before any is awaited (as
 * LangGraph's loop does: tasks run and save their writes while the checkpoint's put is still pending).
 */
class ConcurrentPutAndWrites extends SeededCommand {
  constructor(seed: number) {
    super(seed, "concurrentPutAndWrites");
  }
  check(model: CheckpointerModel) {
    return model.enabled.has("concurrentCalls");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    const thread = rng.pick(model.threads());
    const ns = rng.chance(0.8) ? "" : rng.pick(NAMESPACES);
    const head = model.head(thread, ns);
    const built = buildCheckpoint(rng, real, model, thread, ns, head?.checkpoint, true);
    const metadata = metadataFor(rng, real, model, (head?.metadata?.step ?? -2) + 1);
    const config = putConfig(rng, thread, ns, head?.checkpoint.id);
    const target = { configurable: { thread_id: thread, checkpoint_ns: ns, checkpoint_id: built.checkpoint.id } };
    const tasks = Object.keys(TASK_PATHS).filter(() => rng.chance(0.7));
    const batches = tasks.map((t) => [t, writeBatch(rng, model, real)] as const);
    say(
      `${head ? "child" : "root"} ${built.checkpoint.id.slice(-4)} in ${show(thread)}/${show(ns)} with ${batches
        .map(([t, w]) => `${t}: [${w.map(([c]) => c).join(", ")}]`)
        .join("; ")} in flight`,
    );
    const calls = (saver: BaseCheckpointSaver, cfg: (c: RunnableConfig) => RunnableConfig) => [
      saver.put(cfg(config), built.checkpoint, metadata, built.newVersions),
      ...batches.map(([t, w]) => saver.putWrites(cfg(target), w, t, TASK_PATHS[t] || undefined)),
    ];
    const r = settle(Promise.all(calls(real.setup.reference, (c) => refConfig(real, c))), "reference put and writes");
    const v = settle(Promise.all(calls(real.setup.variant, (c) => c)), "variant put and writes");
    const alternative = real.setup.alternative;
    const a = alternative ? Promise.all(calls(alternative, (c) => c)).catch(() => {}) : undefined;
    const [rr, vr] = await Promise.all([r, v]);
    await a;
    if (rr.ok !== vr.ok) {
      fail(
        real,
        `concurrent put and writes: reference ${rr.ok ? "succeeded" : `failed (${(rr as { error: Error }).error.message})`}, variant ${vr.ok ? "succeeded" : `failed (${(vr as { error: Error }).error.message})`}`,
      );
    }
    if (!rr.ok) return;
    model.record({
      thread,
      ns,
      config,
      checkpoint: built.checkpoint,
      metadata,
      newVersions: built.newVersions,
      parentId: head?.checkpoint.id,
      fingerprint: fingerprint(built.checkpoint, built.newVersions),
    });
    if (batches.length > 0) model.withWrites.add(key(thread, ns, built.checkpoint.id));
  }
}

/** getDeltaChannelHistory (beta): the seed and the writes an ancestor walk collects, per channel. */
class DeltaHistory extends SeededCommand {
  constructor(seed: number) {
    super(seed, "getDeltaChannelHistory");
  }
  check(model: CheckpointerModel) {
    return model.enabled.has("deltaChannelHistory");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    const records = [...model.records.values()];
    if (records.length === 0) return say("nothing put yet");
    const r = rng.pick(records);
    const channels = [...VALUE_CHANNELS, "__pregel_tasks", "branch:to:next"].filter(() => rng.chance(0.5));
    const config = {
      configurable: { thread_id: r.thread, checkpoint_ns: r.ns, ...(rng.chance(0.5) ? { checkpoint_id: r.checkpoint.id } : {}) },
    };
    say(
      `${JSON.stringify(config.configurable.checkpoint_id ? r.checkpoint.id.slice(-4) : "latest")} of ${show(r.thread)}/${show(r.ns)}, channels [${channels.join(", ")}]`,
    );
    const ref = await settle(
      real.setup.reference.getDeltaChannelHistory({ config: refConfig(real, config), channels }),
      "reference getDeltaChannelHistory",
    );
    const v = await settle(real.setup.variant.getDeltaChannelHistory({ config, channels }), "variant getDeltaChannelHistory");
    if (!ref.ok) return;
    if (!v.ok) fail(real, `getDeltaChannelHistory: variant failed (${v.error.message}) where the reference answered`);
    type History = Record<string, { seed?: unknown; writes: unknown[] }>;
    const expected = ref.value as History;
    const actual = v.value as History;
    if (real.variant.writesOrder === "writesSortKey") {
      // The reference's walk replays each checkpoint's writes in its getTuple order (task id), the variant in
      // writesSortKey order; the answer carries no checkpoint ids to re-sort by, so for these variants the
      // writes are compared as multisets (seeds exactly).
      const sorted = (h: History) =>
        Object.fromEntries(Object.entries(h).map(([c, e]) => [c, { ...e, writes: e.writes.map(canonicalJson).sort() }]));
      same(real, "getDeltaChannelHistory (writes as multisets)", sorted(actual), sorted(expected));
      return;
    }
    same(real, "getDeltaChannelHistory", actual, expected);
  }
}

/** getTuple: the latest of a thread and namespace, or one by id (config shapes as callers write them). */
class GetTuple extends SeededCommand {
  constructor(seed: number) {
    super(seed, "getTuple");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    const places = model.places();
    const [thread, ns] = places.length > 0 && rng.chance(0.9) ? rng.pick(places) : [rng.pick(model.threads()), rng.pick(NAMESPACES)];
    const configurable: Record<string, unknown> = { thread_id: thread, checkpoint_ns: ns };
    const records = model.of(thread, ns);
    let what = "latest";
    if (records.length > 0 && rng.chance(0.6)) {
      const r = rng.pick(records);
      configurable.checkpoint_id = r.checkpoint.id;
      what = `by id ${r.checkpoint.id.slice(-4)}`;
    }
    if (model.enabled.has("getTupleConfigShape") && rng.chance(0.3)) {
      if (ns === "" && rng.chance(0.5)) {
        delete configurable.checkpoint_ns;
        what += ", config without checkpoint_ns";
      } else {
        configurable.user_id = "u-1";
        what += ", config with an extra key";
      }
    }
    say(`${what} of ${show(thread)}/${show(ns)}`);
    await compareGetTuple(real, "getTuple", { configurable });
  }
}

const LIMITS_PLAIN = [undefined, 1, 2, 3];
const LIMITS_ODD = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1.5, 0.5];

/** list: random config scope and options. */
class List extends SeededCommand {
  constructor(seed: number) {
    super(seed, "list");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    const places = model.places();
    const [thread, ns] = places.length > 0 ? rng.pick(places) : ["t1", ""];
    const scope = rng.int(5);
    const configurable: Record<string, unknown> =
      scope === 0
        ? {}
        : scope === 1
          ? { thread_id: thread }
          : scope === 2
            ? { checkpoint_ns: ns }
            : { thread_id: thread, checkpoint_ns: ns };
    const options: CheckpointListOptions = {};
    const records = model.of(thread, ns);
    if (scope === 4 && records.length > 0 && model.enabled.has("listCheckpointId"))
      configurable.checkpoint_id = rng.pick(records).checkpoint.id;
    const limitPool = model.enabled.has("oddListLimit") ? [...LIMITS_PLAIN, ...LIMITS_ODD] : LIMITS_PLAIN;
    const limit = rng.pick(limitPool);
    if (limit !== undefined) options.limit = limit;
    if (model.enabled.has("listBefore") && records.length > 0 && rng.chance(0.3))
      options.before = { configurable: { checkpoint_id: rng.pick(records).checkpoint.id } };
    if (model.enabled.has("listFilter") && rng.chance(0.3)) {
      options.filter = rng.pick<Record<string, unknown>>([
        {},
        { source: "loop" },
        { step: rng.int(4) },
        { user: "alice" },
        { missing: "x" },
        { source: undefined },
        { source: "input", step: 0 },
      ]);
    }
    const describe = JSON.stringify({ configurable, ...options, limit: options.limit === undefined ? undefined : String(options.limit) });
    say(describe);
    const config = { configurable };
    const r = await settle(collect(real.setup.reference.list(refConfig(real, config), options)), "reference list");
    const v = await settle(collect(real.setup.variant.list(config, options)), "variant list");
    if (!r.ok) return say(`${describe}: reference fails (${r.error.message.slice(0, 80)}): not compared`);
    if (!v.ok) fail(real, `list ${describe}: variant failed (${v.error.message}) where the reference returned ${r.value.length} tuples`);
    const expected = r.value.map((t) => expectedTuple(real, t));
    const alt = real.setup.alternative;
    const disagreeing =
      scope !== 3 ||
      "checkpoint_id" in configurable ||
      (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) ||
      (options.filter && "source" in options.filter && options.filter.source === undefined);
    if (alt && disagreeing) {
      // Where SqliteSaver/PostgresSaver and MemorySaver answer differently, either answer's choice of
      // checkpoints (and their order) is accepted from an own saver; each tuple must still be the reference's.
      const a = await settle(collect(alt.list(config, options)), "alternative list");
      const ids = (ts: CheckpointTuple[]) =>
        ts.map((t) => `${t.config.configurable?.thread_id}/${t.config.configurable?.checkpoint_ns}/${t.checkpoint.id}`);
      const vIds = JSON.stringify(ids(v.value));
      if (vIds !== JSON.stringify(ids(expected as CheckpointTuple[])) && !(a.ok && vIds === JSON.stringify(ids(a.value)))) {
        fail(
          real,
          `list ${describe}: checkpoints ${vIds} are neither the reference's ${JSON.stringify(ids(expected as CheckpointTuple[]))} nor MemorySaver's ${a.ok ? JSON.stringify(ids(a.value)) : "(failed)"}`,
        );
      }
      const byId = new Map((expected as CheckpointTuple[]).map((t) => [ids([t])[0], t]));
      for (const t of v.value) {
        const e = byId.get(ids([t])[0]) ?? expectedTuple(real, await real.setup.reference.getTuple(refConfig(real, t.config)));
        same(real, `list ${describe}: tuple ${t.checkpoint.id.slice(-4)}`, t, e);
      }
      return;
    }
    same(real, `list ${describe}`, v.value, expected);
  }
}

class DeleteThread extends SeededCommand {
  constructor(seed: number) {
    super(seed, "deleteThread");
  }
  check(model: CheckpointerModel) {
    return model.enabled.has("deleteThread");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    const thread = rng.pick(model.threads());
    say(show(thread));
    const ok = await writeBoth(
      real,
      "deleteThread",
      () => real.setup.reference.deleteThread(real.setup.referenceThread(thread)),
      () => real.setup.variant.deleteThread(thread),
    );
    if (ok) {
      await real.setup.alternative?.deleteThread(thread);
      model.forgetThread(thread);
    }
  }
}

/**
 * prune (own SQLite savers): afterwards what prune must keep is checked (each namespace's newest,
 * the newest keepLast, branch tips holding pending writes), the checkpoints it removed are removed
 * from the references too, and every later read must equal theirs.
 */
class Prune extends SeededCommand {
  constructor(seed: number) {
    super(seed, "prune");
  }
  check(model: CheckpointerModel) {
    // Only RustSqliteSaver has prune (README: not done for PostgreSQL; LangGraph's savers have none).
    return model.enabled.has("prune") && model.variant.family === "own-sqlite";
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    const prune = real.setup.prune;
    if (!prune || !real.setup.removeFromReferences) return say("not supported by this variant");
    const places = model.places();
    const options: { keepLast?: number; strategy?: "keep_latest"; threadIds?: string[] } = rng.chance(0.25)
      ? { strategy: "keep_latest" }
      : { keepLast: 1 + rng.int(3) };
    if (places.length > 0 && rng.chance(0.3)) options.threadIds = [rng.pick(places)[0]];
    say(JSON.stringify(options));
    await within(prune(options), TIMEOUT_MS, "prune");
    const remaining = new Set(
      (await within(collect(real.setup.variant.list({ configurable: {} })), TIMEOUT_MS, "list after prune")).map((t) =>
        key(String(t.config.configurable?.thread_id), String(t.config.configurable?.checkpoint_ns), t.checkpoint.id),
      ),
    );
    const keep = options.strategy === "keep_latest" ? 1 : (options.keepLast as number);
    for (const [thread, ns] of places) {
      const records = model.of(thread, ns);
      const inScope = !options.threadIds || options.threadIds.includes(thread);
      records.forEach((r, i) => {
        const k = key(thread, ns, r.checkpoint.id);
        const isTip = !records.some((c) => c.parentId === r.checkpoint.id);
        const mustKeep = !inScope || i >= records.length - keep || (isTip && model.withWrites.has(k));
        if (mustKeep && !remaining.has(k)) {
          fail(
            real,
            `prune ${JSON.stringify(options)} removed ${r.checkpoint.id.slice(-4)} of ${show(thread)}/${show(ns)}, which it must keep (${i >= records.length - keep ? "among the newest kept" : inScope ? "a branch tip with pending writes" : "outside threadIds"})`,
          );
        }
        if (!remaining.has(k)) {
          real.setup.removeFromReferences?.(thread, ns, r.checkpoint.id);
          model.forget(thread, ns, r.checkpoint.id);
        }
      });
    }
  }
}

/** Mutates, in place, a value (or metadata) of an earlier put: no later read may change. */
class MutatePutValue extends SeededCommand {
  constructor(seed: number) {
    super(seed, "mutatePutValue");
  }
  check(model: CheckpointerModel) {
    return model.enabled.has("mutateAfterPut");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    if (model.history.length === 0) return say("nothing put yet");
    const r = rng.chance(0.6) ? (model.history.at(-1) as PutRecord) : rng.pick(model.history);
    if (rng.chance(0.1)) {
      const what = mutateInPlace(rng, r.metadata, real.variant.limits);
      return say(`metadata of ${r.checkpoint.id.slice(-4)}${what}`);
    }
    const channels = Object.keys(r.checkpoint.channel_values).filter((c) => typeof r.checkpoint.channel_values[c] === "object");
    if (channels.length === 0) return say("no object value");
    const ch = rng.pick(channels);
    const what = mutateInPlace(rng, r.checkpoint.channel_values[ch], real.variant.limits);
    say(`${ch} of ${r.checkpoint.id.slice(-4)} in ${show(r.thread)}/${show(r.ns)}: ${what}`);
  }
}

/** Reads a checkpoint, mutates what both savers returned the same way, reads again: the stored one must not change. */
class MutateReadResult extends SeededCommand {
  constructor(seed: number) {
    super(seed, "mutateReadResult");
  }
  check(model: CheckpointerModel) {
    return model.enabled.has("mutateReadResults");
  }
  protected async apply(rng: Rng, model: CheckpointerModel, real: Real, say: (d: string) => void) {
    const records = [...model.records.values()];
    if (records.length === 0) return say("nothing put yet");
    const r = rng.pick(records);
    const latest = rng.chance(0.5);
    const config = { configurable: { thread_id: r.thread, checkpoint_ns: r.ns, ...(latest ? {} : { checkpoint_id: r.checkpoint.id }) } };
    const [v, ref] = await compareGetTuple(real, "getTuple before mutating its result", config);
    if (!v || !ref) return say("nothing read");
    const channels = Object.keys(v.checkpoint.channel_values).filter((c) => typeof v.checkpoint.channel_values[c] === "object");
    const mutationSeed = rng.int(2 ** 31);
    const targets = (t: CheckpointTuple) => [t.checkpoint.channel_values, t.metadata, t.pendingWrites];
    const pick = new Rng(mutationSeed).int(3);
    let what: string | undefined;
    if (pick === 0 && channels.length > 0) {
      const ch = channels[new Rng(mutationSeed + 1).int(channels.length)];
      what = `${ch}${mutateInPlace(new Rng(mutationSeed), v.checkpoint.channel_values[ch], real.variant.limits)}`;
      mutateInPlace(new Rng(mutationSeed), ref.checkpoint.channel_values[ch], real.variant.limits);
    } else {
      const i = pick === 0 ? 1 : pick;
      what = `${["values", "metadata", "pendingWrites"][i]}${mutateInPlace(new Rng(mutationSeed), targets(v)[i], real.variant.limits)}`;
      mutateInPlace(new Rng(mutationSeed), targets(ref)[i], real.variant.limits);
    }
    say(`${latest ? "latest" : r.checkpoint.id.slice(-4)} of ${show(r.thread)}/${show(r.ns)}, result mutated: ${what}`);
    await compareGetTuple(real, "getTuple after mutating an earlier result", config);
  }
}

/** Every stored checkpoint read back, each namespace listed: run at the end of every run. */
export async function audit(model: CheckpointerModel, real: Real): Promise<void> {
  real.trace.push("audit: every checkpoint by id, every namespace's latest and list");
  for (const r of model.records.values()) {
    await compareGetTuple(real, `audit getTuple ${r.checkpoint.id.slice(-4)} of ${show(r.thread)}/${show(r.ns)}`, {
      configurable: { thread_id: r.thread, checkpoint_ns: r.ns, checkpoint_id: r.checkpoint.id },
    });
  }
  for (const [thread, ns] of model.places()) {
    await compareGetTuple(real, `audit latest of ${show(thread)}/${show(ns)}`, { configurable: { thread_id: thread, checkpoint_ns: ns } });
    const config = { configurable: { thread_id: thread, checkpoint_ns: ns } };
    const expected = (await collect(real.setup.reference.list(refConfig(real, config)))).map((t) => expectedTuple(real, t));
    same(
      real,
      `audit list of ${show(thread)}/${show(ns)}`,
      await within(collect(real.setup.variant.list(config)), TIMEOUT_MS, "list"),
      expected,
    );
  }
}

/** The command arbitraries of the checkpointer fuzzer, weighted towards puts and reads. */
export function commandArbitraries(): Array<fc.Arbitrary<fc.AsyncCommand<CheckpointerModel, Real>>> {
  const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 });
  const of = (make: (s: number) => fc.AsyncCommand<CheckpointerModel, Real>) => seed.map(make);
  return [
    of((s) => new PutChild(s, false)),
    of((s) => new PutChild(s, false)),
    of((s) => new PutChild(s, false)),
    of((s) => new PutChild(s, true)),
    of((s) => new RetryPut(s)),
    of((s) => new ForkPut(s)),
    of((s) => new ParentMissingPut(s)),
    of((s) => new PutWrites(s)),
    of((s) => new PutWrites(s)),
    of((s) => new ConcurrentPutAndWrites(s)),
    of((s) => new DeltaHistory(s)),
    of((s) => new GetTuple(s)),
    of((s) => new GetTuple(s)),
    of((s) => new List(s)),
    of((s) => new DeleteThread(s)),
    of((s) => new Prune(s)),
    of((s) => new MutatePutValue(s)),
    of((s) => new MutatePutValue(s)),
    of((s) => new MutateReadResult(s)),
  ];
}

export { messageId };

/** The command of a kind and seed, as a failure's trace names it (`putChild(1)`), for replaying a counterexample. */
export function commandFor(kind: string, seed: number): fc.AsyncCommand<CheckpointerModel, Real> {
  const make: Record<string, (s: number) => fc.AsyncCommand<CheckpointerModel, Real>> = {
    putChild: (s) => new PutChild(s, false),
    putChildMutatedWhilePending: (s) => new PutChild(s, true),
    retryPut: (s) => new RetryPut(s),
    forkPut: (s) => new ForkPut(s),
    parentMissingPut: (s) => new ParentMissingPut(s),
    putWrites: (s) => new PutWrites(s),
    concurrentPutAndWrites: (s) => new ConcurrentPutAndWrites(s),
    getDeltaChannelHistory: (s) => new DeltaHistory(s),
    getTuple: (s) => new GetTuple(s),
    list: (s) => new List(s),
    deleteThread: (s) => new DeleteThread(s),
    prune: (s) => new Prune(s),
    mutatePutValue: (s) => new MutatePutValue(s),
    mutateReadResult: (s) => new MutateReadResult(s),
  };
  const build = make[kind];
  if (!build) throw new Error(`no command ${kind}`);
  return build(seed);
}
