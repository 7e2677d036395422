/**
 * `check` proves that the key may import into this deployment, without changing any data: it
 * calls `add_primary_key_indexes` with no tables. That route requires the deploy key's
 * ImportBackups permission (a read-only key gets 403 OperationNotPermitted), and with an empty
 * index map it creates nothing. (`replace_tables` checks no permission, and
 * `primary_key_indexes_ready` may only require an admin key, so neither proves write access.)
 */
import { type AirbyteConnectionStatus, ConnectorError, ConvexNetworkError, isConvexApiError } from "@convex-airbyte/shared";
import { createClient, type DestinationDeps, resolveSettings } from "./settings.js";
import type { DestinationConfig } from "./spec.js";

export async function checkConnection(
  config: DestinationConfig,
  deps: DestinationDeps = {},
  signal?: AbortSignal,
  onWarning?: (message: string) => void,
): Promise<AirbyteConnectionStatus> {
  const settings = resolveSettings(config);
  let client: ReturnType<typeof createClient>;
  try {
    // A check should answer quickly: few attempts, short timeouts.
    client = createClient(config, { ...settings, requestTimeoutMs: Math.min(settings.requestTimeoutMs, 30_000) }, { ...deps, retry: { maxAttempts: 3, maxTotalMs: 20_000, ...deps.retry } }, {
      ...(signal ? { signal } : {}),
      ...(onWarning ? { onWarning } : {}),
    });
  } catch (err) {
    if (err instanceof ConnectorError) return { status: "FAILED", message: err.message };
    throw err;
  }
  try {
    await client.addPrimaryKeyIndexes({});
    return { status: "SUCCEEDED" };
  } catch (err) {
    return { status: "FAILED", message: describeFailure(err, client.deploymentUrl) };
  } finally {
    await client.close().catch(() => undefined);
  }
}

function describeFailure(err: unknown, url: string): string {
  if (err instanceof ConvexNetworkError) return `Could not reach the Convex deployment at ${url}. ${err.message} Check deployment_url.`;
  if (isConvexApiError(err, "OperationNotPermitted")) {
    return `The deploy key may read this deployment but not write to it. ${err.message}`;
  }
  if (err instanceof ConnectorError) return err.message;
  return `Unexpected error while checking the connection: ${err instanceof Error ? err.message : String(err)}`;
}
