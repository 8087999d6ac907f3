import v8 from "node:v8";
import { runInNewContext } from "node:vm";

import { CircuitBreaker, ResiliencePipeline, withResilience } from "../../src";
import { sleep } from "../../src/resilience/sleep";
import { httpError, ScheduledChatModel } from "../support/scheduled-model";

v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Collects garbage until `done()` holds (finalizers run in a later task), at most 20 rounds. */
async function collectUntil(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 20 && !done(); i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return done();
}

/** `p`, or "still waiting" if it has not settled after a while (only to fail fast instead of hanging). */
function orStillWaiting<T>(p: Promise<T>): Promise<T | "still waiting"> {
  return Promise.race([p, new Promise<"still waiting">((resolve) => setTimeout(() => resolve("still waiting"), 5000).unref())]);
}

/** A consumer that reads one chunk and goes away without return(): nothing refers to the stream afterwards. */
async function readOneAndDrop(stream: () => Promise<AsyncIterable<unknown>> | AsyncIterable<unknown>): Promise<unknown> {
  const it = (await stream())[Symbol.asyncIterator]();
  return (await it.next()).value;
}

describe("a stream dropped without return() (hostile review F7)", () => {
  it("gives its concurrency permit back once collected, and the next call runs", async () => {
    const model = withResilience(new ScheduledChatModel([{ reply: "one two three" }, { reply: "next" }]), {
      maxConcurrency: 1,
      retry: false,
    });
    expect(await readOneAndDrop(() => model.stream("q"))).toMatchObject({ content: "one" });
    expect(model.resilienceStats().concurrency?.inFlight).toBe(1);
    expect(await collectUntil(() => model.resilienceStats().concurrency?.inFlight === 0)).toBe(true);
    const next = await orStillWaiting(model.invoke("another request"));
    expect(next).toMatchObject({ content: "next" });
    expect(model.resilienceStats()).toMatchObject({ successes: 2, concurrency: { inFlight: 0, acquired: 2 } });
  });

  it("frees a half-open breaker's probe slot once collected", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeoutMs: 20, halfOpenMaxCalls: 1, successThreshold: 2 });
    const pipeline = new ResiliencePipeline({ circuitBreaker: breaker, retry: false });
    await expect(pipeline.run(() => Promise.reject(httpError(500)))).rejects.toMatchObject({ status: 500 });
    await sleep(30);
    async function* chunks() {
      yield "a";
      yield "b";
    }
    expect(await readOneAndDrop(() => pipeline.stream(chunks))).toBe("a");
    expect(breaker.stats()).toMatchObject({ state: "half_open", probesInFlight: 1 });
    expect(await collectUntil(() => breaker.stats().probesInFlight === 0)).toBe(true);
    await expect(pipeline.run(async () => "second probe")).resolves.toBe("second probe");
    expect(breaker.stats()).toMatchObject({ state: "closed", successes: 2 });
  });

  it("closes the provider's stream under it, as return() would", async () => {
    let closed = false;
    async function* provider() {
      try {
        yield 1;
        yield 2;
      } finally {
        closed = true;
      }
    }
    const pipeline = new ResiliencePipeline({ maxConcurrency: 1 });
    await readOneAndDrop(() => pipeline.stream(provider));
    expect(await collectUntil(() => closed)).toBe(true);
  });

  it("is not closed while its consumer still holds it, however often garbage is collected", async () => {
    const pipeline = new ResiliencePipeline({ maxConcurrency: 1 });
    async function* provider() {
      for (let i = 0; i < 5; i++) yield i;
    }
    const seen: number[] = [];
    for await (const n of pipeline.stream(provider)) {
      seen.push(n);
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(pipeline.stats()).toMatchObject({ successes: 1, idleStreamReleases: 0, concurrency: { inFlight: 0 } });
  });
});

describe("a stream left unread (hostile review F7)", () => {
  it("gives its permit back after idleStreamReleaseMs and still reads to the end", async () => {
    const model = withResilience(new ScheduledChatModel([{ reply: "one two three" }, { reply: "meanwhile" }]), {
      maxConcurrency: 1,
      retry: false,
      idleStreamReleaseMs: 20,
    });
    const kept = (await model.stream("q"))[Symbol.asyncIterator]();
    expect((await kept.next()).value).toMatchObject({ content: "one" });
    // The consumer still holds the stream (nothing is collected), but does not read it.
    expect(await orStillWaiting(model.invoke("another request"))).toMatchObject({ content: "meanwhile" });
    const rest: string[] = [];
    for (let r = await kept.next(); !r.done; r = await kept.next()) rest.push(String(r.value.content));
    expect(rest).toEqual([" two", " three"]);
    expect(model.resilienceStats()).toMatchObject({ idleStreamReleases: 1, concurrency: { inFlight: 0, acquired: 2 } });
  });

  it("idleStreamReleaseMs: Infinity keeps the permit until the stream ends", async () => {
    const pipeline = new ResiliencePipeline({ maxConcurrency: 1, idleStreamReleaseMs: Infinity });
    async function* provider() {
      yield 1;
      yield 2;
    }
    const kept = pipeline.stream(provider);
    await kept.next();
    await sleep(30);
    expect(pipeline.stats()).toMatchObject({ idleStreamReleases: 0, concurrency: { inFlight: 1 } });
    await kept.return(undefined);
    expect(pipeline.stats().concurrency?.inFlight).toBe(0);
  });
});
