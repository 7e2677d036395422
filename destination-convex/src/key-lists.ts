/**
 * The object key lists the data checker has met, remembered so that a record whose objects have
 * the same keys as earlier ones costs only a byte comparison per key.
 *
 * Each position in the data (a field's value, an array's items) has a `ValueSlot`; its key lists
 * form a trie: one `KeyNode` per list prefix, one edge per next key. Records with optional fields
 * share the nodes of their common prefix. A node where a list ends holds that list's stored names
 * (`ObjectShape`), which depend on the whole list (renames and their clashes).
 */
import { MAX_FIELD_NAME_BYTES, serverFieldName, serverFieldNames } from "./table-names.js";

/** Next keys remembered per node; objects used as maps with ever-new keys stop being learned there. */
const MAX_EDGES = 64;

const encoder = new TextEncoder();

/** Where values of one position in the data are checked: the key lists of its objects, and its items. */
export class ValueSlot {
  private rootNode: KeyNode | undefined;
  private itemSlot: ValueSlot | undefined;

  /** The empty key list, the root of this position's trie. */
  get root(): KeyNode {
    this.rootNode ??= new KeyNode(undefined, "");
    return this.rootNode;
  }

  /** The slot of this array position's items. */
  get items(): ValueSlot {
    this.itemSlot ??= new ValueSlot();
    return this.itemSlot;
  }
}

/** A next key: its bytes (no escapes, so they are its text), and where it leads. */
export interface KeyEdge {
  readonly bytes: Uint8Array;
  readonly node: KeyNode;
  /** Where the value of this key is checked. */
  readonly slot: ValueSlot;
}

/** A key list prefix. */
export class KeyNode {
  readonly edges: KeyEdge[] = [];
  /** The stored names when a list ends here: undefined until worked out, null when the general path must decide. */
  private shape: ObjectShape | null | undefined;

  constructor(
    private readonly parent: KeyNode | undefined,
    /** The last key of the prefix ("" at the root). */
    private readonly key: string,
  ) {}

  /** The keys of this prefix, in order. */
  keys(): string[] {
    const keys: string[] = [];
    for (let n: KeyNode | undefined = this; n?.parent !== undefined; n = n.parent) keys.push(n.key);
    return keys.reverse();
  }

  /** The edge whose key is the string token at `i` in `b` (its opening quote), if one is. */
  find(b: Uint8Array, i: number): KeyEdge | undefined {
    const edges = this.edges;
    for (let e = 0; e < edges.length; e++) {
      const edge = edges[e] as KeyEdge;
      const kb = edge.bytes;
      const n = kb.length;
      // Learned keys hold no quote, backslash or control character, so equal bytes are a valid key.
      if (b[i + 1 + n] !== 0x22) continue;
      let j = 0;
      while (j < n && b[i + 1 + j] === kb[j]) j++;
      if (j === n) return edge;
    }
    return undefined;
  }

  /** Adds the next key `key` (no escapes); undefined when this node has as many as it keeps. */
  add(key: string): KeyEdge | undefined {
    if (this.edges.length >= MAX_EDGES) return undefined;
    const edge = { bytes: encoder.encode(key), node: new KeyNode(this, key), slot: new ValueSlot() };
    this.edges.push(edge);
    return edge;
  }

  /** The stored names of the list ending here, or undefined when the general path must decide. */
  ended(): ObjectShape | undefined {
    if (this.shape === undefined) this.shape = ObjectShape.of(this.keys()) ?? null;
    return this.shape ?? undefined;
  }
}

/** One object key list with the names the server stores it under. */
export class ObjectShape {
  /** Σ (stored name length + 1) over the fields, and over the fields the server keeps at the top level. */
  readonly namesSize: number;
  readonly topNamesSize: number;
  /** At the top level the server drops `_ab_cdc*` fields (after renaming). */
  readonly dropped: readonly boolean[];
  readonly anyDropped: boolean;
  private readonly storedIndex = new Map<string, number>();
  private byKey: Map<string, number> | undefined;

  private constructor(
    readonly keys: readonly string[],
    readonly names: readonly string[],
  ) {
    // Stored names are ASCII (kept ones are printable ASCII, renamed ones a slug), so length is size.
    this.namesSize = names.reduce((n, name) => n + name.length + 1, 0);
    this.dropped = names.map((name) => name.startsWith("source_ab_cdc"));
    this.anyDropped = this.dropped.includes(true);
    this.topNamesSize = names.reduce((n, name, i) => (this.dropped[i] ? n : n + name.length + 1), 0);
  }

  /**
   * The shape of a key list, or undefined where `checkRecord` refuses the names or JSON.parse
   * would not give these keys (a key repeated: the last value wins, at the first key's place).
   */
  static of(keys: readonly string[]): ObjectShape | undefined {
    if (new Set(keys).size !== keys.length) return undefined;
    const stored = serverFieldNames(keys);
    if ("error" in stored) return undefined;
    if (stored.names.some((name) => name.length > MAX_FIELD_NAME_BYTES)) return undefined;
    return new ObjectShape(keys, stored.names);
  }

  /** The index of a key, or -1. */
  indexOf(key: string): number {
    this.byKey ??= new Map(this.keys.map((k, i) => [k, i]));
    return this.byKey.get(key) ?? -1;
  }

  /**
   * The field `storedValue` takes for a stored name: the key itself when the server keeps it,
   * else the first key the server renames to it; -1 when there is none.
   */
  fieldFor(stored: string): number {
    let i = this.storedIndex.get(stored);
    if (i === undefined) {
      i = this.keys.indexOf(stored);
      if (i < 0 || serverFieldName(stored) !== stored) i = this.keys.findIndex((k) => serverFieldName(k) === stored);
      this.storedIndex.set(stored, i);
    }
    return i;
  }
}
