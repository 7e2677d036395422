/**
 * The checks of `checkRecord` (Convex's size formula, nesting, fields per object, array length,
 * field names, finite numbers) done on a record's data as bytes, in the one pass that also checks
 * its JSON syntax: nothing is parsed into objects and no string is decoded, so a record costs a
 * scan of its bytes.
 *
 * It only ever answers "accepted, with this size" or "look closer": anything refused, malformed
 * or unusual (duplicate or escaped keys, deep nesting) makes it give up, and the caller then takes
 * the general path (JSON.parse and `checkRecord`), which decides and gives the reason. So the
 * general path alone defines what is refused and how it is reported.
 *
 * Stored field names depend on an object's whole key list (renames and their clashes), so each
 * key list is worked out once and remembered for its position in the data (see key-lists); a
 * later object with the same keys is matched byte by byte, and then only its values are scanned.
 */
import { JSON_SCAN_FAIL, lastNumber, lastString, scanLiteral, scanNumber, scanString, skipWs } from "@convex-airbyte/shared";
import { type KeyEdge, type KeyNode, ObjectShape, ValueSlot } from "./key-lists.js";
import { MAX_ARRAY_LENGTH, MAX_DOCUMENT_NESTING, MAX_OBJECT_FIELDS, SYSTEM_FIELDS_BYTES } from "./validate-record.js";

/** Key-list nodes learned before everything learned is dropped, so memory stays bounded whatever the data. */
const MAX_LEARNED_NODES = 20_000;

const QUOTE = 0x22;
/** Keeps a leading U+FEFF, which is part of the JSON string (the default decoder drops it). */
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Checks records' data; one per writer, as it remembers key lists across records. */
export class DataChecker {
  /** Convex size of the last document checked. */
  size = 0;
  /** The last document's key list, and where each of its values starts and ends in the bytes. */
  shape: ObjectShape | undefined;
  readonly valueStart = new Int32Array(MAX_OBJECT_FIELDS);
  readonly valueEnd = new Int32Array(MAX_OBJECT_FIELDS);
  private readonly valueSize = new Float64Array(MAX_OBJECT_FIELDS);
  /** Top-level slots, by whatever the caller groups documents by (their stream). */
  private readonly roots = new Map<unknown, ValueSlot>();
  private learnedNodes = 0;

  /** `maxLearnedNodes`: key-list nodes learned before everything learned is dropped. */
  constructor(private readonly maxLearnedNodes = MAX_LEARNED_NODES) {}

  /**
   * Checks the JSON object at `i` in `b` as a record's data; `group` picks the remembered key
   * lists (documents of one stream look alike). Returns the index just past the object, with
   * `size`, `shape` and the value spans set, or JSON_SCAN_FAIL.
   */
  checkDocument(b: Uint8Array, i: number, group: unknown): number {
    if (b[i] !== 0x7b) return JSON_SCAN_FAIL;
    if (this.learnedNodes > this.maxLearnedNodes) {
      this.roots.clear();
      this.learnedNodes = 0;
    }
    let root = this.roots.get(group);
    if (root === undefined) {
      root = new ValueSlot();
      this.roots.set(group, root);
    }
    this.size = 0;
    this.shape = undefined;
    return this.object(b, i, root, 0, true);
  }

  /** A value at `i` inside a container nested `depth` levels deep (the top-level object's fields: 1). */
  private value(b: Uint8Array, i: number, slot: ValueSlot, depth: number): number {
    const c = b[i];
    if (c === QUOTE) {
      i = scanString(b, i);
      this.size += lastString.utf8Bytes + 2;
      return i;
    }
    if (c === 0x7b || c === 0x5b) {
      // Deep nesting is refused on the way down, as `checkValue` does.
      if (depth >= MAX_DOCUMENT_NESTING) return JSON_SCAN_FAIL;
      return c === 0x7b ? this.object(b, i, slot, depth, false) : this.array(b, i, slot, depth);
    }
    if (c === 0x74 || c === 0x66 || c === 0x6e) {
      this.size += 1;
      return scanLiteral(b, i);
    }
    i = scanNumber(b, i);
    if (!lastNumber.finite) return JSON_SCAN_FAIL;
    this.size += 9;
    return i;
  }

  private array(b: Uint8Array, i: number, slot: ValueSlot, depth: number): number {
    this.size += 2;
    i = skipWs(b, i + 1);
    if (b[i] === 0x5d) return i + 1;
    const items = slot.items;
    for (let count = 1; ; count++) {
      if (count > MAX_ARRAY_LENGTH) return JSON_SCAN_FAIL;
      i = this.value(b, i, items, depth + 1);
      if (i < 0) return JSON_SCAN_FAIL;
      i = skipWs(b, i);
      const c = b[i];
      if (c === 0x2c) i = skipWs(b, i + 1);
      else if (c === 0x5d) return i + 1;
      else return JSON_SCAN_FAIL;
    }
  }

  /** An object; `top` for the document itself (depth 0), whose fields' spans are recorded. */
  private object(b: Uint8Array, i: number, slot: ValueSlot, depth: number, top: boolean): number {
    // The key list so far, as a node of the slot's trie; past what the trie keeps, as a list.
    let node: KeyNode | undefined = slot.root;
    let keys: string[] | undefined;
    let k = 0;
    i = skipWs(b, i + 1);
    if (b[i] !== 0x7d) {
      for (;; k++) {
        if (b[i] !== QUOTE) return JSON_SCAN_FAIL;
        let child: ValueSlot;
        const edge: KeyEdge | undefined = node?.find(b, i);
        if (edge !== undefined) {
          node = edge.node;
          child = edge.slot;
          i += edge.bytes.length + 2;
        } else {
          if (k >= MAX_OBJECT_FIELDS) return JSON_SCAN_FAIL;
          const end = scanString(b, i);
          if (end < 0 || lastString.escaped) return JSON_SCAN_FAIL;
          const key = decoder.decode(b.subarray(i + 1, end - 1));
          const added = node?.add(key);
          if (added !== undefined) {
            this.learnedNodes++;
            node = added.node;
            child = added.slot;
          } else {
            keys ??= node?.keys() ?? [];
            keys.push(key);
            node = undefined;
            child = new ValueSlot();
          }
          i = end;
        }
        i = skipWs(b, i);
        if (b[i] !== 0x3a) return JSON_SCAN_FAIL;
        i = skipWs(b, i + 1);
        const before = this.size;
        if (top) this.valueStart[k] = i;
        i = this.value(b, i, child, depth + 1);
        if (i < 0) return JSON_SCAN_FAIL;
        if (top) {
          this.valueEnd[k] = i;
          this.valueSize[k] = this.size - before;
        }
        i = skipWs(b, i);
        const c = b[i];
        if (c === 0x2c) i = skipWs(b, i + 1);
        else if (c === 0x7d) {
          k++;
          break;
        } else return JSON_SCAN_FAIL;
      }
    }
    // The closing brace is at i, after k fields.
    const shape = node !== undefined ? node.ended() : ObjectShape.of(keys ?? []);
    if (shape === undefined) return JSON_SCAN_FAIL;
    if (top) {
      this.shape = shape;
      let size = this.size + 2 + SYSTEM_FIELDS_BYTES + shape.topNamesSize;
      if (shape.anyDropped) for (let j = 0; j < k; j++) if (shape.dropped[j]) size -= this.valueSize[j] as number;
      this.size = size;
    } else this.size += 2 + shape.namesSize;
    return i + 1;
  }
}
