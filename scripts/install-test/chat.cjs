// Copied into the fresh project by scripts/install-test.mjs. Given the accelerator and @langchain/langgraph as
// the scenario loaded them (import, require, vitest, a register entry), runs a chat graph on RustSqliteSaver and
// on a patched MemorySaver and checks every turn.
async function chatCheck(acc, lg, label) {
  const { StateGraph, MessagesAnnotation, MemorySaver, START, END } = lg;
  const build = (checkpointer) =>
    new StateGraph(MessagesAnnotation)
      .addNode("reply", (s) => ({ messages: [{ role: "ai", content: `reply ${s.messages.length}` }] }))
      .addEdge(START, "reply")
      .addEdge("reply", END)
      .compile({ checkpointer });
  const turns = async (graph) => {
    const config = { configurable: { thread_id: "chat" } };
    for (const text of ["hello", "how are you", "bye"]) await graph.invoke({ messages: [{ role: "user", content: text }] }, config);
    const state = await graph.getState(config);
    return state.values.messages.map((m) => m.content);
  };
  const expected = ["hello", "reply 1", "how are you", "reply 3", "bye", "reply 5"];
  const report = await acc.patchLangGraph();
  const status = acc.getPatchStatus();
  if (!status.active || !status.native.available) throw new Error(`${label}: not patched: ${JSON.stringify(status)}`);
  const memory = new MemorySaver();
  const results = { memorySaver: await turns(build(memory)), rustSqliteSaver: await turns(build(new acc.RustSqliteSaver(":memory:"))) };
  for (const [name, got] of Object.entries(results))
    if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`${label}: ${name} gave ${JSON.stringify(got)}`);
  // The patched MemorySaver keeps its threads in the Rust store: its own map is a view of it.
  const patchedMemorySaver = report.patched.some((p) => p.target === "MemorySaver") || report.alreadyPatched.some((p) => p.target === "MemorySaver");
  if (!patchedMemorySaver) throw new Error(`${label}: MemorySaver not patched`);
  return `${label}: ok (patched ${status.patched.length} copies on ${status.native.platform}; MemorySaver and RustSqliteSaver: ${expected.length} messages)`;
}

module.exports = { chatCheck };
