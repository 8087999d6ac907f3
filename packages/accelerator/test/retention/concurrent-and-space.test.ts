import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

const writer = path.join(__dirname, "..", "sqlite-saver", "fixtures", "crash-writer.cjs");

describe("pruning a database other processes are writing", () => {
  it("loses nothing the writer wrote that the policy keeps, and the writer never fails", async () => {
    const file = temporaryDatabase("concurrent");
    new RustSqliteSaver(file).close();
    const child = spawn(process.execPath, [writer, file], { stdio: ["ignore", "pipe", "pipe"] });
    const resolved: Array<[string, number]> = [];
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) resolved.push(line.split(" ").map((x, i) => (i ? Number(x) : x)) as [string, number]);
    });
    const exited = new Promise<string | null>((resolve) => child.on("exit", (_c, signal) => resolve(signal)));

    const pruner = new RustSqliteSaver(file);
    let pruned = 0;
    while (resolved.length < 300) {
      pruned += (await pruner.prune({ keepLast: 5 })).checkpoints;
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    expect(stderr).toBe("");
    expect(pruned).toBeGreaterThan(100);

    const [lastId, lastStep] = resolved[resolved.length - 1];
    const tuple = await pruner.getTuple({ configurable: { thread_id: "crash", checkpoint_ns: "", checkpoint_id: lastId } });
    expect(tuple?.checkpoint.channel_values.step).toBe(lastStep);
    expect((tuple?.checkpoint.channel_values.log as string[] | undefined)?.length).toBe(lastStep + 1);
    expect((tuple?.checkpoint.channel_values.log as string[] | undefined)?.[0]).toBe("entry 0 ".repeat(20));
    pruner.close();
  });
});

describe("space", () => {
  it("the file shrinks after prune and vacuum", async () => {
    const file = temporaryDatabase("space");
    const saver = new RustSqliteSaver(file);
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("model", (s) => ({ messages: [new AIMessage(`reply ${s.messages.length} `.repeat(100))] }))
      .addEdge(START, "model")
      .compile({ checkpointer: saver });
    for (let t = 0; t < 10; t++) {
      for (let i = 0; i < 15; i++) {
        await graph.invoke({ messages: [new HumanMessage(`q${i} `.repeat(100))] }, { configurable: { thread_id: `t${t}` } });
      }
    }
    const { bytesBefore } = await saver.vacuum();
    const report = await saver.prune({ keepLast: 1 });
    const { bytesAfter } = await saver.vacuum();
    const latest = await graph.getState({ configurable: { thread_id: "t3" } });
    saver.close();
    expect(report.threads).toBe(10);
    expect(bytesAfter).toBeLessThan(bytesBefore * 0.6);
    expect(fs.statSync(file).size).toBe(bytesAfter);
    expect(latest.values.messages).toHaveLength(30);
  });
});
