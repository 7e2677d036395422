/** Builds the ExportApi over the shared Convex HTTP client. */
import { ConvexClient, type Logger } from "@convex-airbyte/shared";
import type { ExportApi } from "./api.js";
import type { SourceConfig } from "./spec.js";

export interface SourceClient {
  api: ExportApi;
  close(): Promise<void>;
}

export function createExportApi(config: SourceConfig, logger: Logger, signal: AbortSignal): SourceClient {
  const client = new ConvexClient({
    deploymentUrl: config.deployment_url,
    accessKey: config.access_key,
    kind: "source",
    signal,
    onWarning: (m) => void logger.warn(m).catch(() => undefined),
    onRetry: (info) =>
      void logger
        .warn(`Retrying ${info.method} ${info.route} in ${Math.round(info.delayMs / 1000)}s (attempt ${info.attempt + 1} of ${info.maxAttempts}): ${info.error.message}`)
        .catch(() => undefined),
  });
  const api: ExportApi = {
    jsonSchemas: (args, opts) => (args.byComponent ? client.jsonSchemas({ ...args, byComponent: true }, opts) : client.jsonSchemas({ ...args, byComponent: false }, opts)),
    listSnapshot: (args, opts) => client.listSnapshotRaw(args, opts),
    documentDeltas: (args, opts) => client.documentDeltasRaw(args, opts),
    testStreamingExportConnection: (opts) => client.testStreamingExportConnection(opts),
    getTableColumnNames: (opts) => client.getTableColumnNames(opts),
  };
  return { api, close: () => client.close() };
}
