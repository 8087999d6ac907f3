import {
  AIMessage,
  AIMessageChunk,
  ChatMessage,
  ChatMessageChunk,
  FunctionMessage,
  FunctionMessageChunk,
  HumanMessage,
  HumanMessageChunk,
  SystemMessage,
  SystemMessageChunk,
  ToolMessage,
  ToolMessageChunk,
} from "@langchain/core/messages";
import { ChatGenerationChunk, GenerationChunk } from "@langchain/core/outputs";

/**
 * The classes a cached value may hold instances of: LangChain's messages and generation chunks. They
 * keep all their state in own properties (no private fields), so an instance is rebuilt exactly from
 * its class and its own properties.
 */
type Ctor = abstract new (...args: never[]) => object;

const CLASSES: Record<string, Ctor> = {
  AIMessage,
  AIMessageChunk,
  HumanMessage,
  HumanMessageChunk,
  SystemMessage,
  SystemMessageChunk,
  ToolMessage,
  ToolMessageChunk,
  ChatMessage,
  ChatMessageChunk,
  FunctionMessage,
  FunctionMessageChunk,
  ChatGenerationChunk,
  GenerationChunk,
};

/** Classes by name, looked up as own entries only (a name such as "constructor" finds nothing). */
const byName = new Map<string, Ctor>(Object.entries(CLASSES));
const nameOf = new Map<object, string>(Object.entries(CLASSES).map(([name, ctor]) => [ctor.prototype, name]));

/** The ancestors a LangChain message or chunk class may have, for classes of another copy of @langchain/core. */
const ANCESTORS = new Set(["BaseMessage", "BaseMessageChunk", "GenerationChunk", "Serializable", "Object"]);

export function classByName(name: string): Ctor | undefined {
  return byName.get(name);
}

/** The name this module's copy of @langchain/core gives `proto`, if it is one of the classes. */
export function knownName(proto: object): string | undefined {
  return nameOf.get(proto);
}

/**
 * Whether `proto` is one of the classes in another copy of @langchain/core loaded in this process (its
 * CommonJS build beside the ESM one): the class's name and every ancestor's are LangChain's own.
 */
export function isLangChainClassOfAnotherCopy(proto: object): boolean {
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name !== "string" || !byName.has(name)) return false;
  for (let p = Object.getPrototypeOf(proto); p !== null; p = Object.getPrototypeOf(p)) {
    const ancestor = Object.hasOwn(p, "constructor") ? (p.constructor as { name?: unknown }).name : undefined;
    if (typeof ancestor !== "string" || !ANCESTORS.has(ancestor)) return false;
  }
  return true;
}

/**
 * A fresh instance built by the class's constructor (so a field that a newer @langchain/core adds is
 * there with its default), for values read from a persistent tier. The caller then sets every stored field.
 */
export function constructed(ctor: Ctor): object {
  const Class = ctor as unknown as new (fields: unknown) => object;
  if (ctor === ChatGenerationChunk) return new Class({ text: "", message: new AIMessageChunk("") });
  if (ctor === GenerationChunk) return new Class({ text: "" });
  return new Class({ content: "", tool_call_id: "", role: "", name: "" });
}

const assignable = new Map<Ctor, ReadonlySet<string>>();

/**
 * The own properties every `constructed(ctor)` instance has as writable, enumerable, configurable data
 * properties (learned once per class from a sample): assigning one of them on a fresh instance is the
 * same as defining it.
 */
export function assignableKeys(ctor: Ctor): ReadonlySet<string> {
  let keys = assignable.get(ctor);
  if (keys === undefined) {
    const sample = Object.getOwnPropertyDescriptors(constructed(ctor));
    keys = new Set(
      Object.entries(sample)
        .filter(([, d]) => "value" in d && d.writable && d.enumerable && d.configurable)
        .map(([k]) => k),
    );
    assignable.set(ctor, keys);
  }
  return keys;
}

/**
 * Classes of other copies met by in-process ("exact") caches, by index: such a cache keeps them by
 * identity, so a hit is an instance of the very class the model built.
 */
const learned: object[] = [];
const learnedIndexes = new Map<object, number>();

export function learnedIndex(proto: object): number {
  let index = learnedIndexes.get(proto);
  if (index === undefined) {
    index = learned.push(proto) - 1;
    learnedIndexes.set(proto, index);
  }
  return index;
}

export function learnedPrototype(index: number): object | undefined {
  return Number.isInteger(index) && index >= 0 && index < learned.length ? learned[index] : undefined;
}
