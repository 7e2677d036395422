/** The HTTP layer: routing, extractors, request log, fault injection and latency. */
import http from "node:http";
import type { Socket } from "node:net";
import { parseExact } from "@convex-airbyte/shared";
import { authenticate, checkClientHeader } from "./auth.js";
import type { Deployment } from "./context.js";
import { badJsonBody, HttpError, internalError } from "./errors.js";
import { exportRoutes } from "./export-routes.js";
import { defaultFaultBody, type Fault, FaultTable } from "./faults.js";
import type { Reply, RequestCtx } from "./http-types.js";
import { IMPORT_BODY_LIMIT, importRoutes } from "./import-routes.js";

export const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024;
export const EMULATOR_VERSION = "1.0.0-emulator";

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  bodySize: number;
  /** Undefined while pending (or for hangs); 0 for resets and truncations. */
  status: number | undefined;
  faults: string[];
}

type Handler = (ctx: RequestCtx) => Reply;

const ROUTES = new Map<string, Map<string, Handler>>();
for (const table of [exportRoutes, importRoutes]) {
  for (const [path, methods] of Object.entries(table)) {
    ROUTES.set(path, new Map(Object.entries(methods) as [string, Handler][]));
  }
}

function isJsonContentType(v: string | undefined): boolean {
  if (v === undefined) return false;
  const mime = (v.split(";")[0] ?? "").trim().toLowerCase();
  return mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json"));
}

/** A request body as it came in: the import route copies the pieces straight into its arena. */
interface Body {
  chunks: Buffer[];
  size: number;
  tooLarge: boolean;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on("end", () => resolve({ chunks, size, tooLarge: size > limit }));
    req.on("error", reject);
  });
}

function parseJsonText(text: string, numbers: "exact" | "float64" = "exact"): unknown {
  if (numbers === "float64") {
    try {
      // The native parse rounds big integers to the nearest double, as Number(bigint) does.
      return JSON.parse(text);
    } catch {
      // Falls through so a syntax error reads exactly as it does for the other routes.
    }
  }
  try {
    return parseExact(text);
  } catch (e) {
    throw badJsonBody(`Failed to parse the request body as JSON: ${(e as Error).message}`);
  }
}

export interface ServerOptions {
  /** Added to every request (the benchmark's "20 ms" runs). */
  latencyMs: number;
}

export class EmulatorServer {
  readonly faults = new FaultTable();
  readonly requests: RequestLogEntry[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly dep: Deployment,
    private readonly opts: ServerOptions,
  ) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    this.server.keepAliveTimeout = 5000;
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        const addr = this.server.address();
        resolve(typeof addr === "object" && addr !== null ? addr.port : port);
      });
    });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    const method = req.method ?? "GET";
    const path = url.pathname;
    const limit = path === "/api/streaming_import/import_airbyte_records" ? IMPORT_BODY_LIMIT : DEFAULT_BODY_LIMIT;
    const body = await readBody(req, limit);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    const entry: RequestLogEntry = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers,
      bodySize: body.size,
      status: undefined,
      faults: [],
    };
    this.requests.push(entry);

    const fired = this.faults.match(method, path);
    entry.faults = fired.map((f) => f.kind);
    let delay = this.opts.latencyMs;
    for (const f of fired) if (f.kind === "latency") delay += f.latencyMs ?? 0;
    if (delay > 0) await this.sleep(delay);
    if (req.socket.destroyed) return;

    const fault: Fault | undefined = fired.find((f) => f.kind !== "latency");
    if (fault?.kind === "hang") return; // never answered; stop() destroys the socket
    if (fault?.kind === "reset") {
      entry.status = 0;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      const status = fault.status ?? 500;
      const d = defaultFaultBody(status);
      const text = JSON.stringify({ code: fault.code ?? d.code, message: fault.message ?? d.message });
      const h: Record<string, string> = { "Content-Type": "application/json" };
      if (fault.retryAfter !== undefined) h["Retry-After"] = String(fault.retryAfter);
      entry.status = status;
      res.writeHead(status, h).end(text);
      return;
    }

    const reply = this.dispatch(method, path, url.searchParams, req.headers, body);
    const bytes = typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body;
    const h: Record<string, string | number> = { "Content-Length": bytes.length };
    if (reply.contentType !== undefined) h["Content-Type"] = reply.contentType;
    if (fault?.kind === "truncate") {
      // Promise the whole body, send half of it, then drop the connection.
      entry.status = 0;
      res.writeHead(reply.status, { ...h, Connection: "close" });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => req.socket.destroy());
      return;
    }
    entry.status = reply.status;
    res.writeHead(reply.status, h).end(bytes);
  }

  private dispatch(
    method: string,
    path: string,
    query: URLSearchParams,
    headers: http.IncomingHttpHeaders,
    body: Body,
  ): Reply {
    try {
      // stats_middleware parses Convex-Client on every route.
      const client = headers["convex-client"];
      checkClientHeader(typeof client === "string" ? client : undefined);
      if (path === "/version") {
        if (method !== "GET") return { status: 405, body: "" };
        return { status: 200, body: EMULATOR_VERSION, contentType: "text/plain; charset=utf-8" };
      }
      const methods = ROUTES.get(path);
      if (methods === undefined) return { status: 404, body: "" };
      const handler = methods.get(method);
      if (handler === undefined) return { status: 405, body: "" };
      const dep = this.dep;
      const ctx: RequestCtx = {
        dep,
        query,
        identity: () => {
          const auth = headers.authorization;
          return authenticate(auth, auth === undefined ? (query.get("adminKey") ?? undefined) : undefined, dep.keys);
        },
        jsonChunks: () => {
          const ct = headers["content-type"];
          if (!isJsonContentType(typeof ct === "string" ? ct : undefined)) {
            throw badJsonBody("Expected request with `Content-Type: application/json`");
          }
          if (body.tooLarge) throw badJsonBody("Failed to buffer the request body: length limit exceeded");
          return body.chunks;
        },
        parseJson: parseJsonText,
        jsonBody: (numbers = "exact") => parseJsonText(Buffer.concat(ctx.jsonChunks()).toString("utf8"), numbers),
      };
      return handler(ctx);
    } catch (e) {
      const err = e instanceof HttpError ? e : internalError();
      if (!(e instanceof HttpError)) console.error("convex-emulator: unexpected error", e);
      return { status: err.status, body: err.body(), contentType: "application/json" };
    }
  }
}
