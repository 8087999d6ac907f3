import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { Annotation, START, Send, StateGraph } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { chromium } from "playwright-core";
import { z } from "zod";
import "../../src/patch/profile-hooks";
import { type Profiler, createProfiler } from "../../src/profiler";
import { type ProfilerMode, recording } from "../support/profiler-modes";
import { ScheduledChatModel, sleep } from "../support/profiler-models";

const CHROMIUM = "/usr/bin/chromium";

const State = Annotation.Root({
  notes: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

function agentLikeGraph(saver: SqliteSaver, model: ScheduledChatModel) {
  const search = tool(
    async ({ q }: { q: string }) => {
      await sleep(3);
      return `result for ${q}`;
    },
    { name: "search", description: "searches", schema: z.object({ q: z.string() }) },
  );
  return new StateGraph(State)
    .addNode("plan", async () => {
      const answer = await model.invoke([new HumanMessage("plan the work")]);
      return { notes: [String(answer.content)] };
    })
    .addNode("research", async (x: { topic: string }) => {
      const found = await search.invoke({ q: x.topic });
      return { notes: [`${found} ${"detail ".repeat(400)}`] };
    })
    .addNode("summarize", async (s) => {
      const answer = await model.invoke([new HumanMessage(`summarize ${s.notes.length} notes`)]);
      return { notes: [String(answer.content)] };
    })
    .addEdge(START, "plan")
    .addConditionalEdges("plan", () => ["alpha", "beta", "gamma"].map((topic) => new Send("research", { topic })))
    .addEdge("research", "summarize")
    .compile({ checkpointer: saver });
}

const MODES: ProfilerMode[] = ["callback handler", "hooks (attach)"];

/** Three runs of `graph` on one thread, recorded through the callback handler and probe, or through the hooks. */
async function record(mode: ProfilerMode, profiler: Profiler, graph: ReturnType<typeof agentLikeGraph>, thread: string) {
  profiler.probe(graph);
  await recording(mode, profiler, async (wrap) => {
    for (let i = 0; i < 3; i++) await graph.invoke({ notes: [] }, wrap({ configurable: { thread_id: thread } }));
  });
}

describe("profiler HTML report and advice", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "flg-profiler-html-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(MODES)("advice rules fire on measured figures, name their evidence, and respect their thresholds: %s", async (mode) => {
    const model = new ScheduledChatModel(0);
    const graph = agentLikeGraph(SqliteSaver.fromConnString(join(dir, `advice-${mode.length}.db`)), model);
    const profiler = createProfiler({ thresholds: { stateGrowthBytesPerStep: 1024 } });
    await record(mode, profiler, graph, "adv");
    const summary = profiler.summary();
    const advice = profiler.advice(summary);
    const rules = advice.map((a) => a.rule);
    // The same "plan the work" prompt went to the model three times, with no cache.
    expect(rules).toContain("repeated-prompts");
    expect(advice.find((a) => a.rule === "repeated-prompts")?.evidence).toMatch(/^\d+ of 6 calls repeated/);
    // Each run adds three ~3 KB research notes to the thread's state.
    expect(rules).toContain("state-growth");
    const share = summary.totals.checkpointShare;
    expect(rules.includes("checkpoint-share")).toBe(share > 0.2);
    expect(advice.every((a) => a.evidence.includes("threshold"))).toBe(true);

    // Raised thresholds silence the rules.
    const quiet = createProfiler({
      thresholds: { stateGrowthBytesPerStep: 1e9, repeatedPromptShare: 1, checkpointShare: 1, serializationShare: 1 },
    }).advice(summary);
    expect(quiet).toEqual([]);

    // Checkpoint share above a low threshold names the measured time.
    const low = createProfiler({ thresholds: { checkpointShare: share / 2 } }).advice(summary);
    const cp = low.find((a) => a.rule === "checkpoint-share");
    expect(cp?.evidence).toContain(`${summary.totals.checkpointMs.toFixed(1)} ms with a checkpointer operation in flight`);
    expect(cp?.message).toContain("patchLangGraph()");

    const json = profiler.toJSON();
    expect(
      JSON.parse(JSON.stringify(json))
        .summary.nodes.map((n: { node: string }) => n.node)
        .sort(),
    ).toEqual(["plan", "research", "summarize"]);
    expect(json.raw.checkpointOps.length).toBe(profiler.store.data.checkpointOps.length);
  });

  test.each(MODES)("the HTML report renders in headless Chromium without console errors and shows the run's nodes: %s", async (mode) => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-chromium.sh (as root)`);
    const model = new ScheduledChatModel(4);
    const graph = agentLikeGraph(SqliteSaver.fromConnString(join(dir, `html-${mode.length}.db`)), model);
    const profiler = createProfiler();
    await record(mode, profiler, graph, "html");
    const file = profiler.writeHtml(join(dir, `report-${mode.length}.html`), { title: "profile of a fan-out graph" });
    const html = readFileSync(file, "utf8");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1180, height: 900 } });
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("request", (r) => {
        if (!r.url().startsWith("file:")) problems.push(`request: ${r.url()}`);
      });
      await page.goto(`file://${file}`);
      const text = await page.locator("body").innerText();
      for (const node of ["plan", "research", "summarize"]) expect(text).toContain(node);
      expect(await page.locator("#timeline .bar").count()).toBeGreaterThan(3 * 5);
      const nodeBars = await page.locator("#timeline .bar rect title").allTextContents();
      expect(nodeBars.filter((t) => t.startsWith("research ")).length).toBe(9);
      expect(nodeBars.some((t) => t.startsWith("SqliteSaver.put"))).toBe(true);
      expect(await page.locator("#state polyline").count()).toBe(1);
      await page.locator("#timeline .bar").first().hover();
      expect(await page.locator("#detail").innerText()).toMatch(/step/);
      const shot =
        process.env.FLG_UPDATE_SCREENSHOT === "1" && mode === "callback handler"
          ? resolve(__dirname, "../../../../docs/profiler-report.png")
          : join(dir, `report-${mode.length}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot)).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
