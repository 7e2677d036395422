/**
 * Validation and normalization of the connector's `deployment_url` and `access_key` settings.
 *
 * The deployment URL is the base every route is appended to. A path prefix is kept, so
 * `https://proxy.example.com/convex/` plus `/api/list_snapshot` gives
 * `https://proxy.example.com/convex/api/list_snapshot` (useful behind a reverse proxy). Trailing
 * slashes are stripped, so `https://x.convex.cloud/` and `https://x.convex.cloud` are the same.
 */
import { ConfigError } from "../runtime/errors.js";

const URL_FIELD = "deployment_url";
const KEY_FIELD = "access_key";
const URL_EXAMPLE = "https://<deployment-name>.convex.cloud";
const WHERE_URL = "It is shown in the Convex dashboard under Settings → URL and Deploy Key.";

/** A warning for the log; never contains the key. */
export type WarningCallback = (message: string) => void;

/**
 * Returns the normalized deployment URL: scheme, lowercased host, optional port and path prefix,
 * with no trailing slash. Throws a ConfigError naming `deployment_url` when it is not usable.
 */
export function normalizeDeploymentUrl(raw: unknown, onWarning?: WarningCallback): string {
  if (typeof raw !== "string" || raw.trim() === "") {
    throw new ConfigError(`${URL_FIELD} is empty. Set it to your Convex deployment URL, e.g. ${URL_EXAMPLE}. ${WHERE_URL}`);
  }
  const text = raw.trim();
  if (/\s/.test(text)) {
    throw new ConfigError(`${URL_FIELD} contains whitespace. Set it to the deployment URL alone, e.g. ${URL_EXAMPLE}.`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const hint = /^[a-z][a-z0-9+.-]*:/i.test(text) ? "" : ` It must start with https://.`;
    throw new ConfigError(`${URL_FIELD} "${text}" is not a valid URL.${hint} Use the deployment URL, e.g. ${URL_EXAMPLE}.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(
      `${URL_FIELD} uses the scheme "${url.protocol.slice(0, -1)}"; only https (or http for a local deployment) is supported. Use e.g. ${URL_EXAMPLE}.`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new ConfigError(
      `${URL_FIELD} must not contain a user name or password (the part before "@"). Remove it; the deploy key belongs in ${KEY_FIELD}.`,
    );
  }
  if (text.includes("?") || text.includes("#")) {
    throw new ConfigError(
      `${URL_FIELD} must not contain a query string ("?…") or a fragment ("#…"). Use the bare deployment URL, e.g. ${URL_EXAMPLE}.`,
    );
  }
  if (url.hostname.endsWith(".convex.site")) {
    onWarning?.(
      `${URL_FIELD} ends in .convex.site, which serves HTTP actions, not the Convex API. The API is usually at the matching .convex.cloud URL.`,
    );
  }
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${url.host}${path}`;
}

/**
 * Returns the access key with surrounding whitespace removed (reported through `onWarning`).
 * Throws a ConfigError, which never includes the key, when the key is empty or malformed.
 */
export function validateAccessKey(raw: unknown, onWarning?: WarningCallback): string {
  const howToGet = `Create a deploy key in the Convex dashboard for this deployment (Settings → URL and Deploy Key → Generate) and paste it into ${KEY_FIELD}.`;
  if (typeof raw !== "string" || raw.trim() === "") {
    throw new ConfigError(`${KEY_FIELD} is empty. ${howToGet}`);
  }
  const key = raw.trim();
  if (key !== raw) {
    onWarning?.(`${KEY_FIELD} had leading or trailing whitespace or line breaks; they were removed.`);
  }
  if (/^(convex|bearer)\s/i.test(key)) {
    throw new ConfigError(
      `${KEY_FIELD} starts with "${key.split(/\s/)[0]} ". Paste only the key itself; the connector adds the Authorization scheme.`,
    );
  }
  if (/\s/.test(key)) {
    throw new ConfigError(
      `${KEY_FIELD} contains whitespace or a line break inside it, so it cannot be a deploy key. Copy the key again as one line. ${howToGet}`,
    );
  }
  // Header values must be visible ASCII; anything else would also make the HTTP library throw.
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new ConfigError(
      `${KEY_FIELD} contains characters that cannot appear in a deploy key (non-ASCII or control characters). Copy the key again. ${howToGet}`,
    );
  }
  return key;
}

/** The full URL of a route: the base (with its path prefix) + the route + the query string. */
export function buildUrl(base: string, route: string, query?: URLSearchParams): string {
  const qs = query === undefined ? "" : query.toString();
  return `${base}${route}${qs === "" ? "" : `?${qs}`}`;
}
