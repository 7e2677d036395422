/**
 * check: succeeds only when the key may read this deployment's streaming export. Every failure
 * names the cause and the fix (URL, key, key of another deployment, plan, network, timeout).
 */
import type { AirbyteConnectionStatus } from "@convex-airbyte/shared";
import { type ExportApi, errorCode, errorStatus } from "./api.js";

/** The deployment name in a deploy key such as `prod:happy-otter-123|…`, if it has one. */
export function keyDeploymentName(key: string): string | undefined {
  const m = /^(?:[a-z]+:)?([a-z0-9-]+)\|/.exec(key);
  return m?.[1];
}

/** The deployment name in a Convex Cloud URL (`https://happy-otter-123.convex.cloud`), if it is one. */
export function urlDeploymentName(url: string): string | undefined {
  try {
    const host = new URL(url).hostname;
    const m = /^([a-z0-9-]+)\.convex\.(cloud|site)$/.exec(host);
    return m?.[1];
  } catch {
    return undefined;
  }
}

const SCHEMA_REFUSALS = ["NoSchemaForExport", "NoTableDefinitionForExport", "UnsupportedSchemaForExport"];

export async function checkConnection(api: ExportApi, config: { deployment_url: string; access_key: string }, signal?: AbortSignal): Promise<AirbyteConnectionStatus> {
  try {
    try {
      await api.testStreamingExportConnection({ signal, retry: "never" });
    } catch (err) {
      // Older self-hosted backends lack this route: json_schemas answers the same question.
      if (errorStatus(err) !== 404) throw err;
      try {
        await api.jsonSchemas({ deltaSchema: true, format: "json", byComponent: true }, { signal, retry: "never" });
      } catch (inner) {
        // These mean the key may export; only a table lacks a schema (discover handles it).
        if (!SCHEMA_REFUSALS.includes(errorCode(inner) ?? "")) throw inner;
      }
    }
    return { status: "SUCCEEDED" };
  } catch (err) {
    return { status: "FAILED", message: failureMessage(err, config) };
  }
}

function failureMessage(err: unknown, config: { deployment_url: string; access_key: string }): string {
  const base = err instanceof Error ? err.message : String(err);
  const code = errorCode(err);
  const status = errorStatus(err);
  const rejectedKey = code === "BadAdminKey" || code === "BadDeployKey" || status === 401 || (status === 403 && code !== "StreamingExportNotEnabled");
  if (rejectedKey) {
    const keyName = keyDeploymentName(config.access_key.trim());
    const urlName = urlDeploymentName(config.deployment_url.trim());
    if (keyName !== undefined && urlName !== undefined && keyName !== urlName) {
      return `The access key belongs to the deployment '${keyName}', but deployment_url points to '${urlName}'. Use a deploy key generated for ${urlName} (Convex dashboard → that deployment → Settings → URL and Deploy Key), or set deployment_url to https://${keyName}.convex.cloud. (${base})`;
    }
  }
  return base;
}
