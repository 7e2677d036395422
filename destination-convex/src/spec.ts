/**
 * The destination spec: the Python connector's fields and modes, unchanged (additionalProperties
 * stays false), plus optional settings with defaults so that existing configs stay valid.
 */
import type { ConnectorSpecification } from "@convex-airbyte/shared";

export interface DestinationConfig {
  deployment_url: string;
  access_key: string;
  invalid_records?: "fail" | "skip";
  batch_max_records?: number;
  batch_max_bytes?: number;
  max_concurrent_requests?: number;
  flush_interval_seconds?: number;
  index_ready_timeout_seconds?: number;
  request_timeout_seconds?: number;
}

/** Defaults of the optional settings (also written into the spec). */
export const DEFAULTS = {
  invalid_records: "fail",
  batch_max_records: 10_000,
  batch_max_bytes: 4 * 1024 * 1024,
  max_concurrent_requests: 4,
  flush_interval_seconds: 60,
  index_ready_timeout_seconds: 1800,
  request_timeout_seconds: 300,
} as const;

/** The server refuses import requests over 20 MiB; batches stay below this with room to spare. */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;

export function destinationSpec(): ConnectorSpecification {
  return {
    documentationUrl: "https://docs.airbyte.com/integrations/destinations/convex",
    supported_destination_sync_modes: ["overwrite", "append", "append_dedup"],
    supportsIncremental: true,
    supportsDBT: false,
    supportsNormalization: false,
    connectionSpecification: {
      $schema: "http://json-schema.org/draft-07/schema#",
      title: "Destination Convex",
      type: "object",
      required: ["deployment_url", "access_key"],
      additionalProperties: false,
      properties: {
        deployment_url: {
          type: "string",
          description: "URL of the Convex deployment that is the destination",
          examples: ["https://murky-swan-635.convex.cloud", "https://cluttered-owl-337.convex.cloud"],
        },
        access_key: {
          type: "string",
          description: "API access key used to send data to a Convex deployment.",
          airbyte_secret: true,
        },
        invalid_records: {
          type: "string",
          title: "Invalid records",
          description: "What to do with a record Convex would refuse (over 1 MiB, too deeply nested, `$` field names, NaN or Infinity): fail the sync after committing everything before it, or skip it with a warning.",
          enum: ["fail", "skip"],
          default: DEFAULTS.invalid_records,
        },
        batch_max_records: {
          type: "integer",
          title: "Records per request",
          description: "Most records sent in one import request.",
          minimum: 1,
          maximum: 100_000,
          default: DEFAULTS.batch_max_records,
        },
        batch_max_bytes: {
          type: "integer",
          title: "Bytes per request",
          description: "Largest import request body in bytes (Convex accepts up to 20 MiB; the cap here is 16 MiB).",
          minimum: 65_536,
          maximum: MAX_BATCH_BYTES,
          default: DEFAULTS.batch_max_bytes,
        },
        max_concurrent_requests: {
          type: "integer",
          title: "Concurrent requests",
          description: "Import requests in flight at once, across tables and within a table. A later write of a primary key never starts before an earlier write of that key has committed.",
          minimum: 1,
          maximum: 32,
          default: DEFAULTS.max_concurrent_requests,
        },
        flush_interval_seconds: {
          type: "integer",
          title: "Flush interval (seconds)",
          description: "Records buffered this long are sent even if the batch is not full, so that a slow stream still commits and checkpoints.",
          minimum: 1,
          maximum: 900,
          default: DEFAULTS.flush_interval_seconds,
        },
        index_ready_timeout_seconds: {
          type: "integer",
          title: "Index wait (seconds)",
          description: "How long to wait for the primary-key indexes of deduplicated streams to finish building before failing.",
          minimum: 1,
          maximum: 86_400,
          default: DEFAULTS.index_ready_timeout_seconds,
        },
        request_timeout_seconds: {
          type: "integer",
          title: "Request timeout (seconds)",
          description: "How long to wait for Convex to answer one request before retrying it.",
          minimum: 1,
          maximum: 900,
          default: DEFAULTS.request_timeout_seconds,
        },
      },
    },
  };
}
