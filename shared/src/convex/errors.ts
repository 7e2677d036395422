/**
 * Errors of the Convex HTTP client. Each extends the ConnectorError subclass whose failure type
 * fits, carries the request (method, route, host) and never the access key: every message and
 * internal text goes through the client's redactor before an error is built.
 */
import { ConfigError, type ConnectorErrorOptions, SystemError, TransientError } from "../runtime/errors.js";
import type { Redactor } from "./redact.js";

/** The request an error belongs to. */
export interface ConvexRequestInfo {
  method: string;
  /** The route without the deployment's path prefix, e.g. `/api/list_snapshot`. */
  route: string;
  /** The deployment's host (and port), e.g. `happy-otter-123.convex.cloud`. */
  host: string;
}

/** What Convex answered: status and, when the body was a Convex error, its code and message. */
export interface ConvexApiErrorDetails extends ConvexRequestInfo {
  status: number;
  /** The `code` of a `{code, message}` error body, e.g. `BadAdminKey`; undefined for other bodies. */
  code: string | undefined;
  /** The server's `message` (redacted), or undefined. */
  serverMessage: string | undefined;
  /** The `Retry-After` delay the server asked for, in milliseconds (uncapped), if any. */
  retryAfterMs?: number | undefined;
}

function describe(info: ConvexRequestInfo): string {
  return `${info.method} ${info.route} on ${info.host}`;
}

/** A non-2xx answer that the user must fix (key, plan, URL, state, data). */
export class ConvexApiConfigError extends ConfigError {
  override readonly name = "ConvexApiError";
  declare readonly status: number;
  declare readonly code: string | undefined;
  declare readonly serverMessage: string | undefined;
  declare readonly method: string;
  declare readonly route: string;
  declare readonly host: string;
  declare readonly retryAfterMs: number | undefined;
  constructor(message: string, details: ConvexApiErrorDetails, options: ConnectorErrorOptions = {}) {
    super(message, options);
    assignDetails(this, details);
  }
}

/** A non-2xx answer that may succeed later (429, 5xx, 408). */
export class ConvexApiTransientError extends TransientError {
  override readonly name = "ConvexApiError";
  declare readonly status: number;
  declare readonly code: string | undefined;
  declare readonly serverMessage: string | undefined;
  declare readonly method: string;
  declare readonly route: string;
  declare readonly host: string;
  declare readonly retryAfterMs: number | undefined;
  constructor(message: string, details: ConvexApiErrorDetails, options: ConnectorErrorOptions = {}) {
    super(message, options);
    assignDetails(this, details);
  }
}

/** A non-2xx answer that means the connector sent something wrong (a bug) or the API changed. */
export class ConvexApiSystemError extends SystemError {
  override readonly name = "ConvexApiError";
  declare readonly status: number;
  declare readonly code: string | undefined;
  declare readonly serverMessage: string | undefined;
  declare readonly method: string;
  declare readonly route: string;
  declare readonly host: string;
  declare readonly retryAfterMs: number | undefined;
  constructor(message: string, details: ConvexApiErrorDetails, options: ConnectorErrorOptions = {}) {
    super(message, options);
    assignDetails(this, details);
  }
}

function assignDetails(target: object, d: ConvexApiErrorDetails): void {
  Object.assign(target, {
    status: d.status,
    code: d.code,
    serverMessage: d.serverMessage,
    method: d.method,
    route: d.route,
    host: d.host,
    retryAfterMs: d.retryAfterMs,
  });
}

/** Any error built from a non-2xx Convex answer. `err instanceof ConvexApiError` works. */
export type ConvexApiError = ConvexApiConfigError | ConvexApiTransientError | ConvexApiSystemError;
export const ConvexApiError = {
  [Symbol.hasInstance](value: unknown): value is ConvexApiError {
    return (
      value instanceof ConvexApiConfigError ||
      value instanceof ConvexApiTransientError ||
      value instanceof ConvexApiSystemError
    );
  },
};

/** True when `err` is a ConvexApiError, optionally with one of the given codes. */
export function isConvexApiError(err: unknown, ...codes: string[]): err is ConvexApiError {
  if (!(err instanceof ConvexApiError)) return false;
  return codes.length === 0 || (err.code !== undefined && codes.includes(err.code));
}

/** Where the network failed: `connect` means the request certainly never reached the server. */
export type NetworkPhase = "connect" | "request" | "response";

/** The deployment could not be reached, or the connection broke or timed out. */
export class ConvexNetworkError extends TransientError {
  override readonly name = "ConvexNetworkError";
  readonly method: string;
  readonly route: string;
  readonly host: string;
  readonly phase: NetworkPhase;
  /** The low-level code, e.g. `ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`. */
  readonly errorCode: string | undefined;
  constructor(
    message: string,
    info: ConvexRequestInfo & { phase: NetworkPhase; errorCode: string | undefined },
    options: ConnectorErrorOptions = {},
  ) {
    super(message, options);
    this.method = info.method;
    this.route = info.route;
    this.host = info.host;
    this.phase = info.phase;
    this.errorCode = info.errorCode;
  }
}

/** A 2xx answer whose body is not complete JSON (e.g. truncated): retried like a network error. */
export class ConvexMalformedResponseError extends TransientError {
  override readonly name = "ConvexMalformedResponseError";
  readonly route: string;
  constructor(message: string, route: string, options: ConnectorErrorOptions = {}) {
    super(message, options);
    this.route = route;
  }
}

/** A 2xx JSON answer that is not what the API promises: not retried. */
export class ConvexUnexpectedResponseError extends SystemError {
  override readonly name = "ConvexUnexpectedResponseError";
  readonly route: string;
  constructor(message: string, route: string, options: ConnectorErrorOptions = {}) {
    super(message, options);
    this.route = route;
  }
}

/** The deployment URL answered with a redirect, which the client never follows. */
export class ConvexRedirectError extends ConfigError {
  override readonly name = "ConvexRedirectError";
  readonly status: number;
  /** The origin the redirect pointed to (no path or query), if it had a parsable Location. */
  readonly locationOrigin: string | undefined;
  constructor(message: string, status: number, locationOrigin: string | undefined, options: ConnectorErrorOptions = {}) {
    super(message, options);
    this.status = status;
    this.locationOrigin = locationOrigin;
  }
}

// ---------------------------------------------------------------------------------------------
// Classification of non-2xx answers
// ---------------------------------------------------------------------------------------------

type Kind = "config" | "transient" | "system";

const REPORT_BUG =
  "This looks like a bug in the connector or a change in the Convex API; please report it with this message.";
const RESET_STATE =
  "Reset the connection's data (or run a refresh) so the next sync starts again with a full snapshot.";

function keyAdvice(host: string): string {
  return (
    `Use a deploy key of this deployment (${host}): in the Convex dashboard open this deployment → Settings → ` +
    "URL and Deploy Key, generate a deploy key and paste it whole into access_key. " +
    "A key of another deployment (e.g. dev instead of prod) or of another project does not work."
  );
}

/** Known Convex error codes: failure type and what the user should do. */
function adviceForCode(code: string, info: ConvexRequestInfo): { kind: Kind; advice: string } | undefined {
  switch (code) {
    case "BadAdminKey":
    case "BadDeployKey":
    case "Unauthenticated":
    case "AuthUpdateFailed":
    case "InvalidAdminKey":
    case "InvalidHeaderFailure":
    case "HeaderParseFailure":
      return { kind: "config", advice: `The access key was not accepted. ${keyAdvice(info.host)}` };
    case "StreamingExportNotEnabled":
      return {
        kind: "config",
        advice:
          "Streaming export is not enabled for this deployment: it needs a Convex plan that includes streaming export " +
          "(see https://www.convex.dev/plans). Upgrade the team's plan, then run the sync again.",
      };
    case "OperationNotPermitted":
      return {
        kind: "config",
        advice: info.route.startsWith("/api/streaming_import/")
          ? "The deploy key is read-only, so it cannot write data. Generate a deploy key with full access for this " +
            "deployment (Convex dashboard → Settings → URL and Deploy Key) and use it in access_key."
          : "The deploy key does not have the permission this operation needs. Use a full-access deploy key of this deployment.",
      };
    case "SystemIdentityRequired":
      return {
        kind: "config",
        advice: "The key acts as a user and cannot export data. Use a plain deploy key of this deployment, with nothing appended.",
      };
    case "InvalidWindowToReadDocuments":
      return {
        kind: "config",
        advice: `The saved cursor is older than the deployment's retention window, so incremental sync cannot resume. ${RESET_STATE}`,
      };
    case "SnapshotTooOld":
      return {
        kind: "config",
        advice: `The initial snapshot the connector was reading is too old to continue (an interrupted first sync was resumed too late). ${RESET_STATE}`,
      };
    case "SnapshotTooNew":
    case "InvalidListSnapshotCursor":
      return {
        kind: "config",
        advice: `The saved state does not belong to this deployment or is damaged. ${RESET_STATE}`,
      };
    case "NoSchemaForExport":
    case "NoTableDefinitionForExport":
    case "UnsupportedSchemaForExport":
      return {
        kind: "config",
        advice:
          "Convex cannot describe this data without a schema (tables whose documents have field names that are not " +
          "identifiers, or more than 64 fields, need one). Add or fix the table's definition in convex/schema.ts and deploy it.",
      };
    case "IndexBackfillingError":
    case "TableSummariesUnavailable":
      return { kind: "transient", advice: "The deployment is still preparing; run the sync again in a few minutes." };
    case "ValueTooLargeError":
    case "InvalidDocumentError":
    case "TooNestedError":
    case "TooManyFieldsError":
    case "ArrayTooLong":
    case "MissingPrimaryKeyValue":
    case "InvalidPrimaryKey":
    case "EmptyPrimaryKey":
    case "IndexFieldNameReserved":
    case "IndexTooManyFields":
    case "IndexFieldsContainCreationTime":
    case "IndexNotFoundError":
    case "MissingIndex":
    case "OverwriteNotSupported":
      return {
        kind: "config",
        advice:
          "The data or the stream settings do not fit what Convex accepts. Change the stream's primary key, sync mode " +
          "or selected fields (or the source data) as the server message says, then run the sync again.",
      };
    case "BadJsonBody":
    case "BadQueryArgs":
    case "BadFormat":
    case "InvalidClientVersion":
    case "ClientVersionUnsupported":
    case "DocumentDeltasCursorRequired":
    case "MissingStream":
      return { kind: "system", advice: REPORT_BUG };
    default:
      return undefined;
  }
}

function adviceForStatus(status: number, info: ConvexRequestInfo): { kind: Kind; advice: string } {
  if (status === 401 || status === 403) return { kind: "config", advice: `The access key was not accepted. ${keyAdvice(info.host)}` };
  if (status === 404 || status === 405) {
    return {
      kind: "config",
      advice:
        "This URL does not serve the Convex API. Set deployment_url to the deployment URL, e.g. https://<name>.convex.cloud " +
        "(not the dashboard URL and not the .convex.site HTTP-actions URL); for a self-hosted backend, check that its " +
        "version has streaming export/import.",
    };
  }
  if (status === 429) {
    return { kind: "transient", advice: "Convex is rate-limiting this deployment's requests. Run the sync again later." };
  }
  if (status === 408 || status >= 500) {
    return {
      kind: "transient",
      advice:
        "Convex could not complete the request. Run the sync again later; if it keeps failing, check https://status.convex.dev " +
        "and the deployment's logs in the Convex dashboard.",
    };
  }
  return { kind: "system", advice: REPORT_BUG };
}

/**
 * Builds the typed error for a non-2xx answer. `redact` is applied to the server text, the
 * message and the internal text.
 */
export function apiErrorFromResponse(
  status: number,
  bodyText: string,
  info: ConvexRequestInfo,
  redact: Redactor,
  retryAfterMs?: number,
): ConvexApiError {
  const { code, message: rawMessage } = parseErrorBody(bodyText);
  const serverMessage = rawMessage === undefined ? undefined : redact(rawMessage);
  const chosen = (code === undefined ? undefined : adviceForCode(code, info)) ?? adviceForStatus(status, info);
  const what = `Convex answered ${describe(info)} with HTTP ${status}${code === undefined ? "" : ` ${code}`}`;
  const server = serverMessage === undefined || serverMessage === "" ? "" : `: ${serverMessage}`;
  const message = redact(`${what}${server}. ${chosen.advice}`);
  const details: ConvexApiErrorDetails = { ...info, status, code, serverMessage, retryAfterMs };
  const internal = redact(`HTTP ${status} ${describe(info)}; body: ${bodyText.slice(0, 2000)}`);
  switch (chosen.kind) {
    case "config":
      return new ConvexApiConfigError(message, details, { internal });
    case "transient":
      return new ConvexApiTransientError(message, details, { internal });
    default:
      return new ConvexApiSystemError(message, details, { internal });
  }
}

/** Reads `{code, message}` from an error body; anything else gives undefined fields. */
export function parseErrorBody(text: string): { code: string | undefined; message: string | undefined } {
  if (text.trim() === "") return { code: undefined, message: undefined };
  try {
    const body: unknown = JSON.parse(text);
    if (body !== null && typeof body === "object" && !Array.isArray(body)) {
      const rec = body as Record<string, unknown>;
      const code = typeof rec.code === "string" && rec.code !== "" ? rec.code : undefined;
      const message = typeof rec.message === "string" ? rec.message : undefined;
      if (code !== undefined || message !== undefined) return { code, message };
    }
  } catch {
    // Not JSON: fall through and report a short excerpt as the message.
  }
  const excerpt = text.trim().replace(/\s+/g, " ");
  return { code: undefined, message: excerpt.length > 300 ? `${excerpt.slice(0, 300)}…` : excerpt };
}

/** The call was cancelled through its AbortSignal (e.g. SIGTERM) before it finished. */
export class ConvexAbortedError extends TransientError {
  override readonly name = "ConvexAbortedError";
  readonly route: string;
  constructor(info: { method: string; route: string }, options: ConnectorErrorOptions = {}) {
    super(
      `The request ${info.method} ${info.route} to Convex was cancelled because the connector is stopping; ` +
        "the next sync resumes from the last saved state.",
      options,
    );
    this.route = info.route;
  }
}
