import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { type Scope, Scopes } from "../../src/profiler/scopes";

interface Op extends Scope {
  name: string;
}
const op = (name: string): Op => ({ name, closed: false });

/** How many AsyncLocalStorage instances are enabled: Node 20 writes one kResourceStore symbol per enabled storage on each new promise. */
const enabledStorages = () =>
  Object.getOwnPropertySymbols(Promise.resolve().then(() => undefined)).filter((s) => s.description === "kResourceStore").length;
// On runtimes whose AsyncLocalStorage writes nothing on promises (AsyncContextFrame), the counts say nothing.
const probe = new AsyncLocalStorage<number>();
const countable = probe.run(1, enabledStorages) > 0;
probe.disable();

describe("profiler scopes", () => {
  test("an operation open alone is found everywhere without a storage; one opened alongside is found in its own code", async () => {
    const scopes = new Scopes<Op>();
    const base = enabledStorages();
    const a = op("a");
    scopes.enter(a);
    expect(scopes.current()).toBe(a);
    const inA = scopes.within(a, async () => {
      await sleep(5);
      return scopes.current()?.name;
    });
    if (countable) expect(enabledStorages()).toBe(base);
    const b = op("b");
    scopes.enter(b);
    const inB = scopes.within(b, async () => {
      await sleep(1);
      const first = scopes.current()?.name;
      // Nested: c inside b; after c closes, b again.
      const c = op("c");
      scopes.enter(c);
      const inC = await scopes.within(c, async () => {
        await sleep(1);
        return scopes.current()?.name;
      });
      scopes.close(c);
      return [first, inC, scopes.current()?.name];
    });
    if (countable) expect(enabledStorages()).toBe(base + 1);
    // a's code, called from b's context, is still a's.
    expect(await scopes.within(b, () => scopes.within(a, () => scopes.current()?.name))).toBe("a");
    expect(await inA).toBe("a");
    expect(await inB).toEqual(["b", "c", "b"]);
    scopes.close(b);
    if (countable) expect(enabledStorages()).toBe(base);
    scopes.close(a);
    expect(scopes.current()).toBeUndefined();
  });

  test("a closed operation is never found, even from promises made while it was open; closing twice changes nothing", async () => {
    const scopes = new Scopes<Op>();
    const a = op("a");
    const b = op("b");
    scopes.enter(a);
    scopes.enter(b);
    let resume!: () => void;
    const later = scopes.within(b, async () => {
      await new Promise<void>((r) => {
        resume = r;
      });
      return scopes.current()?.name;
    });
    scopes.close(b);
    scopes.close(b);
    // A new stored operation re-enables the storage while b's promise still carries b.
    const c = op("c");
    scopes.enter(c);
    resume();
    expect(await later).toBe("a");
    expect(scopes.within(c, () => scopes.current()?.name)).toBe("c");
    scopes.close(a);
    scopes.close(a);
    scopes.close(c);
    expect(scopes.current()).toBeUndefined();
    // With a and c closed, the next operation is bare again.
    const d = op("d");
    scopes.enter(d);
    expect(scopes.current()).toBe(d);
    scopes.close(d);
  });
});
