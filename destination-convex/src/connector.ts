import type { DestinationDefinition } from "@convex-airbyte/shared";
import { checkConnection } from "./check.js";
import type { DestinationDeps } from "./settings.js";
import { type DestinationConfig, destinationSpec } from "./spec.js";
import { writeToConvex } from "./write.js";

/** The destination with injectable dependencies (tests shorten retry delays, inject clocks). */
export function createDestination(deps: DestinationDeps = {}): DestinationDefinition<DestinationConfig> {
  return {
    kind: "destination",
    name: "destination-convex",
    spec: destinationSpec,
    // Warnings (e.g. whitespace trimmed from the key) reach the user as LOG messages.
    check: (config, ctx) => checkConnection(config, deps, ctx.signal, (m) => void ctx.logger.warn(m).catch(() => undefined)),
    write: (config, catalog, input, ctx) => writeToConvex(config, catalog, input, ctx, deps),
  };
}

export const destinationConnector: DestinationDefinition<DestinationConfig> = createDestination();
