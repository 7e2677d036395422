/** The source connector: spec, check, discover and read over Convex streaming export. */
import type { SourceDefinition } from "@convex-airbyte/shared";
import { checkConnection } from "./check.js";
import { createExportApi } from "./client.js";
import { discoverCatalog } from "./discover.js";
import { runSync } from "./read/sync.js";
import { type SourceConfig, sourceSpec } from "./spec.js";
import { parseSavedStates } from "./state.js";

export const sourceConnector: SourceDefinition<SourceConfig> = {
  kind: "source",
  name: "source-convex",
  spec: sourceSpec,
  async check(config, ctx) {
    const client = createExportApi(config, ctx.logger, ctx.signal);
    try {
      return await checkConnection(client.api, config, ctx.signal);
    } finally {
      await client.close();
    }
  },
  async discover(config, ctx) {
    const client = createExportApi(config, ctx.logger, ctx.signal);
    try {
      return await discoverCatalog(client.api, ctx.logger, ctx.signal);
    } finally {
      await client.close();
    }
  },
  async read(config, catalog, state, ctx) {
    // State errors surface before any request is made.
    const saved = parseSavedStates(state);
    const client = createExportApi(config, ctx.logger, ctx.signal);
    try {
      await runSync(client.api, catalog, saved, ctx);
    } finally {
      await client.close();
    }
  },
};
