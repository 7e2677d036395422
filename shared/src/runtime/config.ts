/**
 * Config validation against the spec's connectionSpecification (draft-07, ajv). Messages name the
 * field and the problem, never the value: the value may be a secret.
 */
import { Ajv, type ErrorObject } from "ajv";
import type { JsonSchemaObject } from "../protocol/messages.js";
import { ConfigError } from "./errors.js";

// validateSchema: false. The schema is the connector's own spec, which the acceptance tests check
// against the draft-07 meta-schema; checking it again compiled the meta-schema at every start
// (about 40 of the 50 ms this validation took).
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, validateSchema: false });

export function validateConfig<T>(schema: JsonSchemaObject, config: unknown): T {
  const validate = ajv.compile(schema);
  if (validate(config)) return config as T;
  const problems = (validate.errors ?? []).map(describe);
  throw new ConfigError(`Config validation error: ${[...new Set(problems)].join("; ")}.`);
}

function fieldName(path: string): string {
  return path.replace(/^\//, "").replace(/\//g, ".") || "(config)";
}

function describe(e: ErrorObject): string {
  const field = fieldName(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return `the required field '${field === "(config)" ? "" : `${field}.`}${String(params.missingProperty)}' is missing`;
    case "type":
      return `field '${field}' must be of type ${String(params.type)}`;
    case "additionalProperties":
      return `field '${String(params.additionalProperty)}' is not allowed here (this connector does not know it)`;
    case "enum":
      return `field '${field}' must be one of ${JSON.stringify(params.allowedValues)}`;
    case "minimum":
    case "maximum":
      return `field '${field}' must be ${e.keyword === "minimum" ? ">=" : "<="} ${String(params.limit)}`;
    case "pattern":
      return `field '${field}' does not have the expected form`;
    default:
      return `field '${field}' ${e.message ?? "is invalid"}`;
  }
}
