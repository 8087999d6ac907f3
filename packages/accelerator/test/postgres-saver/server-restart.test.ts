import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";

import { RustPostgresSaver } from "../../src";
import { type PostgresServer, freshSchema, privatePostgres, withPg } from "../support/postgres";

// A server of its own (port 55433): these tests stop it, which other test files must not see.
let server: PostgresServer;
beforeAll(() => {
  server = privatePostgres(55433);
});
afterAll(() => server.stop());

function loop(checkpointer: RustPostgresSaver, onStep: (step: number) => void) {
  let step = 0;
  return new StateGraph(MessagesAnnotation)
    .addNode("model", async () => {
      step += 1;
      onStep(step);
      await new Promise((r) => setTimeout(r, 5));
      return { messages: [new AIMessage(`step ${step}`)] };
    })
    .addEdge(START, "model")
    .addConditionalEdges("model", (s) => (s.messages.length > 400 ? END : "model"))
    .compile({ checkpointer });
}

describe.each(["official", "compact"] as const)("%s layout: the server restarts", (layout) => {
  it("during a run: the run completes and its whole history is stored", async () => {
    // Connecting while the server restarts fails; five further attempts (about 3.7 s) ride it out.
    const saver = new RustPostgresSaver(server.url, { schema: freshSchema(`restart_${layout}`), layout, connectRetries: 5 });
    await saver.setup();
    const config = { configurable: { thread_id: `run-${Date.now()}` }, recursionLimit: 1000 };
    let restart: Promise<void> | undefined;
    let current = 0;
    let backAtStep = Infinity;
    const graph = loop(saver, (step) => {
      current = step;
      if (step === 100)
        restart = server.restartInBackground().then(() => {
          backAtStep = current;
        });
    });
    const state = await graph.invoke({ messages: [new HumanMessage("go")] }, config);
    await restart;
    expect(backAtStep).toBeLessThan(400);
    expect(state.messages).toHaveLength(401);
    const history = [];
    for await (const t of saver.list(config)) history.push(t);
    expect(history).toHaveLength(402);
    expect((history[0].checkpoint.channel_values.messages as unknown[]).length).toBe(401);
    await saver.end();
  });

  it("while it is down: calls fail naming the cause; once it is back the same saver works", async () => {
    const saver = new RustPostgresSaver(server.url, { schema: freshSchema(`down_${layout}`), layout, connectTimeoutMs: 500 });
    await saver.setup();
    const config = { configurable: { thread_id: "t" } };
    const graph = loop(saver, () => {});
    await graph.invoke({ messages: [new HumanMessage("before")] }, { ...config, recursionLimit: 1000 });
    server.stop();
    try {
      await expect(saver.getTuple(config)).rejects.toThrow(
        /RustPostgresSaver: (cannot reach|the connection to) PostgreSQL at 127\.0\.0\.1:55433\/flg/,
      );
    } finally {
      server.start();
    }
    const tuple = await saver.getTuple(config);
    expect((tuple?.checkpoint.channel_values.messages as unknown[] | undefined)?.length).toBe(401);
    await saver.end();
  });
});

describe.each(["official", "compact"] as const)("%s layout: connections dropped mid-write", (layout) => {
  it("a run whose connections are killed every 100 ms completes, every checkpoint whole", async () => {
    const app = `flg-kill-${layout}`;
    const saver = new RustPostgresSaver(`${server.url}?application_name=${app}`, { schema: freshSchema(`kill_${layout}`), layout });
    await saver.setup();
    let killed = 0;
    let stop = false;
    const killer = (async () => {
      while (!stop) {
        await new Promise((r) => setTimeout(r, 100));
        const { rows } = await withPg(
          (c) => c.query("SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1", [app]),
          server.url,
        );
        killed += rows.filter((r) => r.done).length;
      }
    })();
    const config = { configurable: { thread_id: "killed" }, recursionLimit: 1000 };
    try {
      const state = await loop(saver, () => {}).invoke({ messages: [new HumanMessage("go")] }, config);
      expect(state.messages).toHaveLength(401);
    } finally {
      stop = true;
      await killer;
    }
    expect(killed).toBeGreaterThan(5);
    const history = [];
    for await (const t of saver.list(config)) history.push(t);
    expect(history).toHaveLength(402);
    history.forEach((tuple, i) => {
      const messages = (tuple.checkpoint.channel_values.messages ?? []) as Array<{ content: unknown }>;
      expect(messages).toHaveLength(Math.max(0, 401 - i));
    });
    await saver.end();
  });
});
