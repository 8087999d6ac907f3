/**
 * A private template of a decoded value, from which `instantiate()` builds fresh copies that no code
 * can tell from another fresh decode of the same bytes: the same prototypes, the same own properties
 * (keys in the same order, the same attributes), the same primitive values, the same aliasing inside
 * the value (an object reached twice is one object), and the same objects where the decoder itself
 * hands out shared ones (module constants a constructor assigns).
 *
 * A template is built from TWO independent fresh decodes of the same bytes, walked side by side
 * before anyone else holds them: where they hold the same object, that object is shared by every
 * decode and the copies share it too; where they hold different objects, each copy gets its own;
 * where they differ in anything else (a random id, a timestamp, a different shape) there is no
 * template. Only objects whose whole state is their own properties qualify: plain objects, arrays and
 * instances of the classes the decoder constructs (`protos`), extensible, with data properties only.
 * Anything else (Map, Set, Date, typed arrays, errors, DeltaSnapshot, accessors, frozen objects)
 * gives no template, and the caller decodes as before.
 */

const VALUE = 0;
const CHILD = 1;
const ALIAS = 2;

/** One object of the template: how to build it and fill its properties. */
interface TemplateNode {
  /** Index of this node in creation order (aliases point to it). */
  index: number;
  isArray: boolean;
  proto: object | null;
  keys: PropertyKey[];
  kinds: number[];
  /** A primitive or shared object (VALUE), a child node (CHILD), or an earlier node's index (ALIAS). */
  values: unknown[];
  /** Per key: undefined to assign, else the attributes to define it with. */
  define: Array<PropertyDescriptor | undefined> | undefined;
}

/** Thrown to give up building a template (no stack). */
const NO_TEMPLATE = { noTemplate: true };

function plain(d: PropertyDescriptor): boolean {
  return d.writable === true && d.enumerable === true && d.configurable === true;
}

class Builder {
  private readonly seenA = new Map<object, number>();
  private readonly seenB = new Map<object, number>();
  count = 0;

  constructor(private readonly protos: ReadonlySet<object | null>) {}

  /** What to store for the pair (a, b) at one place: [kind, value]. */
  slot(a: unknown, b: unknown, depth: number): [number, unknown] {
    if (a === b) {
      // A primitive, or one object every decode hands out (shared): copies hold the same.
      return [VALUE, a];
    }
    if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
      // Different primitives (or a function that differs): decodes are not deterministic here.
      if (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b)) return [VALUE, a];
      throw NO_TEMPLATE;
    }
    const ia = this.seenA.get(a);
    const ib = this.seenB.get(b);
    if (ia !== undefined || ib !== undefined) {
      if (ia !== ib) throw NO_TEMPLATE;
      return [ALIAS, ia];
    }
    return [CHILD, this.node(a, b, depth)];
  }

  private node(a: object, b: object, depth: number): TemplateNode {
    if (depth > 64) throw NO_TEMPLATE;
    const proto = Object.getPrototypeOf(a);
    if (proto !== Object.getPrototypeOf(b)) throw NO_TEMPLATE;
    const isArray = Array.isArray(a);
    if (isArray !== Array.isArray(b)) throw NO_TEMPLATE;
    if (isArray ? proto !== Array.prototype : !this.protos.has(proto)) throw NO_TEMPLATE;
    if (!Object.isExtensible(a) || !Object.isExtensible(b)) throw NO_TEMPLATE;
    const index = this.count++;
    this.seenA.set(a, index);
    this.seenB.set(b, index);
    const keysA = Reflect.ownKeys(a);
    const keysB = Reflect.ownKeys(b);
    if (keysA.length !== keysB.length) throw NO_TEMPLATE;
    const node: TemplateNode = { index, isArray, proto, keys: [], kinds: [], values: [], define: undefined };
    const length = isArray ? (a as unknown[]).length : 0;
    if (isArray && (b as unknown[]).length !== length) throw NO_TEMPLATE;
    for (let k = 0; k < keysA.length; k++) {
      const key = keysA[k];
      if (key !== keysB[k]) throw NO_TEMPLATE;
      const da = Object.getOwnPropertyDescriptor(a, key) as PropertyDescriptor;
      const db = Object.getOwnPropertyDescriptor(b, key) as PropertyDescriptor;
      if (!("value" in da) || !("value" in db)) throw NO_TEMPLATE;
      if (isArray) {
        // Elements 0..length-1 in order, then `length`, which the copy gets by pushing.
        if (key === "length" && k === length) continue;
        if (key !== String(k) || !plain(da) || !plain(db)) throw NO_TEMPLATE;
      } else {
        if (da.writable !== db.writable || da.enumerable !== db.enumerable || da.configurable !== db.configurable) throw NO_TEMPLATE;
        // Assignment makes an own, plain data property unless the prototype chain has the key
        // (an accessor, a read-only property, `__proto__`): those are defined.
        const assign = plain(da) && (proto === null || !(key in proto));
        if (!assign) {
          node.define ??= [];
          node.define[node.keys.length] = { writable: da.writable, enumerable: da.enumerable, configurable: da.configurable };
        }
      }
      const [kind, value] = this.slot(da.value, db.value, depth + 1);
      node.keys.push(key);
      node.kinds.push(kind);
      node.values.push(value);
    }
    return node;
  }
}

export class ValueTemplate {
  private constructor(
    private readonly kind: number,
    private readonly root: unknown,
    private readonly nodes: number,
  ) {}

  /**
   * The template of two fresh decodes `a` and `b` of the same bytes (see the file's doc), or undefined.
   * `protos` are the prototypes (besides Array.prototype) an object of the value may have.
   */
  static build(a: unknown, b: unknown, protos: ReadonlySet<object | null>): ValueTemplate | undefined {
    const builder = new Builder(protos);
    try {
      const [kind, root] = builder.slot(a, b, 0);
      return new ValueTemplate(kind, root, builder.count);
    } catch (error) {
      if (error === NO_TEMPLATE) return undefined;
      throw error;
    }
  }

  /** A fresh copy, as another fresh decode of the bytes would be. */
  instantiate(): unknown {
    if (this.kind === VALUE) return this.root;
    const made: unknown[] = new Array(this.nodes);
    return make(this.root as TemplateNode, made);
  }
}

function make(node: TemplateNode, made: unknown[]): unknown {
  const { keys, kinds, values, define } = node;
  if (node.isArray) {
    const out: unknown[] = [];
    made[node.index] = out;
    for (let k = 0; k < keys.length; k++) {
      const kind = kinds[k];
      out.push(kind === VALUE ? values[k] : kind === CHILD ? make(values[k] as TemplateNode, made) : made[values[k] as number]);
    }
    return out;
  }
  const out: Record<PropertyKey, unknown> =
    node.proto === Object.prototype ? {} : (Object.create(node.proto) as Record<PropertyKey, unknown>);
  made[node.index] = out;
  for (let k = 0; k < keys.length; k++) {
    const kind = kinds[k];
    const value = kind === VALUE ? values[k] : kind === CHILD ? make(values[k] as TemplateNode, made) : made[values[k] as number];
    const attributes = define?.[k];
    if (attributes === undefined) out[keys[k] as string] = value;
    else Object.defineProperty(out, keys[k], { ...attributes, value });
  }
  return out;
}
