/**
 * Native results handed to JavaScript a few at a time, in the check phase (`setImmediate`) of the
 * event loop, at most `turnBudget.ms` of their continuations per turn, in the order the calls
 * completed.
 *
 * Why: a native async call completes through a napi threadsafe function, whose libuv async handle
 * runs in the poll phase; the caller's continuation then runs at once and makes its next native
 * call, which (a PostgreSQL round trip off the JS thread takes ~0.1-0.3 ms, a LangGraph step on the
 * JS thread ~1 ms) often completes while the same sweep over async handles is still going, and is
 * run in it too. One turn of the loop then chains step after step of every request in flight and
 * timers and sockets wait for all of it (the soak's longest 1% of turns ran 26.7 completions, 16
 * requests in flight, 175 ms). Here the poll phase only queues; the check phase runs continuations
 * until the budget is spent and leaves the rest, in order, for the next turn (after timers and I/O).
 */
export const turnBudget = { ms: 5 };

/** When this turn's check phase began running settlements. */
let turnStart = 0;
/** A `startTurn` immediate is queued and has not run yet. */
let starterQueued = false;

function startTurn(): void {
  starterQueued = false;
  turnStart = performance.now();
}

/**
 * Queues `settle` as an immediate (so its continuation's microtasks run before the next one), behind
 * a `startTurn` for the check phase it will run in. Queued from the poll phase, it runs in this turn's
 * check phase; queued from a check phase, in the next turn's, ahead of anything that completes then.
 */
function enqueue(settle: () => void): void {
  if (!starterQueued) {
    starterQueued = true;
    setImmediate(startTurn);
  }
  setImmediate(run, settle);
}

function run(settle: () => void): void {
  // Over budget: to the next turn (time only grows within a check phase, so everything after it follows).
  if (performance.now() - turnStart > turnBudget.ms) enqueue(settle);
  else settle();
}

/** Settles with `promise`, through the queue above. */
export function settleInCheckPhase<T>(promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    promise.then(
      (value) => enqueue(() => resolve(value)),
      (error: unknown) => enqueue(() => reject(error)),
    );
  });
}
