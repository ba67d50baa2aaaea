/** The JSON text of a value as the router's transformer writes it (`data:` without the field). */
export type Serialize = (value: unknown) => string;

/**
 * The fields a recipient's value has of its own, beside the shared part: strings, so a
 * transformer writes them as they are (superjson adds nothing to its `meta` for them).
 */
export type OwnFields<TValue, TShared> = {
  [K in Exclude<keyof TValue, keyof TShared>]: string;
};

/** The shared part's wire text around each own field, for one serializer. */
interface Template {
  serialize: Serialize;
  /** The value's keys in order, as the template was made for them. */
  keys: readonly string[];
  /** For each key, whether it is an own field (its text is spliced in per value). */
  own: readonly boolean[];
  /** `parts[0] + field 0 + parts[1] + … + parts[n]`; null: this value cannot be spliced. */
  parts: readonly string[] | null;
}

/** Each value handed out by `attach` → the payload it shares its text with. */
const attached = new WeakMap<object, SharedPayload<object>>();

/**
 * One payload that many streams send, each with a few string fields of its own (an upload
 * told to thousands of followers, each with their own notification id). The shared part is
 * serialized once, through the router's transformer, on the first stream that writes one
 * of its values; each value then costs a few string concatenations instead of a whole
 * serialization.
 *
 * The values stay the plain objects the caller built: a procedure yields them as it would
 * any value, and every other caller (`createCaller`, tRPC's own transports) sees nothing
 * unusual. They are tied to their payload through a `WeakMap` here rather than a property
 * on the value: an enumerable symbol would show in `toEqual` and survive a spread, and a
 * non-enumerable one (`Object.defineProperty`) costs about three `WeakMap.set`s, on every
 * recipient of every upload.
 *
 * The shared part is deep-frozen, since its text is kept; Dates inside it must not be
 * changed either (`setTime` ignores a freeze). A value changed after `attach` (a field
 * replaced, added or removed) is noticed when it is written and serialized whole.
 */
export class SharedPayload<TShared extends object> {
  readonly #shared: TShared;
  #template: Template | null = null;

  constructor(shared: TShared) {
    deepFreeze(shared);
    this.#shared = shared;
  }

  /** The shared part, frozen. */
  get shared(): TShared {
    return this.#shared;
  }

  /**
   * Ties `value` (the shared part's fields, as they are, plus its own string fields) to
   * this payload and returns it unchanged. Built by the caller, field by field, because
   * that is several times cheaper than a spread of the shared part.
   */
  attach<TValue extends TShared>(value: TValue & OwnFields<TValue, TShared>): TValue {
    attached.set(value, this);
    return value;
  }

  /** The value's wire text from the kept template, or null when it must be serialized whole. */
  textOf(value: object, serialize: Serialize): string | null {
    const template = this.#template;
    if (template?.serialize !== serialize) return this.#firstText(value, serialize);
    return template.parts ? this.#splice(template, template.parts, value) : null;
  }

  #splice(template: Template, parts: readonly string[], value: object): string | null {
    const { keys, own } = template;
    const fields = value as Record<string, unknown>;
    const shared = this.#shared as Record<string, unknown>;
    let index = 0;
    let text = parts[0] ?? '';
    let part = 1;
    // `for…in` walks the key order without allocating an array per value.
    for (const key in fields) {
      if (key !== keys[index]) return null;
      const field = fields[key];
      if (own[index]) {
        if (typeof field !== 'string') return null;
        text += JSON.stringify(field) + (parts[part] ?? '');
        part += 1;
      } else if (!Object.is(field, shared[key])) {
        return null;
      }
      index += 1;
    }
    return index === keys.length ? text : null;
  }

  /**
   * Serializes the shared part once, with a placeholder string for each own field, in the
   * key order of `value`, and cuts the text at the placeholders. Whether splicing is right
   * for this transformer is checked on the spot: `value`'s spliced text must equal its
   * whole serialization, or every value of this payload is serialized whole.
   */
  #firstText(value: object, serialize: Serialize): string | null {
    const fields = value as Record<string, unknown>;
    const shared = this.#shared as Record<string, unknown>;
    const keys = Object.keys(fields);
    const own = keys.map((key) => !Object.hasOwn(shared, key));
    const probe: Record<string, unknown> = {};
    const placeholders: string[] = [];
    for (const [index, key] of keys.entries()) {
      if (own[index]) {
        const placeholder = `\u0000trpc-sse:${placeholders.length}\u0000`;
        placeholders.push(JSON.stringify(placeholder));
        probe[key] = placeholder;
      } else {
        probe[key] = shared[key];
      }
    }
    const unusable: Template = { serialize, keys, own, parts: null };
    const whole = serialize(probe);
    const parts: string[] = [];
    let from = 0;
    for (const placeholder of placeholders) {
      const at = whole.indexOf(placeholder, from);
      // Absent (the transformer rewrote strings) or twice (it copies them elsewhere too).
      if (at === -1 || whole.indexOf(placeholder, at + placeholder.length) !== -1) {
        this.#template = unusable;
        return null;
      }
      parts.push(whole.slice(from, at));
      from = at + placeholder.length;
    }
    parts.push(whole.slice(from));
    const template: Template = { serialize, keys, own, parts };
    const text = this.#splice(template, parts, value);
    // A value that does not match its payload says nothing about the template: try the next.
    if (text === null) return null;
    this.#template = text === serialize(value) ? template : unusable;
    return this.#template.parts ? text : null;
  }
}

/**
 * The wire text of a stream's value: spliced from its payload's template when the value
 * came from `SharedPayload.attach`, else the transformer's whole serialization.
 */
export function payloadText(value: unknown, serialize: Serialize): string {
  if (typeof value === 'object' && value !== null) {
    const payload = attached.get(value);
    if (payload) return payload.textOf(value, serialize) ?? serialize(value);
  }
  return serialize(value);
}

function deepFreeze(value: object) {
  if (Object.isFrozen(value)) return;
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null && !(inner instanceof Date)) deepFreeze(inner);
  }
  Object.freeze(value);
}
