/** Decodes the stored `convex_encoded_json` field text back into Convex values. */
import type { ConvexObject, Value } from "./values.js";

function decodeEncoded(v: unknown): Value {
  if (v === null || typeof v !== "object") return v as Value;
  if (Array.isArray(v)) return v.map(decodeEncoded);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  // User field names never start with `$`, so these one-key objects are unambiguous.
  if (keys.length === 1) {
    const k = keys[0] as string;
    const s = o[k];
    if (typeof s === "string") {
      if (k === "$integer") return Buffer.from(s, "base64").readBigInt64LE();
      if (k === "$float") return Buffer.from(s, "base64").readDoubleLE();
      if (k === "$bytes") return new Uint8Array(Buffer.from(s, "base64"));
    }
  }
  const out: ConvexObject = {};
  for (const key of keys) out[key] = decodeEncoded(o[key]);
  return out;
}

export function decodeFields(text: string): ConvexObject {
  return decodeEncoded(JSON.parse(`{${text}}`)) as ConvexObject;
}
