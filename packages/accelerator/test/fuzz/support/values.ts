import { AIMessage, type BaseMessage, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";

/** A small deterministic PRNG (mulberry32): a command's choices follow from its seed and the model state. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** What the storage under test can hold; references that cannot hold a kind of string are not given it. */
export interface ValueLimits {
  /** Lone surrogates ("\ud83c"): not valid UTF-16, so lossy wherever text is converted to UTF-8. */
  loneSurrogates: boolean;
  /** NUL characters in values (JSONB refuses them in the checkpoint head and metadata). */
  nul: boolean;
}

const PLAIN_TEXTS = ["", "hello", "ünïcödé façade", "emoji 😀 pair", 'line\nbreak "quoted" \\ back', "x".repeat(300)];
const LONE = ["lone \ud83c high", "\udc00 low first", "user-\ud83d"];

export function text(rng: Rng, limits: ValueLimits): string {
  const pool = [...PLAIN_TEXTS, ...(limits.loneSurrogates ? LONE : []), ...(limits.nul ? ["nul\u0000inside"] : [])];
  return `${rng.pick(pool)}${rng.chance(0.5) ? ` #${rng.int(1000)}` : ""}`;
}

let messageCounter = 0;
/** A fresh id for a message (LangGraph's reducer gives every message an id before it is stored). */
export function messageId(): string {
  messageCounter += 1;
  return `msg-${messageCounter}`;
}

/** One LangChain message of a random class, with nested fields to edit later. */
export function newMessage(rng: Rng, limits: ValueLimits, id = messageId()): BaseMessage {
  const content = rng.chance(0.2) ? [{ type: "text", text: text(rng, limits) }] : text(rng, limits);
  switch (rng.int(4)) {
    case 0:
      return new HumanMessage({ content, id, additional_kwargs: rng.chance(0.3) ? { meta: { tags: ["a"], depth: { n: 1 } } } : {} });
    case 1:
      return new AIMessage({
        content,
        id,
        tool_calls: rng.chance(0.6)
          ? [
              {
                id: `call-${id}`,
                name: "lookup",
                args: { q: text(rng, limits), opts: { deep: { list: [1, 2], flag: true } } },
                type: "tool_call",
              },
            ]
          : [],
        additional_kwargs: { extra: { nested: { value: rng.int(100) } } },
        response_metadata: { model: "fake", usage: { tokens: rng.int(50) } },
      });
    case 2:
      return new ToolMessage({
        content: typeof content === "string" ? content : "tool",
        tool_call_id: `call-${rng.int(9)}`,
        id,
        name: "lookup",
      });
    default:
      return new SystemMessage({ content, id });
  }
}

/** A plain JSON-ish object with nesting. */
export function plainObject(rng: Rng, limits: ValueLimits): Record<string, unknown> {
  return {
    name: text(rng, limits),
    n: rng.pick([0, 1, -1, 2.5, 1e21, -0, Number.MAX_SAFE_INTEGER]),
    flag: rng.chance(0.5),
    none: null,
    nested: { list: [rng.int(10), text(rng, limits)], deeper: { k: rng.int(5) } },
  };
}

export function scalar(rng: Rng, limits: ValueLimits): unknown {
  return rng.pick([() => text(rng, limits), () => rng.int(1000), () => rng.next() * 10 - 5, () => rng.chance(0.5), () => null])();
}

type Mutable = Record<string, unknown>;

/**
 * Changes `value` in place somewhere at depth (the way node code edits state it was handed) and
 * says what it did; returns undefined when there is nothing mutable in it.
 */
export function mutateInPlace(rng: Rng, value: unknown, limits: ValueLimits): string | undefined {
  if (Array.isArray(value)) {
    const messages = value.filter(
      (m): m is BaseMessage => m !== null && typeof m === "object" && typeof (m as BaseMessage).getType === "function",
    );
    if (messages.length > 0 && rng.chance(0.75)) {
      const choice = rng.int(8);
      if (choice === 0) {
        const m = newMessage(rng, limits);
        value.push(m);
        return `messages.push(${m.getType()} ${m.id})`;
      }
      const m = rng.pick(messages) as BaseMessage & Mutable;
      const t = text(rng, limits);
      switch (choice) {
        case 1:
          m.content = `edited ${t}`;
          return `message ${m.id}.content = "edited ..."`;
        case 2:
          if (Array.isArray(m.content) && m.content.length > 0) {
            (m.content[0] as Mutable).text = `edited block ${t}`;
            return `message ${m.id}.content[0].text edited`;
          }
          m.content = [{ type: "text", text: `block ${t}` }];
          return `message ${m.id}.content = [block]`;
        case 3: {
          const calls = (m as unknown as AIMessage).tool_calls;
          if (calls && calls.length > 0) {
            ((calls[0].args as Mutable).opts as Mutable).deep = { list: [9, 9, 9], edited: t };
            return `message ${m.id}.tool_calls[0].args.opts.deep edited`;
          }
          m.name = `renamed ${rng.int(9)}`;
          return `message ${m.id}.name edited`;
        }
        case 4:
          m.additional_kwargs = { ...(m.additional_kwargs as object) };
          if (!(m.additional_kwargs as Mutable).extra) (m.additional_kwargs as Mutable).extra = {};
          ((m.additional_kwargs as Mutable).extra as Mutable).nested = { value: `edited ${t}` };
          return `message ${m.id}.additional_kwargs.extra.nested edited`;
        case 5:
          if (!m.response_metadata) m.response_metadata = {};
          (m.response_metadata as Mutable).edited = t;
          return `message ${m.id}.response_metadata.edited set`;
        case 6:
          m.id = `${m.id}-renamed`;
          return `message id renamed to ${m.id}`;
        default: {
          const kw = m.additional_kwargs as Mutable | undefined;
          if (kw && typeof kw.meta === "object" && kw.meta) {
            ((kw.meta as Mutable).depth as Mutable).n = 99;
            return `message ${m.id}.additional_kwargs.meta.depth.n = 99`;
          }
          m.content = `${typeof m.content === "string" ? m.content : ""}+`;
          return `message ${m.id}.content += "+"`;
        }
      }
    }
    if (value.length > 0 && rng.chance(0.5)) {
      const i = rng.int(value.length);
      const inner = mutateInPlace(rng, value[i], limits);
      if (inner) return `[${i}] ${inner}`;
    }
    value.push(rng.chance(0.5) ? plainObject(rng, limits) : scalar(rng, limits));
    return "array.push(...)";
  }
  if (value !== null && typeof value === "object") {
    const obj = value as Mutable;
    const keys = Object.keys(obj);
    const nestedKey = keys.find((k) => obj[k] !== null && typeof obj[k] === "object");
    if (nestedKey && rng.chance(0.6)) {
      const inner = mutateInPlace(rng, obj[nestedKey], limits);
      if (inner) return `.${nestedKey}${inner.startsWith("[") ? "" : " "}${inner}`;
    }
    const key = rng.chance(0.5) && keys.length > 0 ? rng.pick(keys) : `added${rng.int(5)}`;
    obj[key] = scalar(rng, limits);
    return `.${key} = ...`;
  }
  return undefined;
}
