/**
 * The transport: one undici Agent per client (keep-alive, bounded connections, TLS verification
 * always on), per-request headers and body timeouts, no redirect following, and translation of
 * low-level failures into typed, redacted errors. It returns every non-3xx answer's body; the
 * client decides what a status means.
 */
import type { IncomingHttpHeaders } from "node:http";
import { Agent, type Dispatcher, request } from "undici";
import { ConfigError, type ConnectorError } from "../runtime/errors.js";
import { ConvexNetworkError, ConvexRedirectError, type ConvexRequestInfo, type NetworkPhase } from "./errors.js";
import type { Redactor } from "./redact.js";
import { buildUrl } from "./url.js";

export interface Timeouts {
  /** Establishing the TCP + TLS connection. Default 10 s. */
  connectMs: number;
  /** From sending the request to receiving the response headers. Default 60 s. */
  headersMs: number;
  /** Longest silence between two chunks of the response body. Default 120 s. */
  bodyMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = Object.freeze({ connectMs: 10_000, headersMs: 60_000, bodyMs: 120_000 });

export const DEFAULT_MAX_CONNECTIONS = 8;

export type HttpMethod = "GET" | "POST" | "PUT";

export interface HttpRequest {
  method: HttpMethod;
  /** The route, appended to the deployment URL (with its path prefix), e.g. `/api/list_snapshot`. */
  route: string;
  query?: URLSearchParams | undefined;
  /** A serialized JSON body (text or UTF-8 bytes); sent with `Content-Type: application/json`. */
  body?: string | Uint8Array | undefined;
  signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The whole body as bytes: export pages are scanned without decoding (see export-page.ts). */
  body: Buffer;
}

/** The body as text (UTF-8, a leading byte-order mark dropped, invalid bytes replaced). */
export function responseText(body: Buffer): string {
  const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  return body.toString("utf8", bom ? 3 : 0);
}

export interface TransportOptions {
  /** A normalized deployment URL (see `normalizeDeploymentUrl`). */
  baseUrl: string;
  /** Fixed headers sent with every request (Authorization, Convex-Client, User-Agent, Accept). */
  headers: Record<string, string>;
  timeouts: Timeouts;
  redact: Redactor;
  /** Use this dispatcher instead of creating an Agent (tests, proxies). The transport does not close it. */
  dispatcher?: Dispatcher | undefined;
  maxConnections?: number | undefined;
}

export class HttpTransport {
  readonly baseUrl: string;
  readonly host: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly headers: Record<string, string>;
  private readonly timeouts: Timeouts;
  private readonly redact: Redactor;

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl;
    this.host = new URL(options.baseUrl).host;
    this.headers = options.headers;
    this.timeouts = options.timeouts;
    this.redact = options.redact;
    if (options.dispatcher !== undefined) {
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = new Agent({
        connections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
        headersTimeout: options.timeouts.headersMs,
        bodyTimeout: options.timeouts.bodyMs,
        connect: { timeout: options.timeouts.connectMs, rejectUnauthorized: true },
      });
      this.ownsDispatcher = true;
    }
  }

  /** Sends one request and reads the whole answer. Throws typed errors for network failures and 3xx. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const info: ConvexRequestInfo = { method: req.method, route: req.route, host: this.host };
    const headers: Record<string, string> = { ...this.headers };
    if (req.body !== undefined) headers["content-type"] = "application/json";
    let res: Dispatcher.ResponseData;
    try {
      res = await request(buildUrl(this.baseUrl, req.route, req.query), {
        dispatcher: this.dispatcher,
        method: req.method,
        headers,
        body: req.body,
        signal: req.signal,
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyMs,
      });
    } catch (err) {
      throw this.networkError(err, info, "request");
    }
    if (res.statusCode >= 300 && res.statusCode < 400) {
      await res.body.dump().catch(() => undefined);
      throw this.redirectError(res.statusCode, res.headers.location, info);
    }
    let body: Buffer;
    try {
      body = Buffer.from(await res.body.arrayBuffer());
    } catch (err) {
      throw this.networkError(err, info, "response");
    }
    return { status: res.statusCode, headers: res.headers, body };
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private redirectError(status: number, location: string | string[] | undefined, info: ConvexRequestInfo): ConvexRedirectError {
    const target = Array.isArray(location) ? location[0] : location;
    let origin: string | undefined;
    try {
      origin = target === undefined ? undefined : new URL(target, this.baseUrl).origin;
    } catch {
      origin = undefined;
    }
    const where = origin === undefined ? "elsewhere" : `to ${origin}`;
    const message =
      `The deployment URL redirects: ${info.method} ${info.route} on ${info.host} answered HTTP ${status} ${where}. ` +
      "The connector does not follow redirects, so the access key was not sent there. Set deployment_url to the " +
      "deployment's own URL, e.g. https://<name>.convex.cloud (Convex dashboard → Settings → URL and Deploy Key).";
    return new ConvexRedirectError(this.redact(message), status, origin, {
      internal: this.redact(`HTTP ${status} redirect from ${info.route}; Location: ${target ?? "(none)"}`),
    });
  }

  private networkError(err: unknown, info: ConvexRequestInfo, stage: "request" | "response"): ConnectorError {
    const code = errorCode(err);
    const detail = this.redact(errorText(err));
    const internal = this.redact(`${info.method} ${info.route} on ${info.host}: ${code ?? "no code"}: ${detail}`);
    const at = `${info.method} ${info.route} on ${info.host}`;
    if (code !== undefined && TLS_CODES.test(code)) {
      return new ConfigError(
        `The TLS certificate of ${info.host} could not be verified (${code}). The connector always verifies certificates. ` +
          "Check that deployment_url points to your Convex deployment; if a proxy inspects TLS traffic, give Node its CA " +
          "certificate with the NODE_EXTRA_CA_CERTS environment variable.",
        { internal, cause: err },
      );
    }
    let phase: NetworkPhase = stage;
    let message: string;
    const reach =
      "Check that deployment_url is right (e.g. https://<name>.convex.cloud), that the deployment exists, and that this " +
      "machine can reach it (DNS, firewall, proxy).";
    switch (code) {
      case "UND_ERR_CONNECT_TIMEOUT":
        phase = "connect";
        message = `Could not connect to ${info.host} within the connect timeout of ${seconds(this.timeouts.connectMs)}. ${reach}`;
        break;
      case "UND_ERR_HEADERS_TIMEOUT":
        message =
          `Convex did not answer ${at} within the headers timeout of ${seconds(this.timeouts.headersMs)}. ` +
          "The deployment may be busy or the network slow; run the sync again later, or raise the timeout.";
        break;
      case "UND_ERR_BODY_TIMEOUT":
        phase = "response";
        message =
          `The response to ${at} stalled for longer than the body timeout of ${seconds(this.timeouts.bodyMs)}. ` +
          "The network may be slow or interrupted; run the sync again later, or raise the timeout.";
        break;
      case "ENOTFOUND":
      case "EAI_AGAIN":
        phase = "connect";
        message = `The host ${info.host} could not be resolved (${code}). ${reach}`;
        break;
      case "ECONNREFUSED":
      case "EHOSTUNREACH":
      case "ENETUNREACH":
      case "ENETDOWN":
        phase = "connect";
        message = `Could not connect to ${info.host} (${code}). ${reach}`;
        break;
      default:
        message =
          `The connection to ${info.host} failed during ${at} (${code ?? "network error"}: ${detail}). This is usually a ` +
          "temporary network problem; run the sync again later. If it persists, check proxies or firewalls between this " +
          "machine and Convex.";
    }
    return new ConvexNetworkError(this.redact(message), { ...info, phase, errorCode: code }, { internal, cause: err });
  }
}

const TLS_CODES = /^(CERT_|ERR_TLS_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET_ISSUER|DECRYPT)|ERR_SSL_)/;

function seconds(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The `code` of an error or of its cause (undici wraps socket errors). */
function errorCode(err: unknown): string | undefined {
  let fallback: string | undefined;
  let e: unknown = err;
  for (let depth = 0; e !== null && typeof e === "object" && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (code !== "UND_ERR_SOCKET") return code;
      fallback ??= code;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return fallback;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
