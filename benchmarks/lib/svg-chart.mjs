// A dependency-free SVG line chart: axes with ticks, one polyline per series, a legend.

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#e377c2", "#7f7f7f", "#bcbd22"];

function ticks(min, max, log) {
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
    return out;
  }
  const span = max - min || 1;
  const step = 10 ** Math.floor(Math.log10(span / 4));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 6) ?? step * 10;
  const out = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + 1e-9; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

function label(v) {
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** `series`: [{ name, points: [[x, y], ...] }]. Returns an SVG document. */
export function lineChart({ title, xLabel, yLabel, series, logX = false, logY = false, width = 720, height = 420 }) {
  const pad = { left: 70, right: 180, top: 40, bottom: 50 };
  const all = series.flatMap((s) => s.points).filter(([x, y]) => (!logX || x > 0) && (!logY || y > 0));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [logY ? Math.min(...ys) : Math.min(0, ...ys), Math.max(...ys)];
  const fx = (x) => (logX ? Math.log10(x) : x);
  const fy = (y) => (logY ? Math.log10(y) : y);
  const sx = (x) => pad.left + ((fx(x) - fx(x0)) / (fx(x1) - fx(x0) || 1)) * (width - pad.left - pad.right);
  const sy = (y) => height - pad.bottom - ((fy(y) - fy(y0)) / (fy(y1) - fy(y0) || 1)) * (height - pad.top - pad.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  ];
  for (const t of ticks(x0, x1, logX).filter((t) => t >= x0 && t <= x1)) {
    parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${sx(t)}" y="${height - pad.bottom + 16}" text-anchor="middle">${label(t)}</text>`);
  }
  for (const t of ticks(y0, y1, logY).filter((t) => t >= y0 && t <= y1)) {
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${sy(t) + 4}" text-anchor="end">${label(t)}</text>`);
  }
  parts.push(
    `<rect x="${pad.left}" y="${pad.top}" width="${width - pad.left - pad.right}" height="${height - pad.top - pad.bottom}" fill="none" stroke="#999"/>`,
  );
  parts.push(`<text x="${(pad.left + width - pad.right) / 2}" y="${height - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(
    `<text transform="translate(16 ${(pad.top + height - pad.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points
      .filter(([x, y]) => (!logX || x > 0) && (!logY || y > 0))
      .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(" ")}"/>`);
    if (pts.length <= 12)
      for (const p of pts) parts.push(`<circle cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="3" fill="${color}"/>`);
    const ly = pad.top + 10 + i * 20;
    parts.push(
      `<line x1="${width - pad.right + 12}" x2="${width - pad.right + 36}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
    );
    parts.push(`<text x="${width - pad.right + 42}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
