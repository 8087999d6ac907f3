/**
 * PostgreSQL's JSONB refuses two things JavaScript strings may hold: NUL (`\u0000`) and lone UTF-16
 * surrogates (`\ud800` without its pair). The server then says "unsupported Unicode escape sequence"
 * or "invalid input syntax for type json" (SQLSTATE 22P05 / 22P02) without saying where. This finds
 * the first such string (a key or a value) in the checkpoint or metadata JSON of a refused put and
 * names it: `metadata.note`, `checkpoint.versions_seen.node`. Runs only after a refusal.
 */
export function jsonbRefusal(json: Uint8Array, what: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString("utf8"));
  } catch {
    return undefined;
  }
  const stack: [unknown, string][] = [[value, what]];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === "string") {
      const problem = unstorable(v);
      if (problem) return `${path} holds ${problem}`;
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, x] = entries[i];
      const keyPath = Array.isArray(v)
        ? `${path}[${key}]`
        : `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;
      const keyProblem = Array.isArray(v) ? undefined : unstorable(key);
      if (keyProblem) return `the key ${JSON.stringify(key)} in ${path} holds ${keyProblem}`;
      stack.push([x, keyPath]);
    }
  }
  return undefined;
}

function unstorable(text: string): string | undefined {
  const nul = text.indexOf("\u0000");
  if (nul >= 0) return `a NUL character (\\u0000, at index ${nul})`;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) return `a lone surrogate (\\u${c.toString(16)}, at index ${i})`;
  }
  return undefined;
}

/** The refusal of a put whose JSON PostgreSQL would not take, rewritten to name the field; else the error itself. */
export function explainJsonbRefusal(
  error: unknown,
  label: string,
  request: { threadId: string; checkpoint: Uint8Array; metadata: Uint8Array; kind: string },
): unknown {
  const message = (error as Error)?.message ?? "";
  if (request.kind !== "json" || !/22P02|22P05|NUL character|Unicode escape/.test(message)) return error;
  const found = jsonbRefusal(request.metadata, "metadata") ?? jsonbRefusal(request.checkpoint, "checkpoint");
  if (!found) return error;
  return new Error(
    `${label}.put: ${found} of thread ${JSON.stringify(request.threadId)}, which PostgreSQL's JSONB cannot store; nothing was written` +
      " (use well-formed strings without NUL: String.prototype.toWellFormed(), replace \\u0000)",
  );
}
