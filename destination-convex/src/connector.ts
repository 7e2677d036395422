import { ConfigError, type DestinationDefinition } from "@convex-airbyte/shared";
import { type DestinationConfig, destinationSpec } from "./spec.js";

export const destinationConnector: DestinationDefinition<DestinationConfig> = {
  kind: "destination",
  name: "destination-convex",
  spec: destinationSpec,
  async check() {
    throw new ConfigError("not implemented yet");
  },
  async write() {
    throw new ConfigError("not implemented yet");
  },
};
