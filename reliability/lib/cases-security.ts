/**
 * Security: redirects are never followed (the key must not arrive at the redirect target), TLS
 * verification cannot be switched off by NODE_TLS_REJECT_UNAUTHORIZED, only http(s) URLs are
 * accepted, and the connectors never set the TLS switch themselves. The key-leak scan runs on
 * every output of every case (runner.ts).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { redirectPair } from "./proxy.js";
import { connectionStatus, logs, ROOT, runConnector, traceErrors } from "./proc.js";
import { type CaseContext, type CaseSpec, check } from "./runner.js";
import { World } from "./world.js";

async function redirectCase(ctx: CaseContext, side: "source" | "destination", status: number): Promise<void> {
  const world = await new World(ctx, { tables: { users: 5 } }).start();
  const pair = await redirectPair(status);
  ctx.onCleanup(pair.stop);
  const key = side === "source" ? world.sourceKey : world.destKey;
  const cfg = ctx.scratch.file("c.json", { ...(side === "source" ? world.sourceConfig() : world.destConfig()), deployment_url: pair.redirector });
  const c = await runConnector(ctx, side, ["check", "--config", cfg], { timeoutMs: 60_000 });
  const s = connectionStatus(c.messages);
  check(s?.status === "FAILED", `check through a ${status} redirect should fail, got ${s?.status}`);
  check(/redirect/i.test(s.message ?? ""), `the message should say the URL redirects: ${s.message}`);
  const cmd = side === "source" ? "read" : "write";
  const r = await runConnector(ctx, side, [cmd, "--config", cfg, "--catalog", ctx.scratch.file("k.json", world.catalog())], { timeoutMs: 60_000, stdin: "" });
  if (side === "source" || r.code !== 0) {
    const e = traceErrors(r.messages)[0];
    check(r.code !== 0 && e?.failure_type === "config_error", `${cmd} through a redirect should fail with config_error: exit ${r.code}, ${String(e?.failure_type)}`);
  }
  check(pair.arrivals.length === 0, `the redirect was followed: ${pair.arrivals.length} requests arrived at the target (${pair.arrivals.filter((a) => a.authorized).length} with Authorization)`);
  check(!pair.headersSeen.some((h) => h.includes(key)), "the key arrived at the redirect target");
}

/** A self-signed HTTPS server; requests reaching it mean verification was off. */
async function tlsCase(ctx: CaseContext, side: "source" | "destination"): Promise<void> {
  const dir = ctx.scratch.dir;
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem"), "-days", "1", "-subj", "/CN=127.0.0.1"], { stdio: "ignore" });
  } catch {
    ctx.note("not run: openssl unavailable");
    return;
  }
  let arrivals = 0;
  const server = createServer({ key: readFileSync(join(dir, "k.pem")), cert: readFileSync(join(dir, "c.pem")) }, (_req, res) => {
    arrivals++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  ctx.onCleanup(() => new Promise<void>((r) => server.close(() => r())));
  const world = await new World(ctx, { tables: {} }).start();
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cfg = ctx.scratch.file("c.json", { ...(side === "source" ? world.sourceConfig() : world.destConfig()), deployment_url: url });
  const r = await runConnector(ctx, side, ["check", "--config", cfg], { timeoutMs: 60_000, env: { NODE_TLS_REJECT_UNAUTHORIZED: "0" } });
  const s = connectionStatus(r.messages);
  check(arrivals === 0, `with NODE_TLS_REJECT_UNAUTHORIZED=0 the ${side} sent ${arrivals} requests to a server with a self-signed certificate`);
  check(s?.status === "FAILED" && /certificate|TLS/i.test(s.message ?? ""), `check against a self-signed certificate should fail naming TLS: ${JSON.stringify(s)}`);
  const warned = logs(r.messages, "WARN").some((l) => l.includes("NODE_TLS_REJECT_UNAUTHORIZED")) || r.stderr.includes("NODE_TLS_REJECT_UNAUTHORIZED");
  ctx.note(warned ? "warns about NODE_TLS_REJECT_UNAUTHORIZED" : "no connector WARN about NODE_TLS_REJECT_UNAUTHORIZED (only Node's own stderr warning, if any)");
  check(logs(r.messages, "WARN").some((l) => l.includes("NODE_TLS_REJECT_UNAUTHORIZED")), "the connector should WARN (as an Airbyte LOG) that NODE_TLS_REJECT_UNAUTHORIZED is set and ignored");
}

/** No shipped code sets NODE_TLS_REJECT_UNAUTHORIZED or rejectUnauthorized: false. */
async function tlsStaticCase(ctx: CaseContext): Promise<void> {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js)$/.test(f) && !f.endsWith(".d.ts")) {
        const text = readFileSync(p, "utf8");
        if (/\.NODE_TLS_REJECT_UNAUTHORIZED\s*=(?!=)|\[["']NODE_TLS_REJECT_UNAUTHORIZED["']\]\s*=(?!=)/.test(text) || /rejectUnauthorized\s*:\s*false/.test(text)) hits.push(p.slice(ROOT.length + 1));
      }
    }
  };
  for (const d of ["shared/src", "source-convex/src", "destination-convex/src"]) walk(join(ROOT, d));
  check(hits.length === 0, `TLS verification is switched off in: ${hits.join(", ")}`);
  ctx.note("no connector code sets NODE_TLS_REJECT_UNAUTHORIZED or rejectUnauthorized: false");
}

export function securityCases(full: boolean): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const side of ["source", "destination"] as const) {
    for (const status of [302, 307, 308]) {
      out.push({ id: `security/redirect/${side}/${status}`, category: "security", short: status === 302 || full, timeoutMs: 90_000, run: (ctx) => redirectCase(ctx, side, status) });
    }
    out.push({ id: `security/tls-env-switch/${side}`, category: "security", short: true, timeoutMs: 90_000, run: (ctx) => tlsCase(ctx, side) });
  }
  out.push({ id: "security/tls-never-disabled-in-code", category: "security", short: true, timeoutMs: 30_000, run: tlsStaticCase });
  return out;
}

/** `npm audit --omit=dev`: "passed", "failed: …" or "not run: <reason>". */
export function runAudit(): { result: string; passed: boolean | undefined } {
  let out = "";
  try {
    out = execFileSync("npm", ["audit", "--omit=dev", "--json"], { cwd: ROOT, encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? "");
    if (out.trim() === "") return { result: `not run: ${String((err as Error).message).split("\n")[0]}`, passed: undefined };
  }
  try {
    const j = JSON.parse(out) as { error?: { summary?: string; code?: string }; message?: string; metadata?: { vulnerabilities?: Record<string, number> } };
    if (j.error) {
      const why = `${j.error.code ?? ""} ${j.error.summary ?? ""}`.trim() || j.message || "npm audit reported an error";
      return { result: `not run: ${why}`, passed: undefined };
    }
    if (j.metadata === undefined) return { result: `not run: ${j.message ?? "npm audit returned no advisories data"}`, passed: undefined };
    const v = j.metadata?.vulnerabilities ?? {};
    const bad = (v.high ?? 0) + (v.critical ?? 0);
    return { result: bad === 0 ? `passed (${JSON.stringify(v)})` : `failed: ${v.high ?? 0} high, ${v.critical ?? 0} critical`, passed: bad === 0 };
  } catch {
    return { result: `not run: unreadable npm audit output: ${out.slice(0, 120)}`, passed: undefined };
  }
}
