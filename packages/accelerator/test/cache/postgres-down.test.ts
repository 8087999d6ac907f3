import net from "node:net";

import { RustLLMCache } from "../../src";

// A PostgreSQL tier whose server cannot be reached answers lookups as misses; after one read failed to
// reach it, the next reads for a few seconds answer at once instead of each retrying the connection.
describe("the PostgreSQL cache tier while its server is unreachable", () => {
  let server: net.Server;
  let connections = 0;
  let port = 0;
  beforeAll(async () => {
    // Accepts and drops every connection: the client's connect fails, and every attempt is counted.
    server = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("a lookup is a miss, and the lookups right after it do not try the server again", async () => {
    const cache = new RustLLMCache({
      name: `down-${process.pid}-${Date.now()}`,
      postgres: { connectionString: `postgresql://flg:secret-password@127.0.0.1:${port}/flg`, connectTimeoutMs: 500 },
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      expect(await cache.lookup("prompt", "llm")).toBeNull();
      const afterFirst = connections;
      expect(afterFirst).toBeGreaterThan(0);
      for (let i = 0; i < 5; i++) expect(await cache.lookup(`prompt ${i}`, "llm")).toBeNull();
      expect(connections).toBe(afterFirst);
      expect(cache.stats().postgresError).toMatch(/127\.0\.0\.1/);
      expect(JSON.stringify(cache.stats())).not.toContain("secret-password");
      expect(warnings.join("\n")).not.toContain("secret-password");
    } finally {
      process.off("warning", onWarning);
    }
  });
});
