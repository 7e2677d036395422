import { ConfigError, type SourceDefinition } from "@convex-airbyte/shared";
import { type SourceConfig, sourceSpec } from "./spec.js";

export const sourceConnector: SourceDefinition<SourceConfig> = {
  kind: "source",
  name: "source-convex",
  spec: sourceSpec,
  async check() {
    throw new ConfigError("not implemented yet");
  },
  async discover() {
    throw new ConfigError("not implemented yet");
  },
  async read() {
    throw new ConfigError("not implemented yet");
  },
};
