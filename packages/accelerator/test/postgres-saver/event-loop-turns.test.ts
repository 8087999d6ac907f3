import { RustPostgresSaver } from "../../src";
import { turnBudget } from "../../src/savers/check-phase";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

// Native results reach JavaScript a few per event-loop turn (src/savers/check-phase.ts): timers and
// sockets get their turn between the continuations of many calls that completed together, instead of
// waiting for all of them (RustPostgresSaver's event-loop p99 in the soak, issue 12).

const schema = freshSchema("turns");
let saver: RustPostgresSaver;

beforeAll(async () => {
  saver = new RustPostgresSaver(postgresUrl(), { schema, maxConnections: 1 });
  await saver.setup();
});
afterAll(async () => {
  await saver.end();
  await dropSchema(schema);
});

/** Busy for `ms` on the JavaScript thread, as a LangGraph step between two saver calls is. */
function work(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

/** Starts `n` reads at once; each continuation works 2 ms; returns the order of continuations and timer ticks. */
async function burst(n: number): Promise<string[]> {
  const events: string[] = [];
  const ticker = setInterval(() => events.push("tick"), 1);
  try {
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        saver.getTuple({ configurable: { thread_id: `turns-${i}`, checkpoint_ns: "" } }).then(() => {
          events.push(`call ${i}`);
          work(2);
        }),
      ),
    );
  } finally {
    clearInterval(ticker);
  }
  return events;
}

const longestRun = (events: string[]) => {
  let longest = 0;
  let run = 0;
  for (const e of events) {
    run = e === "tick" ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  return longest;
};

it("continuations of calls that completed together are spread over turns, timers running between them", async () => {
  const events = await burst(40);
  const calls = events.filter((e) => e !== "tick");
  expect(calls).toHaveLength(40);
  // 40 continuations of 2 ms with a 5 ms budget per turn: a few per turn, never all in one.
  expect(longestRun(events)).toBeLessThan(20);
  const firstCall = events.indexOf("call 0");
  const lastCall = events.lastIndexOf(calls.at(-1) as string);
  expect(events.slice(firstCall, lastCall).filter((e) => e === "tick").length).toBeGreaterThanOrEqual(3);
});

it("results settle in the order the native calls completed", async () => {
  // The order in which the native promises resolved (the poll phase), seen through the store itself.
  const store = (saver as unknown as { native: { getTuple: (...a: unknown[]) => Promise<unknown> } }).native;
  const raw: string[] = [];
  const own = store.getTuple;
  store.getTuple = (...args: unknown[]) => {
    const result = own.apply(store, args);
    result.then(() => raw.push(`call ${String(args[0]).slice("turns-".length)}`));
    return result;
  };
  try {
    const events = await burst(30);
    expect(raw).toHaveLength(30);
    expect(events.filter((e) => e !== "tick")).toEqual(raw);
  } finally {
    store.getTuple = own;
  }
});

it("with an unbounded budget every continuation runs in the turn its result arrived in", async () => {
  const before = turnBudget.ms;
  turnBudget.ms = Number.POSITIVE_INFINITY;
  try {
    // The bound above is the budget's doing: without it the same burst runs in long unbroken stretches.
    const events = await burst(40);
    expect(longestRun(events)).toBeGreaterThan(longestRun(await withBudget(before, () => burst(40))));
  } finally {
    turnBudget.ms = before;
  }
});

async function withBudget<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const before = turnBudget.ms;
  turnBudget.ms = ms;
  try {
    return await fn();
  } finally {
    turnBudget.ms = before;
  }
}
