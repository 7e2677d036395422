/**
 * Servers for the redirect cases: one answers every request with a redirect to the other, which
 * records who arrived and with which headers. The connectors must never follow the redirect, so
 * the key never reaches the second server.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface LoggedRequest {
  method: string;
  route: string;
  authorized: boolean;
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
