import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ConvexClient, type ConvexClientOptions, ConvexNetworkError, type RetryInfo } from "../src/convex/index.js";

const KEY = "dev:local-test|fedcba9876543210fedcba9876543210";

const servers: Server[] = [];
const clients: ConvexClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; sockets: () => number }> {
  let sockets = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => handler(req, res, body));
  });
  server.on("connection", () => {
    sockets++;
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, sockets: () => sockets };
}

function client(url: string, overrides: Partial<ConvexClientOptions> = {}): ConvexClient {
  const c = new ConvexClient({
    deploymentUrl: url,
    accessKey: KEY,
    kind: "destination",
    retry: { sleep: async () => {}, random: () => 0 },
    ...overrides,
  });
  clients.push(c);
  return c;
}

describe("transport against a real HTTP server", () => {
  it("sends a GET with a JSON body", async () => {
    const bodies: string[] = [];
    const { url } = await serve((req, res, body) => {
      bodies.push(`${req.method} ${req.url} ${req.headers["content-type"]} ${body}`);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ indexesReady: true }));
    });
    const c = client(url);
    expect(await c.primaryKeyIndexesReady(["t"])).toBe(true);
    expect(bodies).toEqual(['GET /api/streaming_import/primary_key_indexes_ready application/json {"tables":["t"]}']);
  });

  it("reuses one keep-alive connection for successive calls", async () => {
    const { url, sockets } = await serve((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end('{"values":[],"snapshot":1,"cursor":null,"hasMore":false}');
    });
    const c = client(url, { kind: "source" });
    for (let i = 0; i < 10; i++) await c.listSnapshot();
    await c.clearTables(["t"]);
    // Eleven sequential calls share the pool's connections instead of opening one each (undici may
    // open a second socket while the first is being released).
    expect(sockets()).toBeLessThanOrEqual(2);
  });

  it("turns a headers timeout into a transient error naming the route and the timeout, after retrying", async () => {
    const { url } = await serve(() => {
      // Never answers.
    });
    const retries: RetryInfo[] = [];
    const c = client(url, {
      timeouts: { headersMs: 50 },
      retry: { maxAttempts: 2, sleep: async () => {}, random: () => 0 },
      onRetry: (i) => retries.push(i),
    });
    const started = Date.now();
    const err = await c.getTableColumnNames().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConvexNetworkError);
    const e = err as ConvexNetworkError;
    expect(e.failureType).toBe("transient_error");
    expect(e.errorCode).toBe("UND_ERR_HEADERS_TIMEOUT");
    expect(e.message).toMatch(/GET \/api\/get_table_column_names .*headers timeout of 50 ms/);
    expect(retries).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("turns a stalled body into a transient body-timeout error", async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"values":[');
    });
    const c = client(url, { kind: "source", timeouts: { bodyMs: 50 }, retry: { maxAttempts: 1 } });
    const err = await c.listSnapshot().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConvexNetworkError);
    expect((err as ConvexNetworkError).message).toMatch(/body timeout of 50 ms/);
    expect((err as ConvexNetworkError).phase).toBe("response");
  });

  it("retries a body cut off mid-way (socket closed) and succeeds", async () => {
    let calls = 0;
    const { url } = await serve((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(200, { "content-type": "application/json", "content-length": "500" });
        res.write('{"values":[');
        res.socket?.destroy();
        return;
      }
      res.end('{"values":[],"snapshot":1152921504606846977,"cursor":null,"hasMore":false}');
    });
    const c = client(url, { kind: "source" });
    const page = await c.listSnapshot();
    expect(page.snapshot).toBe(1152921504606846977n);
    expect(calls).toBe(2);
  });

  it("reports a refused connection as transient, naming the host and what to check", async () => {
    const { url } = await serve(() => {});
    const s = servers.pop();
    s?.close();
    await new Promise((r) => setTimeout(r, 20));
    const c = client(url, { retry: { maxAttempts: 2, sleep: async () => {}, random: () => 0 } });
    const err = await c.clearTables(["t"]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConvexNetworkError);
    const e = err as ConvexNetworkError;
    expect(e.phase).toBe("connect");
    expect(e.message).toContain(new URL(url).host);
    expect(e.message).toMatch(/deployment_url/);
    expect(e.message).toMatch(/Gave up after 2 attempts/);
  });
});
