// Prints list_snapshot pages/second for 1024-document pages and import_airbyte_records docs/second
// for 10k-record batches (no timing assertions).
import { parseExact } from "@convex-airbyte/shared";
import { request } from "undici";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ConvexEmulator, DocumentGenerator, encodeValue, seedEmulator, type Value } from "../src/index.js";
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

/** A generated document as source-convex emits it: clean `json` values plus the export metadata. */
function sourceRecord(gen: DocumentGenerator, i: number, ts: bigint): string {
  const doc = gen.doc(i % 3 === 0 ? "users" : i % 3 === 1 ? "messages" : "events", i);
  const parts = [
    `"_id":"k${String(i).padStart(31, "0")}"`,
    `"_creationTime":${1.7e12 + i}.5`,
    `"_ts":${ts}`,
    `"_table":"t"`,
    `"_component":""`,
    `"_deleted":false`,
    `"_ab_cdc_lsn":${ts}`,
    `"_ab_cdc_updated_at":"2024-05-01T00:00:00.000Z"`,
    `"_ab_cdc_deleted_at":null`,
  ];
  for (const [k, v] of Object.entries(doc)) if (v !== undefined) parts.push(`${JSON.stringify(k)}:${encodeValue(v as Value, "json")}`);
  return `{"tableName":"t","data":{${parts.join(",")}}}`;
}

it("measures import_airbyte_records throughput", async () => {
  const gen = new DocumentGenerator({ seed: 1 });
  const batchSize = 10_000;
  const batches = 4;
  const bodies: { pk: string[][] | null; body: Buffer }[] = [];
  let ts = (1n << 60n) + 12_345n;
  for (const pk of [null, [["source_id"]]]) {
    for (let b = 0; b < batches; b++) {
      const records: string[] = [];
      for (let j = 0; j < batchSize; j++) {
        ts += 1001n;
        records.push(sourceRecord(gen, b * batchSize + j, ts));
      }
      const tables = JSON.stringify({ t: { primaryKey: pk, jsonSchema: {} } });
      bodies.push({ pk, body: Buffer.from(`{"tables":${tables},"messages":[${records.join(",")}]}`) });
    }
  }
  const headers = { authorization: `Convex ${KEY}`, "content-type": "application/json" };
  const results: string[] = [];
  for (const mode of ["append", "dedup"] as const) {
    const target = await startEmulator({ knobs: { indexBackfillPolls: 0 } });
    try {
      if (mode === "dedup") {
        const res = await request(`${target.url}/api/streaming_import/add_primary_key_indexes`, {
          method: "PUT",
          headers,
          body: JSON.stringify({ indexes: { t: [["source_id"]] } }),
        });
        await res.body.text();
        target.finishIndexBackfills();
      }
      let bytes = 0;
      const t0 = performance.now();
      for (const { pk, body } of bodies) {
        if ((pk === null) !== (mode === "append")) continue;
        const res = await request(`${target.url}/api/streaming_import/import_airbyte_records`, { method: "POST", headers, body });
        await res.body.text();
        expect(res.statusCode).toBe(200);
        bytes += body.length;
      }
      const secs = (performance.now() - t0) / 1000;
      expect(target.readTable("t")).toHaveLength(batches * batchSize);
      results.push(`${mode} ${((batches * batchSize) / secs).toFixed(0)} docs/s`);
      if (mode === "dedup") results.push(`${((bytes / (batches * batchSize)) | 0)} B/record`);
    } finally {
      await target.stop();
    }
  }
  process.stdout.write(`import_airbyte_records (${batches} × ${batchSize}-record batches): ${results.join(", ")}\n`);
});
