/** The validated config turned into the numbers the write path uses, and the Convex client. */
import { ConvexClient, type ConvexClientOptions, type RetryPolicy } from "@convex-airbyte/shared";
import { DEFAULTS, type DestinationConfig, MAX_BATCH_BYTES } from "./spec.js";

export interface Settings {
  invalidRecords: "fail" | "skip";
  maxRecords: number;
  maxBytes: number;
  maxInFlight: number;
  flushIntervalMs: number;
  indexReadyTimeoutMs: number;
  requestTimeoutMs: number;
}

export function resolveSettings(config: DestinationConfig): Settings {
  return {
    invalidRecords: config.invalid_records ?? DEFAULTS.invalid_records,
    maxRecords: config.batch_max_records ?? DEFAULTS.batch_max_records,
    maxBytes: Math.min(config.batch_max_bytes ?? DEFAULTS.batch_max_bytes, MAX_BATCH_BYTES),
    maxInFlight: config.max_concurrent_requests ?? DEFAULTS.max_concurrent_requests,
    flushIntervalMs: (config.flush_interval_seconds ?? DEFAULTS.flush_interval_seconds) * 1000,
    indexReadyTimeoutMs: (config.index_ready_timeout_seconds ?? DEFAULTS.index_ready_timeout_seconds) * 1000,
    requestTimeoutMs: (config.request_timeout_seconds ?? DEFAULTS.request_timeout_seconds) * 1000,
  };
}

/** What tests (and embedders) may inject. */
export interface DestinationDeps {
  /** Extra client options, e.g. an undici dispatcher. */
  client?: Partial<ConvexClientOptions>;
  /** Retry policy overrides (e.g. short delays in tests). */
  retry?: Partial<RetryPolicy>;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function createClient(
  config: DestinationConfig,
  settings: Settings,
  deps: DestinationDeps,
  extra: Partial<ConvexClientOptions> = {},
): ConvexClient {
  return new ConvexClient({
    deploymentUrl: config.deployment_url,
    accessKey: config.access_key,
    kind: "destination",
    // Imports run the connector's own retry loop (per batch); setup calls use the client's.
    timeouts: { headersMs: settings.requestTimeoutMs, bodyMs: settings.requestTimeoutMs },
    maxConnections: settings.maxInFlight + 2,
    ...(deps.retry ? { retry: deps.retry } : {}),
    ...deps.client,
    ...extra,
  });
}
