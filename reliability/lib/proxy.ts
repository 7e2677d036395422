/**
 * A fault-injecting HTTP proxy in front of an emulator deployment. The connectors talk to the
 * proxy; it forwards each request unless a fault matches the route. It also logs every request
 * (method, route, whether an Authorization header came) and can run a hook before forwarding, which
 * the live-write cases use to change the source between pages.
 *
 * Faults: 429 with Retry-After, 500, 503, a connection reset before the request reaches the
 * server, a hang (no answer until the connection is closed), and a truncated body (the request is
 * forwarded and applied; the answer is cut short).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type FaultKind = "429" | "500" | "503" | "reset" | "hang" | "truncate";
export const FAULT_KINDS: FaultKind[] = ["429", "500", "503", "reset", "hang", "truncate"];

export interface Fault {
  /** The route, e.g. `/api/list_snapshot` or `/api/streaming_import/clear_tables`. */
  route: string;
  kind: FaultKind;
  /** How many matching requests fail; then the route works again. Infinity = until cleared. */
  times: number;
  /** Matching requests to let through before the first failure. */
  skip?: number;
  /** Retry-After value for 429 (seconds). */
  retryAfter?: string;
}

export interface LoggedRequest {
  method: string;
  route: string;
  authorized: boolean;
  fault?: FaultKind;
  status?: number;
}

export type RequestHook = (route: string, method: string, n: number) => Promise<void> | void;

export class FaultProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private faults: (Fault & { seen: number; fired: number })[] = [];
  readonly log: LoggedRequest[] = [];
  private hooks: RequestHook[] = [];
  private counts = new Map<string, number>();

  constructor(private readonly upstream: string) {}

  get url(): string {
    const a = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${a.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server?.listen(0, "127.0.0.1", r));
    return this;
  }

  inject(f: Fault): void {
    this.faults.push({ ...f, seen: 0, fired: 0 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** How many times each injected fault fired. */
  fired(): number {
    return this.faults.reduce((n, f) => n + f.fired, 0);
  }

  onRequest(hook: RequestHook): void {
    this.hooks.push(hook);
  }

  clearHooks(): void {
    this.hooks = [];
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private routeOf(url: string): string {
    const q = url.indexOf("?");
    return q < 0 ? url : url.slice(0, q);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = this.routeOf(req.url ?? "/");
    const method = req.method ?? "GET";
    const entry: LoggedRequest = { method, route, authorized: req.headers.authorization !== undefined };
    this.log.push(entry);
    const n = (this.counts.get(route) ?? 0) + 1;
    this.counts.set(route, n);
    const body = await readBody(req);
    for (const h of this.hooks) await h(route, method, n);
    const fault = this.faults.find((f) => f.route === route && f.fired < f.times && f.seen++ >= (f.skip ?? 0));
    if (fault !== undefined) {
      fault.fired++;
      entry.fault = fault.kind;
      switch (fault.kind) {
        case "429":
          entry.status = 429;
          res.writeHead(429, { "content-type": "application/json", "retry-after": fault.retryAfter ?? "1" });
          res.end(JSON.stringify({ code: "TooManyRequests", message: "Rate limited (injected)" }));
          return;
        case "500":
          entry.status = 500;
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ code: "InternalServerError", message: "Your request couldn't be completed. Try again later." }));
          return;
        case "503":
          entry.status = 503;
          res.writeHead(503, { "content-type": "application/json" });
          res.end(JSON.stringify({ code: "ServiceUnavailable", message: "Service temporarily unavailable (injected)" }));
          return;
        case "reset":
          req.socket.resetAndDestroy();
          return;
        case "hang":
          // Never answer; the socket closes when the client gives up or the proxy stops.
          return;
        case "truncate": {
          const up = await this.forward(req, method, body);
          const full = up.body.length > 0 ? up.body : Buffer.from("{}");
          const headers: Record<string, string | string[] | undefined> = { ...up.headers, "content-length": String(full.length + 16) };
          delete headers["transfer-encoding"];
          res.writeHead(up.status, headers);
          res.write(full.subarray(0, Math.floor(full.length / 2)));
          setTimeout(() => req.socket.destroy(), 20);
          entry.status = up.status;
          return;
        }
      }
    }
    try {
      const up = await this.forward(req, method, body);
      entry.status = up.status;
      const headers = { ...up.headers };
      delete headers["transfer-encoding"];
      headers["content-length"] = String(up.body.length);
      res.writeHead(up.status, headers);
      res.end(up.body);
    } catch {
      req.socket.destroy();
    }
  }

  private forward(req: IncomingMessage, method: string, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const target = new URL(req.url ?? "/", this.upstream);
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host };
      delete headers.connection;
      const up = httpRequest(target, { method, headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.on("end", () => resolve({ status: r.statusCode ?? 502, headers: { ...r.headers }, body: Buffer.concat(chunks) }));
        r.on("error", reject);
      });
      up.on("error", reject);
      up.end(body);
    });
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", () => resolve(Buffer.concat(chunks)));
  });
}

/** A plain HTTP server that answers everything with a redirect, and one that records who came. */
export async function redirectPair(status = 302): Promise<{ redirector: string; target: string; arrivals: LoggedRequest[]; headersSeen: string[]; stop: () => Promise<void> }> {
  const arrivals: LoggedRequest[] = [];
  const headersSeen: string[] = [];
  const target = createServer((req, res) => {
    arrivals.push({ method: req.method ?? "GET", route: req.url ?? "/", authorized: req.headers.authorization !== undefined });
    headersSeen.push(JSON.stringify(req.headers));
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
  const tport = (target.address() as AddressInfo).port;
  const redirector = createServer((req, res) => {
    res.writeHead(status, { location: `http://127.0.0.1:${tport}${req.url ?? "/"}` });
    res.end();
  });
  await new Promise<void>((r) => redirector.listen(0, "127.0.0.1", r));
  const rport = (redirector.address() as AddressInfo).port;
  return {
    redirector: `http://127.0.0.1:${rport}`,
    target: `http://127.0.0.1:${tport}`,
    arrivals,
    headersSeen,
    stop: async () => {
      target.closeAllConnections();
      redirector.closeAllConnections();
      await Promise.all([new Promise((r) => target.close(r)), new Promise((r) => redirector.close(r))]);
    },
  };
}
