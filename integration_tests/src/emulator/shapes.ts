/**
 * Shape inference and JSON Schema output for /api/json_schemas (§7), reduced to what the export
 * needs: objects of ≤64 identifier fields, unions of ≤16 members, Id(t) detection.
 */
import { decodeId } from "./ids.js";
import { isIdentifier } from "./names.js";
import type { ConvexObject, Format, Value } from "./values.js";

export type Shape =
  | { k: "never" }
  | { k: "unknown" }
  | { k: "record" }
  | { k: "id"; table: string }
  | { k: "null" }
  | { k: "int64" }
  | { k: "float64"; special: boolean }
  | { k: "boolean" }
  | { k: "string" }
  | { k: "bytes" }
  | { k: "object"; fields: Map<string, { shape: Shape; optional: boolean }> }
  | { k: "array"; items: Shape }
  | { k: "union"; members: Shape[] };

const ORDER = ["id", "null", "int64", "float64", "boolean", "string", "bytes", "object", "array", "record", "unknown"];
const MAX_OBJECT_FIELDS = 64;
const MAX_UNION = 16;

export const NEVER: Shape = { k: "never" };

/** `tableOfNumber` names the table an Id string points at, if it exists. */
export function shapeOf(v: Value, tableOfNumber: (n: number) => string | undefined): Shape {
  if (v === null) return { k: "null" };
  switch (typeof v) {
    case "boolean":
      return { k: "boolean" };
    case "bigint":
      return { k: "int64" };
    case "number":
      return { k: "float64", special: !Number.isFinite(v) || Object.is(v, -0) };
    case "string": {
      if (v.length >= 31 && v.length <= 37) {
        const id = decodeId(v);
        const table = id === undefined ? undefined : tableOfNumber(id.tableNumber);
        if (table !== undefined) return { k: "id", table };
      }
      return { k: "string" };
    }
  }
  if (v instanceof Uint8Array) return { k: "bytes" };
  if (Array.isArray(v)) {
    let items: Shape = NEVER;
    for (const x of v) items = mergeShapes(items, shapeOf(x, tableOfNumber));
    return { k: "array", items };
  }
  return objectShape(v, tableOfNumber);
}

function objectShape(o: ConvexObject, tableOfNumber: (n: number) => string | undefined): Shape {
  const names = Object.keys(o);
  if (names.length > MAX_OBJECT_FIELDS || !names.every(isIdentifier)) return { k: "record" };
  const fields = new Map<string, { shape: Shape; optional: boolean }>();
  for (const n of names) fields.set(n, { shape: shapeOf(o[n] as Value, tableOfNumber), optional: false });
  return { k: "object", fields };
}

function sameKind(a: Shape, b: Shape): boolean {
  if (a.k !== b.k) return false;
  return a.k !== "id" || a.table === (b as { table: string }).table;
}

function mergeSame(a: Shape, b: Shape): Shape {
  if (a.k === "float64" && b.k === "float64") return { k: "float64", special: a.special || b.special };
  if (a.k === "array" && b.k === "array") return { k: "array", items: mergeShapes(a.items, b.items) };
  if (a.k === "object" && b.k === "object") {
    const fields = new Map<string, { shape: Shape; optional: boolean }>();
    for (const [n, f] of a.fields) {
      const g = b.fields.get(n);
      fields.set(
        n,
        g === undefined ? { shape: f.shape, optional: true } : { shape: mergeShapes(f.shape, g.shape), optional: f.optional || g.optional },
      );
    }
    for (const [n, g] of b.fields) if (!a.fields.has(n)) fields.set(n, { shape: g.shape, optional: true });
    if (fields.size > MAX_OBJECT_FIELDS) return { k: "record" };
    return { k: "object", fields };
  }
  return a;
}

export function mergeShapes(a: Shape, b: Shape): Shape {
  if (a.k === "never") return b;
  if (b.k === "never") return a;
  if (a.k === "unknown" || b.k === "unknown") return { k: "unknown" };
  const members = a.k === "union" ? [...a.members] : [a];
  for (const m of b.k === "union" ? b.members : [b]) {
    const i = members.findIndex((x) => sameKind(x, m));
    if (i >= 0) members[i] = mergeSame(members[i] as Shape, m);
    else members.push(m);
  }
  if (members.length === 1) return members[0] as Shape;
  if (members.length > MAX_UNION) return { k: "unknown" };
  members.sort((x, y) => ORDER.indexOf(x.k) - ORDER.indexOf(y.k));
  return { k: "union", members };
}

const q = JSON.stringify;

/** The JSON Schema text of a shape, with the server's key order. */
export function shapeSchema(s: Shape, format: Format, top?: { table: string; extraProps: string }): string {
  const topLevelTable = top?.table;
  switch (s.k) {
    case "never":
      return "false";
    case "unknown":
    case "record":
      return "{}";
    case "id":
      return `{"$description":${q(`Id(${s.table})`)},"type":"string"}`;
    case "null":
      return '{"type":"null"}';
    case "boolean":
      return '{"type":"boolean"}';
    case "string":
      return '{"type":"string"}';
    case "int64":
      if (format === "json") return '{"$description":"int64 represented as base10 string","type":"string"}';
      if (format === "export_json") return '{"$description":"int64","type":"number"}';
      return '{"$description":"int64","type":"object","properties":{"$integer":{"$description":"int64 -> little-endian -> base64","type":"string"}}}';
    case "float64":
      if (!s.special) return '{"type":"number"}';
      if (format === "json") {
        return '{"$description":"float64","anyOf":[{"type":"number"},{"type":"string","$description":"-inf, inf, or NaN"}]}';
      }
      return `{"$description":"float64","anyOf":[{"type":"number"},{"type":"object","$description":${format === "export_json" ? '"-inf, inf, or NaN"' : '"-0, -inf, inf, or NaN"'},"properties":{"$float":{"type":"string"}}}]}`;
    case "bytes":
      if (format === "json") return '{"$description":"base64 bytes","type":"string"}';
      return '{"type":"object","$description":"base64 bytes","properties":{"$bytes":{"type":"string"}}}';
    case "array":
      return `{"type":"array","items":${shapeSchema(s.items, format)}}`;
    case "union":
      return `{"anyOf":[${s.members.map((m) => shapeSchema(m, format)).join(",")}]}`;
    case "object": {
      const names = [...s.fields.keys()].sort();
      const props = names.map((n) => {
        const f = s.fields.get(n) as { shape: Shape };
        if (topLevelTable !== undefined && n === "_id") return `"_id":{"$description":${q(`Id(${topLevelTable})`)},"type":"string"}`;
        if (topLevelTable !== undefined && n === "_creationTime") return `"_creationTime":{"type":"number"}`;
        return `${q(n)}:${shapeSchema(f.shape, format)}`;
      });
      const required = names.filter((n) => !(s.fields.get(n) as { optional: boolean }).optional);
      if (top !== undefined && top.extraProps !== "") props.push(top.extraProps);
      return `{"type":"object","properties":{${props.join(",")}},"additionalProperties":false,"required":${q(required)}}`;
    }
  }
}
