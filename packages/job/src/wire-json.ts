import { SerializationError } from './errors';

/**
 * Serialises a value to superjson's wire format (`{ json, meta? }`), so that `SuperJSON.parse`
 * restores it, without going through `SuperJSON.stringify`. Two reasons:
 *
 * - correctness: superjson 1.x does not escape an object key containing `.` when a Date, BigInt,
 *   undefined, ... sits right under it (`{ 'a.b': new Date() }` comes back as a string, and can
 *   overwrite `a.b` of a sibling `a`), and it turns an invalid Date into `null`. Here every path
 *   segment is escaped, and what cannot be represented is refused instead of altered.
 * - speed: data that `JSON.stringify` writes as superjson would (plain JSON, and Dates and
 *   undefined, which only need annotations) costs one validation walk plus the native
 *   `JSON.stringify`; other data one walk that builds superjson's copy and annotations.
 *   Several times faster than superjson's generic walker, which matters on the enqueue hot path.
 *
 * Supported: null, booleans, strings, numbers (NaN, ±Infinity and -0 included), undefined, BigInt,
 * Date, RegExp, Error (name and message), Map, Set, arrays and plain objects. Anything else
 * (functions, symbols, class instances, circular references, invalid Dates, own `__proto__` keys) is a
 * {@link SerializationError} naming where it is. An object reachable twice (not circularly) is
 * written twice and comes back as two equal objects.
 */
export function toSuperJsonText(value: unknown, label = 'value'): string {
  // The common case: V8's native JSON.stringify is the fastest writer there is.
  // One scanning walk is reused (it runs once per job on hot paths); a getter that serialises
  // while a scan runs gets a walk of its own.
  const scanning = sharedScan.busy ? new Walk(label) : sharedScan.reset(label);
  // A Date or undefined at the top level has no path to annotate: the copying walk handles it.
  const topLevelSpecial = value === undefined || value instanceof Date;
  let native = false;
  scanning.busy = true;
  try {
    native = !topLevelSpecial && scanning.scan(value);
  } finally {
    scanning.busy = false;
  }
  if (native) {
    // Read first: a getter serialising from inside JSON.stringify reuses the shared walk.
    const values = scanning.annotationsText;
    const json = JSON.stringify(value);
    // The wrapper written as text: a fresh `{ json, meta }` object per call cost a quarter of the
    // time of stringifying a small job (the annotation object has a new dotted key every time).
    return values === '' ? `{"json":${json}}` : `{"json":${json},"meta":{"values":{${values}}}}`;
  }
  // The rest (BigInt, special numbers, Map, Set, RegExp, Error, ...): a superjson-shaped copy.
  const { json, annotation } = new Walk(label).encode(value);
  return annotation === undefined ? JSON.stringify({ json }) : JSON.stringify({ json, meta: { values: annotation } });
}

/** superjson's type tag of a transformed value, optionally with the annotations of its insides. */
type TypeAnnotation = [string] | [string, AnnotationTree];
/** Annotations of the insides of an object, array, Map or Set, by (escaped, dotted) path. */
type AnnotationTree = { [path: string]: TypeAnnotation };
type Annotation = TypeAnnotation | AnnotationTree;

/** Shared by every annotation of their kind: JSON.stringify only reads them. */
const DATE_ANNOTATION: TypeAnnotation = ['Date'];
const UNDEFINED_ANNOTATION: TypeAnnotation = ['undefined'];
const DATE_ANNOTATION_TEXT = JSON.stringify(DATE_ANNOTATION);
const UNDEFINED_ANNOTATION_TEXT = JSON.stringify(UNDEFINED_ANNOTATION);

const SET_ITEM = Symbol('set item');
const MAP_KEY = Symbol('map key');
/** Followed in the segments by the entry's key, as a string. */
const MAP_VALUE = Symbol('map value');
type Marker = typeof SET_ITEM | typeof MAP_KEY | typeof MAP_VALUE;

interface Encoded {
  json: unknown;
  annotation: Annotation | undefined;
}

class Walk {
  constructor(
    /** Names what is being serialised in errors, e.g. `job SendWelcome`. */
    private label: string,
  ) {}

  /** True while a scan with this walk runs (see the shared walk in `toSuperJsonText`). */
  busy = false;

  /** Ready for another value (after a finished, abandoned or failed walk). */
  reset(label: string): this {
    this.label = label;
    // Emptied only when a walk stopped half-way: setting the length drops the arrays' storage.
    if (this.ancestors.length > 0) this.ancestors.length = 0;
    if (this.segments.length > 0) this.segments.length = 0;
    this.annotationsText = '';
    return this;
  }

  /** The objects being walked, to detect cycles. */
  private readonly ancestors: object[] = [];
  /**
   * Where the walk is: object keys (strings), array indexes (numbers) and Map/Set markers
   * (symbols below). Turned into a readable path only for an error, to keep the walk cheap.
   */
  private readonly segments: Array<string | number | Marker> = [];

  /**
   * Annotations found by {@link scan}, as the members of superjson's flat `meta.values` object
   * (`"escaped.dotted.path":["Date"],…`); empty when there are none.
   */
  annotationsText = '';

  /**
   * Validates `value` and tells whether `JSON.stringify` writes it exactly as superjson's `json`
   * part; meanwhile collects in {@link annotations} what superjson needs to restore it. Dates
   * qualify (their `toJSON` is `toISOString`) and so does undefined (an omitted key or a `null`
   * item, both restored by the annotation); anything else special answers false at once, and the
   * copying walk ({@link encode}) then validates the rest. Paths are built only where an annotation is needed.
   */
  scan(value: unknown): boolean {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return true;
      case 'number':
        return Number.isFinite(value) && !Object.is(value, -0);
      case 'undefined':
        this.annotate(UNDEFINED_ANNOTATION);
        return true;
      case 'bigint':
        return false;
      case 'function':
      case 'symbol':
        throw this.error(`is a ${typeof value}, which cannot be serialised`);
    }
    if (value === null) return true;
    const object = value as object;
    const proto: unknown = Object.getPrototypeOf(object);
    if (proto === Date.prototype && !Object.prototype.hasOwnProperty.call(object, 'toJSON')) {
      if (Number.isNaN((object as Date).getTime())) throw this.error('is an invalid Date, which cannot be serialised');
      this.annotate(DATE_ANNOTATION);
      return true;
    }
    if (Array.isArray(object)) {
      this.enter(object);
      for (let i = 0; i < object.length; i++) {
        this.segments.push(i);
        const native = this.scan(object[i]);
        this.segments.pop();
        if (!native) return false;
      }
    } else if (proto === Object.prototype || proto === null) {
      this.enter(object);
      // for-in with an own-property check: the keys JSON.stringify writes, without a keys array
      for (const key in object) {
        if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
        if (key === '__proto__') throw this.protoKeyError(key);
        this.segments.push(key);
        const native = this.scan((object as Record<string, unknown>)[key]);
        this.segments.pop();
        if (!native) return false;
      }
    } else {
      // Map, Set, RegExp, Error, a Date subclass, or a class instance the copying walk refuses.
      return false;
    }
    this.ancestors.pop();
    return true;
  }

  /** Records the annotation of the value at the current path (never the top level, see toSuperJsonText). */
  private annotate(annotation: TypeAnnotation): void {
    let path = '';
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.escapeSegment(String(this.segments[i]));
      path = i === 0 ? segment : `${path}.${segment}`;
    }
    // Each path is visited once, so no member repeats.
    const member = `${JSON.stringify(path)}:${annotation === DATE_ANNOTATION ? DATE_ANNOTATION_TEXT : UNDEFINED_ANNOTATION_TEXT}`;
    this.annotationsText = this.annotationsText === '' ? member : `${this.annotationsText},${member}`;
  }

  encode(value: unknown): Encoded {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return { json: value, annotation: undefined };
      case 'number':
        if (Number.isFinite(value) && !Object.is(value, -0)) return { json: value, annotation: undefined };
        return { json: Object.is(value, -0) ? '-0' : String(value), annotation: ['number'] };
      case 'undefined':
        return { json: null, annotation: ['undefined'] };
      case 'bigint':
        return { json: value.toString(), annotation: ['bigint'] };
      case 'function':
      case 'symbol':
        throw this.error(`is a ${typeof value}, which cannot be serialised`);
    }
    if (value === null) return { json: null, annotation: undefined };
    const object = value as object;
    if (object instanceof Date) {
      if (Number.isNaN(object.getTime())) throw this.error('is an invalid Date, which cannot be serialised');
      return { json: object.toISOString(), annotation: ['Date'] };
    }
    if (object instanceof RegExp) return { json: String(object), annotation: ['regexp'] };
    if (object instanceof Error) return { json: { name: object.name, message: object.message }, annotation: ['Error'] };
    this.enter(object);
    try {
      if (object instanceof Map) {
        // superjson writes a Map as its entries, [[key, value], ...], annotated by "index.0|1".
        const json: unknown[] = [];
        let tree: AnnotationTree | undefined;
        let i = 0;
        for (const [k, v] of object) {
          this.segments.push(MAP_KEY);
          const key = this.encode(k);
          this.segments.pop();
          this.segments.push(MAP_VALUE, String(k));
          const val = this.encode(v);
          this.segments.pop();
          this.segments.pop();
          json.push([key.json, val.json]);
          let entry: AnnotationTree | undefined;
          if (key.annotation !== undefined) entry = this.addChild(entry, '0', key.annotation);
          if (val.annotation !== undefined) entry = this.addChild(entry, '1', val.annotation);
          if (entry !== undefined) tree = this.addChild(tree, String(i), entry);
          i++;
        }
        return { json, annotation: tree ? ['map', tree] : ['map'] };
      }
      if (object instanceof Set) {
        const inner = this.encodeItems([...object], SET_ITEM);
        return { json: inner.json, annotation: inner.annotation ? ['set', inner.annotation] : ['set'] };
      }
      if (Array.isArray(object)) return this.encodeItems(object, undefined);
      this.assertPlainObject(object);
      const json: Record<string, unknown> = {};
      let tree: AnnotationTree | undefined;
      for (const key of Object.keys(object)) {
        if (key === '__proto__') throw this.protoKeyError(key);
        this.segments.push(key);
        const child = this.encode((object as Record<string, unknown>)[key]);
        json[key] = child.json;
        if (child.annotation !== undefined) tree = this.addChild(tree, key, child.annotation);
        this.segments.pop();
      }
      return { json, annotation: tree };
    } finally {
      this.ancestors.pop();
    }
  }

  /** Array items, or Set items when `marker` is given (errors then say `<item>`, not an index). */
  private encodeItems(items: unknown[], marker: Marker | undefined): { json: unknown[]; annotation: AnnotationTree | undefined } {
    const json: unknown[] = new Array(items.length);
    let tree: AnnotationTree | undefined;
    for (let i = 0; i < items.length; i++) {
      this.segments.push(marker ?? i);
      const child = this.encode(items[i]);
      json[i] = child.json;
      if (child.annotation !== undefined) tree = this.addChild(tree, String(i), child.annotation);
      this.segments.pop();
    }
    return { json, annotation: tree };
  }

  /** Adds a child's annotation under `key`, flattening a child tree into dotted paths as superjson does. */
  private addChild(tree: AnnotationTree | undefined, key: string, annotation: Annotation): AnnotationTree {
    const result = tree ?? {};
    const segment = this.escapeSegment(key);
    if (Array.isArray(annotation)) {
      result[segment] = annotation;
    } else {
      for (const [inner, value] of Object.entries(annotation)) result[`${segment}.${inner}`] = value;
    }
    return result;
  }

  /**
   * superjson's path syntax: segments joined by `.`, a literal dot written `\.`. A key ending in a
   * backslash would read as an escaped dot, so it cannot be expressed.
   */
  private escapeSegment(key: string): string {
    if (key.endsWith('\\')) {
      throw this.error(
        `has the key ${JSON.stringify(key)} (ending in a backslash) above a Date/Map/Set/BigInt/undefined value, which superjson cannot address`,
      );
    }
    return key.includes('.') ? key.replace(/\./g, '\\.') : key;
  }

  private enter(object: object): void {
    if (this.ancestors.includes(object)) throw this.error('contains a circular reference');
    this.ancestors.push(object);
  }

  private assertPlainObject(object: object): void {
    const proto: unknown = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
      throw this.error(`is a ${kind} instance; only plain objects, arrays, Date, Map, Set, BigInt, RegExp and Error are supported`);
    }
  }

  /**
   * An own `__proto__` key: a worker refuses it (superjson's reader would make it the prototype,
   * JSON.parse a plain key), so it is refused here rather than enqueued as a poison message.
   */
  private protoKeyError(key: string): SerializationError {
    this.segments.push(key);
    return this.error("is an own '__proto__' key, which a worker refuses as a prototype-pollution attempt; rename the key");
  }

  private error(what: string): SerializationError {
    let path = '';
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      if (typeof segment === 'number') path += `[${segment}]`;
      else if (segment === SET_ITEM) path += '<item>';
      else if (segment === MAP_KEY) path += '<key>';
      else if (segment === MAP_VALUE) path += `.get(${String(this.segments[++i])})`;
      else path += path === '' ? segment : `.${segment}`;
    }
    return new SerializationError(`${this.label}: ${path || 'the top level'} ${what}`);
  }
}

/** The scanning walk `toSuperJsonText` reuses. */
const sharedScan = new Walk('value');
