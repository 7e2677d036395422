import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import type { ConvexEmulator } from "../src/index.js";
import { call, startEmulator } from "./emulator-helpers.js";

let emu: ConvexEmulator;
afterEach(() => emu?.stop());

describe("fault injection", () => {
  it("status faults with Retry-After, on the n-th request only", async () => {
    emu = await startEmulator();
    emu.injectFault({ route: "list_snapshot", kind: "status", status: 429, retryAfter: 2, nth: 2 });
    expect((await call(emu, "GET", "/api/list_snapshot")).status).toBe(200);
    const second = await call(emu, "GET", "/api/list_snapshot");
    expect(second.status).toBe(429);
    expect(second.headers["retry-after"]).toBe("2");
    expect((await call(emu, "GET", "/api/list_snapshot")).status).toBe(200);
  });

  it("every / times, 500 and 503 bodies", async () => {
    emu = await startEmulator();
    const id = emu.injectFault({ route: "/api/document_deltas", kind: "status", status: 503, every: true });
    expect((await call(emu, "GET", "/api/document_deltas?cursor=1")).status).toBe(503);
    expect((await call(emu, "GET", "/api/document_deltas?cursor=1")).status).toBe(503);
    emu.removeFault(id);
    emu.injectFault({ route: "document_deltas", kind: "status", status: 500, times: 1 });
    const r = await call(emu, "GET", "/api/document_deltas?cursor=1");
    expect(r.body).toEqual({ code: "InternalServerError", message: "Your request couldn't be completed. Try again later." });
    expect((await call(emu, "GET", "/api/document_deltas?cursor=1")).status).not.toBe(500);
  });

  it("latency, reset and truncate", async () => {
    emu = await startEmulator();
    emu.insert("t", Array.from({ length: 50 }, (_, i) => ({ i })));
    emu.injectFault({ route: "list_snapshot", kind: "latency", latencyMs: 150 });
    const t0 = Date.now();
    await call(emu, "GET", "/api/list_snapshot");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    emu.injectFault({ route: "list_snapshot", kind: "reset" });
    await expect(call(emu, "GET", "/api/list_snapshot")).rejects.toThrow();
    emu.injectFault({ route: "list_snapshot", kind: "truncate" });
    await expect(call(emu, "GET", "/api/list_snapshot")).rejects.toThrow();
    expect((await call(emu, "GET", "/api/list_snapshot")).status).toBe(200);
  });

  it("hang never answers and is cleaned up by stop()", async () => {
    emu = await startEmulator();
    emu.injectFault({ route: "*", kind: "hang" });
    const pending = request(`${emu.url}/api/list_snapshot`, { headersTimeout: 60_000 }).then(
      () => "answered",
      () => "failed",
    );
    await new Promise((r) => setTimeout(r, 100));
    await emu.stop();
    expect(await pending).toBe("failed");
  });

  it("global latency option", async () => {
    emu = await startEmulator({ latencyMs: 60 });
    const t0 = Date.now();
    await call(emu, "GET", "/version");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
  });
});

describe("process mode", () => {
  it("convex-emulator prints its URL first, serves seeded data and exits on SIGTERM", async () => {
    const bin = fileURLToPath(new URL("../bin/convex-emulator.js", import.meta.url));
    const child = spawn(process.execPath, [bin, "--port", "0", "--admin-key", "KEY1", "--seed-docs", "500", "--seed", "3"]);
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once("line", resolve));
    expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    const url = line.slice("listening on ".length);
    const res = await request(`${url}/api/get_table_column_names`, { headers: { authorization: "Convex KEY1" } });
    const body = (await res.body.json()) as { byComponent: Record<string, { name: string }[]> };
    expect(Object.keys(body.byComponent).sort()).toEqual(["", "analytics"]);
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });
});
