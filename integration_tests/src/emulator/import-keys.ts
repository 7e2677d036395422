/**
 * Primary-key index keys of a scanned record (`text\u0001` per key path, as the parsed path and
 * store.ts build them), read from the members' spans in the arena.
 */
import { BAIL } from "./import-bytes.js";
import { CDC_PREFIX } from "./import-record.js";
import type { Shape, ShapeEnd } from "./import-shapes.js";
import { encodeValue, isObject, type Value } from "./values.js";

/** Member index of a path's first name: -1 when absent or a dropped CDC member. */
function memberIndex(node: Shape, path: string[]): number {
  const first = path[0];
  return first === undefined || first.startsWith(CDC_PREFIX) ? -1 : node.names.indexOf(first);
}

/** The stored text at `path` of a record (member spans `sp` in `buf`); undefined if missing. */
export function pathText(buf: Buffer, node: Shape, sp: Int32Array, path: string[]): string | undefined {
  const j = memberIndex(node, path);
  if (j < 0) return undefined;
  const prefix = JSON.stringify(node.names[j]).length + 1;
  const text = buf.toString("utf8", sp[2 * j]! + prefix, sp[2 * j + 1]!);
  if (path.length === 1) return text;
  // Without special floats, parsing stored text gives the converted value back.
  if (text.includes('{"$float":')) throw BAIL;
  let v = JSON.parse(text) as Value | undefined;
  for (let i = 1; i < path.length; i++) {
    const name = path[i] as string;
    v = isObject(v) && Object.hasOwn(v, name) ? v[name] : undefined;
  }
  return v === undefined ? undefined : encodeValue(v, "convex_encoded_json");
}

/**
 * The index key of a record for `paths`, or undefined if a path is missing. The members' first
 * copies (before `membersEnd`) are no longer needed: the byte after a lone key value is
 * overwritten with the separator, and the key decoded in one piece. `ascii`: the record's bytes are.
 */
export function recordKey(
  buf: Buffer,
  node: Shape,
  end: ShapeEnd,
  sp: Int32Array,
  membersEnd: number,
  ascii: boolean,
  paths: string[][],
): string | undefined {
  const path = paths[0];
  if (paths.length !== 1 || path === undefined || path.length !== 1) return joinedKey(buf, node, sp, paths);
  if (end.keyPaths !== paths) {
    // Cached per shape for this request's key paths.
    const j = memberIndex(node, path);
    const name = node.names[j];
    end.keyPaths = paths;
    end.keyMember = j;
    end.keyPrefix = name === undefined ? 0 : JSON.stringify(name).length + 1;
  }
  const j = end.keyMember;
  if (j < 0) return undefined;
  const to = sp[2 * j + 1]!;
  if (to > membersEnd) return joinedKey(buf, node, sp, paths);
  buf[to] = 1;
  return buf.toString(ascii ? "latin1" : "utf8", sp[2 * j]! + end.keyPrefix, to + 1);
}

function joinedKey(buf: Buffer, node: Shape, sp: Int32Array, paths: string[][]): string | undefined {
  let out = "";
  for (const path of paths) {
    const t = pathText(buf, node, sp, path);
    if (t === undefined) return undefined;
    out += `${t}\u0001`;
  }
  return out;
}
