/**
 * The destination spec: the Python connector's fields and modes, unchanged (additionalProperties
 * stays false), plus optional settings with defaults so that existing configs stay valid.
 */
import type { ConnectorSpecification } from "@convex-airbyte/shared";

export interface DestinationConfig {
  deployment_url: string;
  access_key: string;
  invalid_records?: "fail" | "skip";
}

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
          default: "fail",
        },
      },
    },
  };
}
