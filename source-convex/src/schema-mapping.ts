/**
 * From the JSON Schemas Convex's `json_schemas` returns to the stream schemas the catalog
 * announces. Pure.
 *
 * Kept from the Python connector: the server's properties, `additionalProperties: true`, and the
 * three CDC columns. Changed (fixes): schemas without top-level `properties` (unions, records,
 * `v.any()`) get a permissive object schema instead of failing discover; Convex's `$description`
 * types get a standard `description` and a type destinations can create a column for; the
 * top-level `required` list is dropped because delete tombstones carry only `_id` and metadata.
 */

export type JsonSchema = Record<string, unknown>;

/** The CDC columns every stream gets, as the Python connector declared them. */
export function cdcProperties(): JsonSchema {
  return {
    _ab_cdc_lsn: { type: "number" },
    _ab_cdc_updated_at: { type: "string" },
    _ab_cdc_deleted_at: { anyOf: [{ type: "string" }, { type: "null" }] },
  };
}

/** The export metadata columns (what `deltaSchema=true` adds) plus the system fields. */
function systemProperties(table: string): JsonSchema {
  return {
    _creationTime: { type: "number" },
    _id: { $description: `Id(${table})`, type: "string" },
    _table: { type: "string" },
    _component: { type: "string" },
    _ts: { type: "integer" },
    _deleted: { type: "boolean" },
  };
}

export interface MappedSchema {
  schema: JsonSchema;
  /** Why the schema is permissive, when it is; the caller logs it. */
  warning?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A permissive object schema: any fields, with the system and CDC columns typed. */
export function permissiveSchema(table: string, columns: readonly string[] = []): JsonSchema {
  const properties: JsonSchema = {};
  for (const c of columns) properties[c] = {};
  Object.assign(properties, systemProperties(table), cdcProperties());
  return { $schema: "http://json-schema.org/draft-07/schema#", type: "object", additionalProperties: true, properties };
}

/** Maps one table's server schema to the stream's `json_schema`. */
export function mapTableSchema(table: string, server: unknown): MappedSchema {
  if (!isObject(server) || Object.keys(server).length === 0) {
    // Python gave `{}` here; an object schema with the known columns is more useful and still permissive.
    return { schema: permissiveSchema(table), warning: `Convex returned no schema for table '${table}'; it is announced with a permissive schema (any fields).` };
  }
  if (!isObject(server.properties)) {
    const why = Array.isArray(server.anyOf) ? "a union of document shapes" : "no top-level properties";
    return {
      schema: permissiveSchema(table),
      warning: `Convex describes table '${table}' with ${why}; it is announced with a permissive object schema (any fields, system and CDC columns typed). Its records are read normally.`,
    };
  }
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(server)) {
    if (k === "properties" || k === "required") continue;
    out[k] = v;
  }
  const properties: JsonSchema = {};
  for (const [name, sub] of Object.entries(server.properties)) properties[name] = mapValueSchema(sub);
  Object.assign(properties, cdcProperties());
  out.type = "object";
  out.properties = properties;
  out.additionalProperties = true;
  return { schema: out };
}

const INT64 = "int64 represented as base10 string";
const BYTES = "base64 bytes";

/**
 * Maps a value schema, recursively. Convex tags some types with `$description`; destinations do
 * not read that keyword, so each tag gets a `description` and, where the shape is not a plain JSON
 * Schema type, a shape they can type.
 */
export function mapValueSchema(schema: unknown): unknown {
  // `false` (Never: an empty array's items, an impossible field) would reject every value.
  if (schema === false) return {};
  if (!isObject(schema)) return schema;
  const desc = typeof schema.$description === "string" ? schema.$description : undefined;
  if (desc === INT64) {
    return { ...schema, type: "string", description: "Convex int64, as a base-10 string (exact; may exceed 2^53)." };
  }
  if (desc === BYTES && schema.type === "string") {
    return { ...schema, type: "string", contentEncoding: "base64", description: "Convex bytes, base64-encoded (standard alphabet, padded)." };
  }
  if (desc?.startsWith("Id(") && schema.type === "string") {
    return { ...schema, description: `Convex document ID of table ${desc.slice(3, -1)}.` };
  }
  if (desc === "float64" && Array.isArray(schema.anyOf)) {
    // Finite numbers are JSON numbers; NaN, Infinity and -Infinity arrive as strings.
    return { $description: desc, type: ["number", "string"], description: "Convex float64: a number, or the string NaN, Infinity or -Infinity." };
  }
  if (desc?.startsWith("Record with keys") && schema.type === "object") {
    // The server nests the value schema under `type` (a quirk); any object is the honest shape.
    return { $description: desc, type: "object", additionalProperties: true, description: `Convex record (${desc.slice("Record with keys of type ".length) || "keys"} → values).` };
  }
  const out: Record<string, unknown> = { ...schema };
  if (isObject(schema.properties)) {
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema.properties)) props[k] = mapValueSchema(v);
    out.properties = props;
    // Nested objects keep their server-declared fields but accept new ones, like the top level.
    if (schema.additionalProperties === false) out.additionalProperties = true;
  }
  if ("items" in schema) out.items = mapValueSchema(schema.items);
  if (Array.isArray(schema.anyOf)) out.anyOf = schema.anyOf.map(mapValueSchema);
  if (isObject(schema.additionalProperties)) out.additionalProperties = mapValueSchema(schema.additionalProperties);
  return out;
}
