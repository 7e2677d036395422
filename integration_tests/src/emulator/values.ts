/**
 * Convex values and their three wire encodings (`json`, `convex_encoded_json`, `export_json`).
 * Encoders write JSON text directly so int64 and float formatting match the Rust server exactly.
 */

/** A Convex value. `bigint` is Int64, `number` is Float64, `Uint8Array` is Bytes. */
export type Value = null | boolean | number | bigint | string | Uint8Array | Value[] | ConvexObject;
export interface ConvexObject {
  [field: string]: Value;
}

export type Format = "json" | "convex_encoded_json" | "export_json";

/** Maps a `format` parameter to its variant (ValueFormat::from_str aliases). */
export function parseFormat(s: string | undefined): Format | undefined {
  switch (s ?? "json") {
    case "json":
    case "convex_clean_json":
      return "json";
    case "convex_encoded_json":
    case "convex_json":
      return "convex_encoded_json";
    case "export_json":
      return "export_json";
    default:
      return undefined;
  }
}

export function isObject(v: Value | undefined): v is ConvexObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Formats a finite float the way serde_json (ryu) does: `1.0`, `0.1`, `1e21`, `1.5e-7`. */
export function formatFloat(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // Fast paths where JS's own shortest round-trip text already has ryu's layout: integers below
  // 10^16 (plus ".0") and other values in [1e-5, 1e16), which JS prints in plain decimal.
  const abs = x < 0 ? -x : x;
  if (abs < 1e16) {
    if (Number.isInteger(x)) return `${x}.0`;
    if (abs >= 1e-5) return `${x}`;
  } else if (abs < 1e21) {
    // JS prints these integers as their shortest digits padded with zeros; ryu as d.ddde<exp>.
    const s = `${abs}`;
    let end = s.length;
    while (s.charCodeAt(end - 1) === 48) end--;
    const mantissa = end === 1 ? s[0] : `${s[0]}.${s.slice(1, end)}`;
    return `${x < 0 ? "-" : ""}${mantissa}e${s.length - 1}`;
  }
  return formatFloatSlow(x);
}

function formatFloatSlow(x: number): string {
  const neg = x < 0;
  // toExponential() with no argument yields the shortest round-trip digits, like ryu.
  const exp = Math.abs(x).toExponential();
  const eAt = exp.indexOf("e");
  const digits = exp.slice(0, eAt).replace(".", "");
  const e = Number(exp.slice(eAt + 1));
  const len = digits.length;
  const kk = e + 1; // 10^(kk-1) <= |x| < 10^kk
  let out: string;
  if (kk >= len && kk <= 16) {
    out = `${digits}${"0".repeat(kk - len)}.0`;
  } else if (kk > 0 && kk <= 16) {
    out = `${digits.slice(0, kk)}.${digits.slice(kk)}`;
  } else if (kk > -5 && kk <= 0) {
    out = `0.${"0".repeat(-kk)}${digits}`;
  } else if (len === 1) {
    out = `${digits}e${kk - 1}`;
  } else {
    out = `${digits[0]}.${digits.slice(1)}e${kk - 1}`;
  }
  return neg ? `-${out}` : out;
}

export function bytesToBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}

function int64ToBase64(v: bigint): string {
  const buf = Buffer.alloc(8);
  buf.writeBigInt64LE(v);
  return buf.toString("base64");
}

function float64ToBase64(v: number): string {
  const buf = Buffer.alloc(8);
  buf.writeDoubleLE(v);
  return buf.toString("base64");
}

const str = JSON.stringify as (s: string) => string;

/**
 * Built by `+=`, a string is a rope (a tree of pieces, ~10× the memory of its text), and every
 * reader walks it again. Reading a character makes V8 flatten it in place into one sequential
 * string (`Number(s)`, the `flatstr` trick, no longer does on Node 20).
 */
export function flatten(s: string): string {
  s.charCodeAt(0);
  return s;
}

/** Sorted field names: the server serializes documents from a BTreeMap (byte order). */
export function sortedKeys(o: ConvexObject): string[] {
  return Object.keys(o).sort(byteOrder);
}

export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function encodeValue(v: Value, format: Format): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "string":
      return str(v);
    case "bigint":
      if (format === "json") return `"${v}"`;
      if (format === "export_json") return v.toString();
      return `{"$integer":"${int64ToBase64(v)}"}`;
    case "number":
      if (Number.isFinite(v) && !(format === "convex_encoded_json" && Object.is(v, -0))) return formatFloat(v);
      if (format === "json") return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
      return `{"$float":"${float64ToBase64(v)}"}`;
  }
  if (v instanceof Uint8Array) {
    return format === "json" ? `"${bytesToBase64(v)}"` : `{"$bytes":"${bytesToBase64(v)}"}`;
  }
  if (Array.isArray(v)) {
    let out = "[";
    for (let i = 0; i < v.length; i++) out += (i === 0 ? "" : ",") + encodeValue(v[i] as Value, format);
    return `${out}]`;
  }
  return `{${encodeFields(v, format)}}`;
}

/** The fields of an object, sorted, without the braces; pages prepend metadata to this text. */
export function encodeFields(o: ConvexObject, format: Format, omit?: ReadonlySet<string>): string {
  let out = "";
  for (const k of sortedKeys(o)) {
    if (omit?.has(k)) continue;
    out += `${out === "" ? "" : ","}${str(k)}:${encodeValue(o[k] as Value, format)}`;
  }
  return out;
}

/** Size per crates/value (§11): null 1, bool 1, numbers 9, string/bytes len+2, containers 2+Σ. */
export function valueSize(v: Value): number {
  if (v === null || typeof v === "boolean") return 1;
  if (typeof v === "number" || typeof v === "bigint") return 9;
  if (typeof v === "string") return Buffer.byteLength(v) + 2;
  if (v instanceof Uint8Array) return v.byteLength + 2;
  let size = 2;
  if (Array.isArray(v)) {
    for (const x of v) size += valueSize(x);
    return size;
  }
  for (const k in v) size += Buffer.byteLength(k) + 1 + valueSize(v[k] as Value);
  return size;
}

/** Nesting: scalars 0, containers 1 + max(children). */
export function valueNesting(v: Value): number {
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return 0;
  let max = 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  for (const c of children) max = Math.max(max, valueNesting(c));
  return 1 + max;
}

/** Normalizes caller input (ArrayBuffer → Uint8Array, undefined fields dropped). */
export function normalizeValue(v: unknown): Value {
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "bigint" || typeof v === "string") {
    return v;
  }
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(normalizeValue);
  if (typeof v === "object") {
    const out: ConvexObject = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x !== undefined) out[k] = normalizeValue(x);
    }
    return out;
  }
  throw new TypeError(`not a Convex value: ${typeof v}`);
}
