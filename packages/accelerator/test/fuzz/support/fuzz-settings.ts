/**
 * Seed and run counts of the fuzzers: fixed in the test command, overridden by FUZZ_SEED / FUZZ_RUNS
 * (scripts/fuzz-nightly.sh sets both). Every fuzz file prints what it used, so a failure can be replayed.
 */
export interface FuzzSettings {
  seed: number;
  /** Multiplier of each property's default run count (FUZZ_RUNS=10 runs ten times as many). */
  runsFactor: number;
  /** Commands per run at most. */
  maxCommands: number;
}

export function fuzzSettings(defaults: { seed: number; maxCommands: number }): FuzzSettings {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : defaults.seed;
  const runsFactor = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 1;
  const maxCommands = process.env.FUZZ_MAX_COMMANDS ? Number(process.env.FUZZ_MAX_COMMANDS) : defaults.maxCommands;
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${process.env.FUZZ_SEED}`);
  if (!(runsFactor > 0)) throw new Error(`FUZZ_RUNS must be a positive number, got ${process.env.FUZZ_RUNS}`);
  return { seed, runsFactor, maxCommands };
}

export function runsOf(settings: FuzzSettings, base: number): number {
  return Math.max(1, Math.round(base * settings.runsFactor));
}

/** Rejects when `promise` has not settled within `ms`: a hang becomes a failure naming `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (hang?)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
