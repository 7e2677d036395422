// Prints list_snapshot pages/second for 1024-document pages (no timing assertions).
import { parseExact } from "@convex-airbyte/shared";
import { request } from "undici";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ConvexEmulator, seedEmulator } from "../src/index.js";
import { KEY, startEmulator } from "./emulator-helpers.js";

let emu: ConvexEmulator;
beforeAll(async () => {
  emu = await startEmulator();
  seedEmulator(emu, 60_000, { seed: 1 });
});
afterAll(() => emu.stop());

it("measures list_snapshot throughput", async () => {
  const headers = { authorization: `Convex ${KEY}` };
  let cursor: string | null = null;
  let snapshot: string | undefined;
  let pages = 0;
  let bytes = 0;
  let serverMs = 0;
  const t0 = performance.now();
  for (;;) {
    const qs = new URLSearchParams();
    if (cursor !== null) qs.set("cursor", cursor);
    if (snapshot !== undefined) qs.set("snapshot", snapshot);
    const s0 = performance.now();
    const res = await request(`${emu.url}/api/list_snapshot?${qs}`, { headers });
    const text = await res.body.text();
    serverMs += performance.now() - s0;
    const page = parseExact(text) as { cursor: string | null; snapshot: bigint; hasMore: boolean; values: unknown[] };
    pages++;
    bytes += text.length;
    snapshot = String(page.snapshot);
    if (!page.hasMore) break;
    cursor = page.cursor;
  }
  const secs = (performance.now() - t0) / 1000;
  expect(pages).toBeGreaterThan(50);
  process.stdout.write(
    `list_snapshot: ${pages} pages, ${(bytes / pages / 1024).toFixed(0)} KiB/page, ` +
      `${(pages / secs).toFixed(0)} pages/s incl. client parse, ${((pages * 1000) / serverMs).toFixed(0)} pages/s fetch-only\n`,
  );
});
