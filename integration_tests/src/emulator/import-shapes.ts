/**
 * The scanner's memory of object shapes: a tree of the key sequences seen before, matched by the
 * keys' raw tokens. A node holds its keys' sanitized names, and once an object ends there, the
 * sorted member order as runs of members that are adjacent in key order (copied in one piece).
 */
import { CDC_DELETED, CDC_PREFIX } from "./import-record.js";
import { sortedOrder } from "./member-order.js";

export interface Shape {
  /** Sanitized names of the key sequence, in key order. */
  readonly names: string[];
  /** `"name":` of the last name, as bytes, and as `wordsOf` them (written four bytes at a time). */
  readonly prefix: Uint8Array;
  readonly prefixWords: Int32Array;
  /** The last key's token is `"name"` as it is: its member text is the body's text. */
  readonly verbatim: boolean;
  /** valueSize of the last name's member besides its value: the name's bytes and 1. */
  readonly memberSize: number;
  /** The last name is a CDC field; the CDC deleted flag. */
  readonly cdc: boolean;
  readonly deletedAt: boolean;
  readonly edges: Edge[];
  /** Filled when an object ends here; null when its names repeat (the parsed path decides). */
  end: ShapeEnd | null | undefined;
}

export interface Edge {
  /** The key's raw token, quotes included. */
  readonly token: Uint8Array;
  /**
   * The token as little-endian int32s, compared four bytes at a time: its whole groups, the last
   * one ending where the token ends (overlapping the one before; none for a token of 3 bytes).
   */
  readonly words: Int32Array;
  readonly next: Shape;
}

/**
 * Sorted member order as runs `[first, last]` of member indexes (pairs in one array): members
 * `first..last` are adjacent in the input, in sorted order, so their text (commas included) is
 * copied at once.
 */
export interface ShapeEnd {
  /** All members (nested objects); null when the input order is already sorted. */
  readonly runs: Int32Array | null;
  /** Top level: the non-CDC members that sort before `_creationTime`, and after `_id`. */
  readonly head: Int32Array;
  readonly tail: Int32Array;
  /** The one-name key paths last looked up here: its member (-1: none) and the length of its `"name":`. */
  keyPaths: string[][] | undefined;
  keyMember: number;
  keyPrefix: number;
}

const SHAPE_LIMIT = 20_000;
export const EDGE_LIMIT = 32;
let shapeCount = 0;
let root = newShape([], new Uint8Array(0), false);

export function shapeRoot(): Shape {
  return root;
}

function newShape(names: string[], prefix: Uint8Array, verbatim: boolean): Shape {
  shapeCount++;
  const last = names[names.length - 1] ?? "";
  // Sanitized names are printable ASCII: one byte per character.
  const memberSize = last.length + 1;
  return { names, prefix, prefixWords: wordsOf(prefix), verbatim, memberSize, cdc: last.startsWith(CDC_PREFIX), deletedAt: last === CDC_DELETED, edges: [], end: undefined };
}

/** The node after `node` for a key token `token` (own bytes) whose key sanitizes to `name`. */
export function addShape(node: Shape, token: Uint8Array, key: string, name: string, escaped: boolean): Shape {
  const prefix = Buffer.from(`${JSON.stringify(name)}:`, "latin1");
  const next = newShape([...node.names, name], prefix, !escaped && key === name);
  if (shapeCount > SHAPE_LIMIT) {
    // A bounded tree: ever-new shapes start it afresh (nodes in use stay valid).
    shapeCount = 0;
    root = newShape([], new Uint8Array(0), false);
  } else if (node.edges.length < EDGE_LIMIT) {
    node.edges.push({ token, words: wordsOf(token), next });
  }
  return next;
}

/**
 * `bytes` as little-endian int32s: its whole groups of four, the last one ending where the bytes
 * end (overlapping the one before); none for fewer than four bytes.
 */
function wordsOf(bytes: Uint8Array): Int32Array {
  const words = new Int32Array(bytes.length < 4 ? 0 : (bytes.length + 3) >> 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let j = 0; j < words.length; j++) words[j] = view.getInt32(Math.min(4 * j, bytes.length - 4), true);
  return words;
}

/** The member order of objects ending at `node`; null when two names are equal. */
export function shapeEnd(node: Shape): ShapeEnd | null {
  if (node.end !== undefined) return node.end;
  const names = node.names;
  const order = sortedOrder(names);
  let end: ShapeEnd | null = null;
  if (order.every((j, k) => k === 0 || names[j] !== names[order[k - 1] as number])) {
    // No sanitized name starts with `_`: the system fields go between names below and above it.
    let split = 0;
    while (split < order.length && (names[order[split] as number] as string) < "_") split++;
    const user = (j: number) => !(names[j] as string).startsWith(CDC_PREFIX);
    end = {
      runs: order.every((j, k) => j === k) ? null : runsOf(order),
      head: runsOf(order.slice(0, split).filter(user)),
      tail: runsOf(order.slice(split).filter(user)),
      keyPaths: undefined,
      keyMember: -1,
      keyPrefix: 0,
    };
  }
  node.end = end;
  return end;
}

function runsOf(order: number[]): Int32Array {
  const runs: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const j = order[k] as number;
    if (k > 0 && j === (runs[runs.length - 1] as number) + 1) runs[runs.length - 1] = j;
    else runs.push(j, j);
  }
  return Int32Array.from(runs);
}
