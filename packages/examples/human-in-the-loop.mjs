// Human in the loop across two processes: the first run stops at interrupt() and exits; a later
// process resumes the same thread from the RustSqliteSaver file with a Command.
//   node human-in-the-loop.mjs                 # starts a refund request, stops for approval
//   node human-in-the-loop.mjs approve|reject  # another process answers and finishes the run
import { Annotation, Command, END, START, StateGraph, interrupt } from "@langchain/langgraph";
import { RustSqliteSaver } from "@fast-langgraph/accelerator";

import { dataFile, removeDatabase } from "./lib/paths.mjs";

const Refund = Annotation.Root({
  customer: Annotation(),
  amount: Annotation(),
  decision: Annotation(),
  log: Annotation({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

const file = dataFile("human-in-the-loop.db");
const answer = process.argv[2];
if (!answer) removeDatabase(file);
const checkpointer = new RustSqliteSaver(file);

const graph = new StateGraph(Refund)
  .addNode("check", (s) => ({ log: [`checked order history of ${s.customer}`] }))
  .addNode("approval", (s) => {
    const decision = interrupt({ question: `Refund ${s.amount} EUR to ${s.customer}?`, options: ["approve", "reject"] });
    return { decision, log: [`a human answered: ${decision}`] };
  })
  .addNode("pay", (s) => ({ log: [s.decision === "approve" ? `paid ${s.amount} EUR` : "refund declined, customer notified"] }))
  .addEdge(START, "check")
  .addEdge("check", "approval")
  .addEdge("approval", "pay")
  .addEdge("pay", END)
  .compile({ checkpointer });

const config = { configurable: { thread_id: "refund-1042" } };
if (!answer) {
  const result = await graph.invoke({ customer: "Ada", amount: 120 }, config);
  const [pending] = result.__interrupt__;
  console.log(`Process ${process.pid} stopped for a human: ${pending.value.question}`);
  console.log("Resume it from another process: node human-in-the-loop.mjs approve   (or reject)");
} else {
  const waiting = await graph.getState(config);
  if (!waiting.next.includes("approval")) throw new Error("no refund is waiting for approval: run without arguments first");
  console.log(`Process ${process.pid} resumes "${config.configurable.thread_id}" with "${answer}".`);
  const result = await graph.invoke(new Command({ resume: answer }), config);
  for (const line of result.log) console.log(`  - ${line}`);
}
checkpointer.close();
