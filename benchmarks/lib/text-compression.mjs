// How benchmark text compresses next to real prose: `node benchmarks/lib/text-compression.mjs [file ...]`
// prints, for ~256 KB of each text, the compression ratio (original / compressed bytes) with zlib
// (deflate level 6, as PostgreSQL's pglz and most HTTP stacks sit near it) and lz4 (the `lz4` CLI,
// default level, when on PATH; PostgreSQL's lz4 TOAST compression is the same algorithm).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

import { VOCABULARY, prose, rng } from "./text.mjs";

const SIZE = 256 * 1024;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const OLD_WORDS = "the agent reads a tool result then plans its next step and writes a short answer for the user".split(" ");
const fill = (next) => {
  let out = "";
  for (let i = 0; out.length < SIZE; i++) out += next(i);
  return out.slice(0, SIZE);
};

const texts = {
  "prose() (benchmarks/lib/text.mjs), 1 KB messages": fill((i) => `${prose(i, 1024)} `),
  "old 19-word cycle (messages-loop.mjs before), 1 KB messages": fill((i) => {
    let out = "";
    for (let j = 0; out.length < 1024; j++) out += `${OLD_WORDS[(i * 7 + j * 13) % OLD_WORDS.length]} `;
    return out.slice(0, 1024);
  }),
  "uniformly random words from the same vocabulary": (() => {
    const random = rng(7);
    return fill(() => `${VOCABULARY[Math.floor(random() * VOCABULARY.length)]} `);
  })(),
};
const real = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [
      "/usr/share/common-licenses/GPL-3",
      "/usr/share/vim/vim90/doc/usr_02.txt",
      "/usr/share/vim/vim90/doc/usr_05.txt",
      path.join(root, "README.md"),
    ];
for (const file of real.filter((f) => fs.existsSync(f))) {
  const body = fs.readFileSync(file, "latin1");
  texts[`real: ${path.relative(root, file).startsWith("..") ? file : path.relative(root, file)}`] = body
    .repeat(Math.ceil(SIZE / body.length))
    .slice(0, Math.min(SIZE, body.length));
}

let lz4 = true;
const lz4Ratio = (text) => {
  if (!lz4) return "-";
  try {
    return (text.length / execFileSync("lz4", ["-c", "-q"], { input: text, maxBuffer: 64 << 20 }).length).toFixed(2);
  } catch {
    lz4 = false;
    return "-";
  }
};
console.log("text | bytes | zlib ratio | lz4 ratio");
for (const [name, text] of Object.entries(texts)) {
  const bytes = Buffer.from(text, "latin1");
  console.log(
    `${name} | ${bytes.length} | ${(bytes.length / zlib.deflateSync(bytes, { level: 6 }).length).toFixed(2)} | ${lz4Ratio(bytes)}`,
  );
}
