import { RustLLMCache, RustNodeCache } from "../../src";
import { type PostgresServer, privatePostgres } from "../support/postgres";

// Issue 18: the PostgreSQL cache tier keeps reading and writing through a server restart, on a
// server of its own (other test files use the shared one).
let server: PostgresServer;
beforeAll(() => {
  server = privatePostgres(55436);
});

const unique = (n: string) => `${n}-${process.pid}-${Date.now()}-${Math.random()}`;
const text = (hit: unknown) => (hit as { text: string }[] | null)?.[0]?.text ?? null;

describe("the PostgreSQL cache tier through a server restart", () => {
  it("reads and writes again after a restart, and a write queued while the server was down is not lost", async () => {
    const pg = { connectionString: server.url, schema: `restart_${process.pid}_${Date.now()}`, table: "c" };
    const writer = new RustLLMCache({ name: unique("w"), postgres: pg });
    await writer.update("before", "llm", [{ text: "stored before" }]);
    await writer.flush();
    expect(writer.stats().postgresEntries).toBe(1);

    server.restart();
    // Existing pooled connections are dead now: both directions reconnect.
    expect(text(await new RustLLMCache({ name: unique("r1"), postgres: pg }).lookup("before", "llm"))).toBe("stored before");
    await writer.update("after", "llm", [{ text: "stored after" }]);
    await writer.flush();
    expect(text(await new RustLLMCache({ name: unique("r2"), postgres: pg }).lookup("after", "llm"))).toBe("stored after");

    server.stop();
    await writer.update("while down", "llm", [{ text: "queued during the outage" }]);
    let done = false;
    const flushed = writer.flush().then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 1500));
    try {
      // The write waits for the server (it is retried, not dropped).
      expect(done).toBe(false);
    } finally {
      server.start();
    }
    await flushed;
    expect(writer.stats().dropped).toBe(0);
    expect(writer.stats().postgresFailedWrites).toBe(0);
    expect(text(await new RustLLMCache({ name: unique("r3"), postgres: pg }).lookup("while down", "llm"))).toBe("queued during the outage");
    expect(writer.stats().postgresEntries).toBe(3);
  });

  it("RustNodeCache reconnects too", async () => {
    const pg = { connectionString: server.url, schema: `restart_node_${process.pid}_${Date.now()}`, table: "n" };
    const a = new RustNodeCache({ name: unique("na"), postgres: pg });
    await a.set([{ key: [["ns"], "k"], value: { answer: 42 } }]);
    await a.flush();
    server.restart();
    const b = new RustNodeCache({ name: unique("nb"), postgres: pg });
    expect(await b.get([[["ns"], "k"]])).toEqual([{ key: [["ns"], "k"], value: { answer: 42 } }]);
  });
});
