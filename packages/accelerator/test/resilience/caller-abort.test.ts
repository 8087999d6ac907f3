import { CircuitBreaker, ResiliencePipeline, resilient, withResilience } from "../../src";
import { sleep } from "../../src/resilience/sleep";
import { httpError, ScheduledChatModel } from "../support/scheduled-model";

// A provider call that honours its signal as fetch does: it settles only when aborted, with `signal.reason`.
const untilAborted = (signal?: AbortSignal) =>
  new Promise<string>((_, reject) => {
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

const noJitter = { initialDelayMs: 1, random: () => 0 };

function abortLater(reason: unknown): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), 5);
  return controller.signal;
}

describe("the caller's own cancellation (hostile review F6)", () => {
  const cancellations: Array<[string, () => AbortSignal]> = [
    ["AbortSignal.timeout (a TimeoutError reason)", () => AbortSignal.timeout(5)],
    ["abort(new Error('user left'))", () => abortLater(new Error("user left"))],
    ["abort() (an AbortError)", () => abortLater(undefined)],
  ];
  for (const [label, signalOf] of cancellations) {
    it(`${label}: not a breaker failure, not retried, rethrown as is`, async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 2 });
      let calls = 0;
      const fn = resilient(
        (o: { signal?: AbortSignal }) => {
          calls++;
          return o.signal ? untilAborted(o.signal) : Promise.resolve("ok");
        },
        { circuitBreaker: breaker, retry: noJitter },
      );
      for (let i = 0; i < 3; i++) {
        const signal = signalOf();
        const error = await fn({ signal }).catch((e) => e);
        expect(error).toBe(signal.reason);
      }
      expect(calls).toBe(3);
      expect(breaker.stats()).toMatchObject({ state: "closed", failures: 0, failuresInWindow: 0 });
      expect(fn.stats()).toMatchObject({ retries: 0, failures: { aborted: 3, timeout: 0, unknown: 0 } });
      await expect(fn({})).resolves.toBe("ok");
    });
  }

  it("counts as the caller's whatever the call rejects with once the signal is aborted", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    const pipeline = new ResiliencePipeline({ circuitBreaker: breaker, retry: noJitter });
    // Some clients wrap the abort: here in a 500-shaped error, which would count as a provider failure.
    const wrapped = httpError(500);
    const call = pipeline.run(
      (signal) =>
        new Promise((_, reject) => {
          signal?.addEventListener("abort", () => reject(wrapped), { once: true });
        }),
      { signal: abortLater(undefined) },
    );
    await expect(call).rejects.toBe(wrapped);
    expect(breaker.state).toBe("closed");
    expect(pipeline.stats()).toMatchObject({ attempts: 1, retries: 0, failures: { server: 0, aborted: 1 } });
  });

  it("a half-open probe its caller cancels frees the probe slot", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeoutMs: 20, halfOpenMaxCalls: 1, successThreshold: 1 });
    const pipeline = new ResiliencePipeline({ circuitBreaker: breaker, retry: false });
    await expect(pipeline.run(() => Promise.reject(httpError(500)))).rejects.toMatchObject({ status: 500 });
    await sleep(30);
    expect(breaker.state).toBe("half_open");
    const cancelled = pipeline.run(untilAborted, { signal: abortLater(new Error("user left")) });
    await expect(cancelled).rejects.toThrow("user left");
    expect(breaker.stats()).toMatchObject({ state: "half_open", probesInFlight: 0 });
    await expect(pipeline.run(async () => "probe")).resolves.toBe("probe");
    expect(breaker.state).toBe("closed");
  });

  it("a stream its caller stops after a chunk is not a probe success", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeoutMs: 20, halfOpenMaxCalls: 1, successThreshold: 1 });
    const pipeline = new ResiliencePipeline({ circuitBreaker: breaker, retry: false });
    await expect(pipeline.run(() => Promise.reject(httpError(500)))).rejects.toMatchObject({ status: 500 });
    await sleep(30);
    const controller = new AbortController();
    async function* chunks() {
      yield "a";
      yield "b";
    }
    for await (const chunk of pipeline.stream(chunks, { signal: controller.signal })) {
      expect(chunk).toBe("a");
      controller.abort();
      break;
    }
    expect(breaker.stats()).toMatchObject({ state: "half_open", probesInFlight: 0, successes: 0 });
  });
});

describe("withResilience: a LangChain call cancelled by its own signal (hostile review F6)", () => {
  it("neither opens the breaker nor is retried, on invoke and on stream", async () => {
    const model = withResilience(new ScheduledChatModel([{ hang: true }, { hang: true }, { hang: true }]), {
      circuitBreaker: { failureThreshold: 2 },
      retry: noJitter,
    });
    const user = new Error("user left");
    await expect(model.invoke("hi", { signal: abortLater(user) })).rejects.toBe(user);
    // LangChain turns `timeout` into AbortSignal.timeout: its reason is a TimeoutError.
    await expect(model.invoke("hi", { timeout: 5 })).rejects.toMatchObject({ name: "TimeoutError" });
    // model.stream() waits for the first chunk: a hanging stream rejects there.
    await expect(model.stream("hi", { signal: abortLater(user) })).rejects.toBe(user);
    expect(model.calls).toHaveLength(3);
    expect(model.resilienceStats()).toMatchObject({
      retries: 0,
      failures: { aborted: 3, timeout: 0, unknown: 0 },
      circuitBreaker: { state: "closed", failures: 0 },
    });
    await expect(model.invoke("hi")).resolves.toMatchObject({ content: "ok 4" });
  });
});
