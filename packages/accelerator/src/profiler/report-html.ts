import type { Advice } from "./advice";
import type { ProfileSummary } from "./aggregate";
import type { RawProfile } from "./records";

export interface HtmlOptions {
  title?: string;
  /** The timeline shows the last this many top-level graph runs (default 20), so the file stays small. */
  timelineRuns?: number;
}

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
const f = (x: number) => x.toFixed(2);
const kb = (x: number) => (x / 1024).toFixed(1);

const COLORS = {
  node: "#4e79a7",
  hidden: "#bab0ac",
  model: "#f28e2b",
  tool: "#59a14f",
  getTuple: "#76b7b2",
  put: "#e15759",
  putWrites: "#ff9da7",
  list: "#9c755f",
  error: "#b07aa1",
  step: "#eef2f7",
};

interface Bar {
  lane: number;
  start: number;
  end: number;
  color: string;
  label: string;
  title: string;
}

/** Greedy lane packing: each interval goes to the first lane free at its start. */
function pack(items: Array<{ start: number; end: number }>): number[] {
  const laneEnds: number[] = [];
  return items.map((it) => {
    let lane = laneEnds.findIndex((end) => end <= it.start);
    if (lane < 0) lane = laneEnds.push(it.end) - 1;
    else laneEnds[lane] = it.end;
    return lane;
  });
}

function timeline(s: ProfileSummary, raw: RawProfile, runs: number): string {
  const top = s.graphRuns.filter((g) => !g.parentRunId);
  const shown = top.slice(-runs);
  if (shown.length === 0) return "<p>No graph runs recorded.</p>";
  const t0 = shown[0].start;
  const t1 = Math.max(...shown.map((g) => g.end));
  const inWindow = (r: { start: number; end?: number }) => r.start >= t0 && r.start <= t1;
  const span = Math.max(t1 - t0, 1e-3);
  const width = 1100;
  const left = 110;
  const x = (t: number) => left + ((t - t0) / span) * (width - left - 10);

  const groups: Array<{ name: string; bars: Bar[]; lanes: number }> = [];
  const add = <T extends { start: number; end?: number }>(
    name: string,
    items: T[],
    bar: (it: T) => Omit<Bar, "lane" | "start" | "end">,
  ) => {
    const sorted = items.filter(inWindow).sort((a, b) => a.start - b.start);
    const lanes = pack(sorted.map((it) => ({ start: it.start, end: it.end ?? t1 })));
    groups.push({
      name,
      bars: sorted.map((it, i) => ({ lane: lanes[i], start: it.start, end: it.end ?? t1, ...bar(it) })),
      lanes: lanes.reduce((m, l) => Math.max(m, l + 1), 1),
    });
  };
  const steps = shown.flatMap((g) => g.supersteps.map((st) => ({ ...st, run: g.name })));
  add("supersteps", steps, (st) => ({
    color: "#c9d6e8",
    label: `step ${st.step}`,
    title: `${st.run} step ${st.step}: ${st.nodes.join(", ")} — ${f(st.durationMs)} ms, ${st.parallelism} in parallel`,
  }));
  add("nodes", raw.tasks, (t) => ({
    color: t.status === "error" ? COLORS.error : t.hidden ? COLORS.hidden : COLORS.node,
    label: t.node,
    title: `${t.node} (step ${t.step}, attempt ${t.attempt}, ${t.status}) ${f((t.end ?? t1) - t.start)} ms`,
  }));
  add("model calls", raw.modelCalls, (m) => ({
    color: m.status === "error" ? COLORS.error : COLORS.model,
    label: m.name,
    title: `${m.name} ${f((m.end ?? t1) - m.start)} ms${m.firstTokenAt ? `, first token ${f(m.firstTokenAt - m.start)} ms` : ""}${m.cache ? `, cache ${m.cache}` : ""}${m.rateLimitWaitMs ? `, waited ${f(m.rateLimitWaitMs)} ms for the rate limiter` : ""}${m.retries ? `, ${m.retries} retries` : ""}${m.error ? `, ${m.error}` : ""}`,
  }));
  add("tool calls", raw.toolCalls, (t) => ({
    color: t.status === "error" ? COLORS.error : COLORS.tool,
    label: t.name,
    title: `${t.name} ${f((t.end ?? t1) - t.start)} ms`,
  }));
  add("checkpointer", raw.checkpointOps, (o) => ({
    color: o.status === "error" ? COLORS.error : COLORS[o.op],
    label: o.op,
    title: `${o.saver}.${o.op} ${f((o.end ?? t1) - o.start)} ms, serde ${f(o.serializeMs + o.deserializeMs)} ms, ${kb(o.bytesWritten)} KiB written, ${kb(o.bytesRead)} KiB read`,
  }));

  const laneH = 16;
  let y = 24;
  let body = "";
  for (const g of groups) {
    const h = g.lanes * laneH;
    body += `<text x="4" y="${y + 12}" class="lane">${esc(g.name)}</text><line x1="${left}" x2="${width}" y1="${y + h + 2}" y2="${y + h + 2}" class="sep"/>`;
    for (const b of g.bars) {
      const bx = x(b.start);
      const bw = Math.max(1, x(b.end) - bx);
      const by = y + b.lane * laneH;
      body += `<g class="bar" data-title="${esc(b.title)}"><rect x="${bx.toFixed(1)}" y="${by}" width="${bw.toFixed(1)}" height="${laneH - 3}" fill="${b.color}"><title>${esc(b.title)}</title></rect>`;
      if (bw > b.label.length * 6 + 4) body += `<text x="${(bx + 2).toFixed(1)}" y="${by + 10}" class="in">${esc(b.label)}</text>`;
      body += "</g>";
    }
    y += h + 6;
  }
  let axis = "";
  for (let i = 0; i <= 10; i++) {
    const t = t0 + (span * i) / 10;
    axis += `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="18" y2="${y}" class="grid"/><text x="${x(t).toFixed(1)}" y="12" class="tick">${f(t - t0)} ms</text>`;
  }
  const note = top.length > shown.length ? `<p>Showing the last ${shown.length} of ${top.length} graph runs.</p>` : "";
  return `${note}<svg id="timeline" width="${width}" height="${y + 4}" viewBox="0 0 ${width} ${y + 4}" role="img" aria-label="timeline">${axis}${body}</svg>`;
}

function nodeChart(s: ProfileSummary): string {
  const nodes = s.nodes.slice(0, 30);
  if (nodes.length === 0) return "<p>No nodes recorded.</p>";
  const width = 900;
  const left = 150;
  const max = Math.max(...nodes.map((n) => n.totalMs), 1e-3);
  const sx = (ms: number) => (ms / max) * (width - left - 120);
  let y = 4;
  let out = "";
  for (const n of nodes) {
    let x = left;
    out += `<text x="4" y="${y + 12}" class="lane">${esc(n.node)}</text>`;
    for (const [part, ms, color] of [
      ["self", n.selfMs, COLORS.node],
      ["model", n.modelMs, COLORS.model],
      ["tool", n.toolMs, COLORS.tool],
      ["subgraph", n.subgraphMs, COLORS.hidden],
    ] as const) {
      if (ms <= 0) continue;
      out += `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(1, sx(ms)).toFixed(1)}" height="14" fill="${color}"><title>${esc(`${n.node} ${part}: ${f(ms)} ms`)}</title></rect>`;
      x += sx(ms);
    }
    out += `<text x="${(x + 4).toFixed(1)}" y="${y + 12}" class="tick">${f(n.totalMs)} ms, ${n.count} calls</text>`;
    y += 18;
  }
  const legend = ["self", "model", "tool", "subgraph"]
    .map((p, i) => `<span class="key" style="background:${[COLORS.node, COLORS.model, COLORS.tool, COLORS.hidden][i]}"></span>${p}`)
    .join(" ");
  return `<p>${legend}</p><svg id="nodes" width="${width}" height="${y + 4}" role="img" aria-label="per-node breakdown">${out}</svg>`;
}

function stateChart(s: ProfileSummary): string {
  const threads = new Map<string, typeof s.stateSizes>();
  for (const p of s.stateSizes) {
    const key = `${p.threadId ?? "-"}${p.checkpointNs ? ` / ${p.checkpointNs.split(":")[0]}` : ""}`;
    threads.set(key, [...(threads.get(key) ?? []), p]);
  }
  if (threads.size === 0) return "<p>No checkpoints written (no checkpointer probed).</p>";
  const series = [...threads].slice(0, 8);
  const width = 900;
  const height = 220;
  const left = 70;
  const maxN = Math.max(...series.map(([, pts]) => pts.length), 2);
  const maxB = Math.max(...series.flatMap(([, pts]) => pts.map((p) => p.bytes)), 1);
  const palette = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];
  let out = `<line x1="${left}" x2="${left}" y1="10" y2="${height - 20}" class="sep"/><line x1="${left}" x2="${width}" y1="${height - 20}" y2="${height - 20}" class="sep"/>`;
  out += `<text x="4" y="16" class="tick">${kb(maxB)} KiB</text><text x="4" y="${height - 22}" class="tick">0</text><text x="${width - 160}" y="${height - 4}" class="tick">checkpoint (put) number</text>`;
  series.forEach(([name, pts], i) => {
    const coords = pts.map(
      (p, j) =>
        `${(left + (j / (maxN - 1)) * (width - left - 10)).toFixed(1)},${(height - 20 - (p.bytes / maxB) * (height - 40)).toFixed(1)}`,
    );
    out += `<polyline fill="none" stroke="${palette[i]}" stroke-width="2" points="${coords.join(" ")}"><title>${esc(`thread ${name}: ${kb(pts[pts.length - 1].bytes)} KiB at the last put`)}</title></polyline>`;
    out += `<text x="${left + 10}" y="${24 + i * 14}" class="tick" fill="${palette[i]}">■ thread ${esc(name)}</text>`;
  });
  return `<svg id="state" width="${width}" height="${height}" role="img" aria-label="state size">${out}</svg>`;
}

function table(head: string[], rows: Array<Array<string | number>>): string {
  if (rows.length === 0) return "<p>None.</p>";
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${i ? ' class="n"' : ""}>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</table>`;
}

/** One self-contained HTML page (inline CSS, SVG and a few lines of JS; nothing fetched) for a profile. */
export function renderHtml(s: ProfileSummary, raw: RawProfile, advice: Advice[], options: HtmlOptions = {}): string {
  const title = options.title ?? "fast-langgraph profile";
  const t = s.totals;
  const adviceHtml = advice.length
    ? `<ul>${advice.map((a) => `<li class="${a.severity}"><b>${esc(a.rule)}</b>: ${esc(a.message)}<br><small>evidence: ${esc(a.evidence)}</small></li>`).join("")}</ul>`
    : "<p>No advice: no rule's threshold was crossed.</p>";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}h1{font-size:18px}h2{font-size:15px;margin-top:22px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f4f4}.lane{font-size:11px;fill:#333}.tick{font-size:10px;fill:#666}.in{font-size:9px;fill:#fff;pointer-events:none}
.grid{stroke:#eee}.sep{stroke:#ccc}.bar:hover rect{stroke:#000}li.warn{color:#8a1c1c}.key{display:inline-block;width:10px;height:10px;margin:0 3px 0 10px}
#detail{min-height:1.4em;color:#333;font-family:monospace}
</style></head><body>
<h1>${esc(title)}</h1>
<p>${t.graphRuns} graph runs, ${f(t.runMs)} ms in runs · nodes (self) ${f(t.nodeSelfMs)} ms · models ${f(t.modelMs)} ms · tools ${f(t.toolMs)} ms · checkpointer in flight ${f(t.checkpointMs)} ms (${(t.checkpointShare * 100).toFixed(1)}%)</p>
<h2>Advice</h2>${adviceHtml}
<h2>Timeline</h2><div id="detail">Hover a bar for details.</div>${timeline(s, raw, options.timelineRuns ?? 20)}
<h2>Per-node breakdown</h2>${nodeChart(s)}
${table(
  ["node", "calls", "tasks", "retries", "errors", "total ms", "self ms", "model ms", "tool ms", "p50 ms", "p99 ms"],
  s.nodes.map((n) => [
    n.node,
    n.count,
    n.tasks,
    n.retries,
    n.errors,
    f(n.totalMs),
    f(n.selfMs),
    f(n.modelMs),
    f(n.toolMs),
    f(n.p50Ms),
    f(n.p99Ms),
  ]),
)}
<h2>Model calls</h2>${table(
    [
      "model",
      "calls",
      "total ms",
      "p50 ms",
      "p99 ms",
      "ttft p50 ms",
      "input tokens",
      "output tokens",
      "cache hits",
      "cache misses",
      "repeated prompts",
      "429s",
      "rate-limit wait ms (calls)",
      "retries",
    ],
    s.models.map((m) => [
      m.name,
      m.count,
      f(m.totalMs),
      f(m.p50Ms),
      f(m.p99Ms),
      m.ttft ? f(m.ttft.p50Ms) : "-",
      m.inputTokens,
      m.outputTokens,
      m.cacheHits,
      m.cacheMisses,
      m.repeatedPrompts,
      m.rateLimited,
      m.rateLimitWaits ? `${f(m.rateLimitWaitMs)} (${m.rateLimitWaits})` : "-",
      m.retries,
    ]),
  )}
<h2>Tool calls</h2>${table(
    ["tool", "calls", "total ms", "p50 ms", "p99 ms", "errors"],
    s.tools.map((x) => [x.name, x.count, f(x.totalMs), f(x.p50Ms), f(x.p99Ms), x.errors]),
  )}
<h2>Checkpointer operations</h2>${table(
    ["saver.op", "calls", "total ms", "p50 ms", "p99 ms", "serialize ms", "deserialize ms", "written KiB", "read KiB"],
    s.checkpoints.map((c) => [
      `${c.saver}.${c.op}`,
      c.count,
      f(c.totalMs),
      f(c.p50Ms),
      f(c.p99Ms),
      f(c.serializeMs),
      f(c.deserializeMs),
      kb(c.bytesWritten),
      kb(c.bytesRead),
    ]),
  )}
<h2>State size along the thread</h2>${stateChart(s)}
<script>
(function () {
  var detail = document.getElementById("detail");
  document.querySelectorAll(".bar").forEach(function (bar) {
    bar.addEventListener("mouseenter", function () { detail.textContent = bar.getAttribute("data-title"); });
  });
})();
</script>
</body></html>
`;
}
