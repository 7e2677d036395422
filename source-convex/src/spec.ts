/**
 * The source spec: the Python connector's fields, unchanged, so saved connections stay valid.
 * Unknown fields are allowed, as before.
 */
import type { ConnectorSpecification } from "@convex-airbyte/shared";

export interface SourceConfig {
  deployment_url: string;
  access_key: string;
}

export function sourceSpec(): ConnectorSpecification {
  return {
    documentationUrl: "https://docs.airbyte.com/integrations/sources/convex",
    connectionSpecification: {
      $schema: "http://json-schema.org/draft-07/schema#",
      title: "Convex Source Spec",
      type: "object",
      required: ["deployment_url", "access_key"],
      additionalProperties: true,
      properties: {
        deployment_url: {
          type: "string",
          title: "Deployment Url",
          examples: ["https://murky-swan-635.convex.cloud", "https://cluttered-owl-337.convex.cloud"],
        },
        access_key: {
          type: "string",
          title: "Access Key",
          description: "API access key used to retrieve data from Convex.",
          airbyte_secret: true,
        },
      },
    },
  };
}
