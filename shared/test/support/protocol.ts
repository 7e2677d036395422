/** Validates connector output against the official Airbyte protocol schema (a fixture here). */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";

const schema = JSON.parse(readFileSync(new URL("../fixtures/airbyte_protocol.schema.json", import.meta.url), "utf8")) as Record<string, unknown>;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(schema, "airbyte");
const validateMessage = ajv.getSchema("airbyte#/definitions/AirbyteMessage");
const validateConfiguredCatalog = ajv.getSchema("airbyte#/definitions/ConfiguredAirbyteCatalog");

/** Throws with the line and ajv's errors when a stdout line is not a valid AirbyteMessage. */
export function assertValidMessageLine(line: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`stdout line is not JSON: ${line.slice(0, 200)}`);
  }
  if (!validateMessage?.(parsed)) {
    throw new Error(`invalid Airbyte message: ${ajv.errorsText(validateMessage?.errors)}\n${line.slice(0, 500)}`);
  }
  // The payload that matches `type` must be present (the schema alone does not say so).
  const msg = parsed as Record<string, unknown>;
  const payload: Record<string, string> = { RECORD: "record", STATE: "state", LOG: "log", SPEC: "spec", CONNECTION_STATUS: "connectionStatus", CATALOG: "catalog", TRACE: "trace" };
  const key = payload[String(msg.type)];
  if (key && msg[key] === undefined) throw new Error(`message of type ${String(msg.type)} has no '${key}'`);
  return msg;
}

/** Splits stdout into lines and validates each one. */
export function parseOutput(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((l) => l.length > 0)
    .map(assertValidMessageLine);
}

export function assertValidConfiguredCatalog(catalog: unknown): void {
  if (!validateConfiguredCatalog?.(catalog)) throw new Error(`invalid configured catalog: ${ajv.errorsText(validateConfiguredCatalog?.errors)}`);
}
