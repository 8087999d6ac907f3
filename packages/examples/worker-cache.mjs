// Worker threads sharing one LLM cache: every worker opens RustLLMCache({ name }), and what one
// worker's model call stored, another worker's identical call finds (a JS Map cannot be shared so).
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { fileURLToPath } from "node:url";

import { FakeListChatModel } from "@langchain/core/utils/testing";
import { RustLLMCache } from "@fast-langgraph/accelerator";

const CACHE = "support-answers";

if (isMainThread) {
  const ask = (id, question) =>
    new Promise((resolve, reject) => {
      const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { id, question } });
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  const question = "Which plan includes priority support?";
  const first = await ask(1, question);
  const second = await ask(2, question);
  const third = await ask(3, "Can I pay yearly?");
  for (const r of [first, second, third])
    console.log(`worker ${r.id}: "${r.answer}" (${r.cached ? "from the shared cache" : "model called"})`);
  const stats = new RustLLMCache({ name: CACHE }).stats();
  console.log(`shared cache: ${stats.entries} entries, ${stats.hits} hits, ${stats.misses} misses across threads`);
} else {
  const cache = new RustLLMCache({ name: CACHE });
  const model = new FakeListChatModel({ responses: [`answer computed by worker ${workerData.id}`], cache });
  const hitsBefore = cache.stats().hits;
  const answer = await model.invoke(workerData.question);
  parentPort.postMessage({ id: workerData.id, answer: answer.content, cached: cache.stats().hits > hitsBefore });
}
