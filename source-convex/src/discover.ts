/**
 * discover: one stream per user table, in every component. Tables Convex cannot describe still
 * appear, with a permissive schema and a WARN log, instead of failing the whole discover.
 */
import type { AirbyteCatalog, AirbyteStream, Logger } from "@convex-airbyte/shared";
import { type ExportApi, errorCode } from "./api.js";
import { mapTableSchema, permissiveSchema } from "./schema-mapping.js";

/** Codes json_schemas returns when a table's data has no exportable schema. */
const SCHEMA_REFUSALS = ["NoSchemaForExport", "NoTableDefinitionForExport", "UnsupportedSchemaForExport"];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** True when a json_schemas entry is a table schema rather than a component's table map. */
function looksLikeTableSchema(v: unknown): boolean {
  if (!isObject(v)) return false;
  // Keyword values are strings/arrays; a component map's values (table schemas) are objects.
  return typeof v.$schema === "string" || typeof v.type === "string" || Array.isArray(v.anyOf);
}

/**
 * `{component: {table: schema}}` from a byComponent=true answer; an old backend that ignores
 * `byComponent` answers `{table: schema}`, which is read as the root component.
 */
export function groupByComponent(body: unknown): Map<string, Map<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  if (!isObject(body)) return out;
  const entries = Object.entries(body);
  const flat = entries.length > 0 && entries.every(([, v]) => looksLikeTableSchema(v) || v === null);
  if (flat) {
    out.set("", new Map(entries));
    return out;
  }
  for (const [component, tables] of entries) {
    if (!isObject(tables)) continue;
    out.set(component, new Map(Object.entries(tables)));
  }
  return out;
}

export function buildStream(table: string, component: string, jsonSchema: Record<string, unknown>): AirbyteStream {
  return {
    name: table,
    ...(component !== "" ? { namespace: component } : {}),
    json_schema: jsonSchema,
    supported_sync_modes: ["full_refresh", "incremental"],
    source_defined_cursor: true,
    default_cursor_field: ["_ts"],
    source_defined_primary_key: [["_id"]],
    is_resumable: true,
  };
}

function label(table: string, component: string): string {
  return component === "" ? table : `${component}.${table}`;
}

export async function discoverCatalog(api: ExportApi, logger: Logger, signal?: AbortSignal): Promise<AirbyteCatalog> {
  let body: unknown;
  try {
    body = await api.jsonSchemas({ deltaSchema: true, format: "json", byComponent: true }, { signal });
  } catch (err) {
    const code = errorCode(err);
    if (code === undefined || !SCHEMA_REFUSALS.includes(code)) throw err;
    return discoverFromColumns(api, logger, err, signal);
  }
  const streams: AirbyteStream[] = [];
  for (const [component, tables] of groupByComponent(body)) {
    for (const [table, schema] of tables) {
      const mapped = mapTableSchema(table, schema);
      if (mapped.warning) await logger.warn(component === "" ? mapped.warning : `${mapped.warning} (component '${component}')`);
      streams.push(buildStream(table, component, mapped.schema));
    }
  }
  return { streams };
}

/**
 * json_schemas refuses the whole answer when one table lacks an exportable schema; the table list
 * then comes from get_table_column_names, and every table gets a permissive schema.
 */
async function discoverFromColumns(api: ExportApi, logger: Logger, cause: unknown, signal?: AbortSignal): Promise<AirbyteCatalog> {
  let columns: Awaited<ReturnType<ExportApi["getTableColumnNames"]>>;
  try {
    columns = await api.getTableColumnNames({ signal });
  } catch {
    throw cause;
  }
  const why = cause instanceof Error ? cause.message : String(cause);
  await logger.warn(
    `Convex could not describe every table's schema (${errorCode(cause)}), so each table is announced with a permissive schema (its known columns, any other fields allowed). ` +
      `Add the tables to convex/schema.ts to get typed schemas. Server message: ${why}`,
  );
  const streams: AirbyteStream[] = [];
  for (const [component, tables] of Object.entries(columns.byComponent)) {
    for (const t of tables) {
      await logger.warn(`Table ${label(t.name, component)} is announced with a permissive schema.`);
      streams.push(buildStream(t.name, component, permissiveSchema(t.name, t.columns)));
    }
  }
  return { streams };
}
