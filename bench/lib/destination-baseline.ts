/**
 * The destination baseline, run as its own child process: the least work any destination must
 * do. It adds the primary-key indexes (dedup mode), waits until they are ready, then POSTs
 * pre-built, pre-serialized `import_airbyte_records` bodies one after another with bare undici.
 *
 * Usage: node destination-baseline.js URL ADMIN_KEY BATCHES_FILE INDEXES_JSON
 * BATCHES_FILE holds one request body per line (JSON text has no raw newlines).
 */
import { createReadStream } from "node:fs";
import { Agent, request } from "undici";

async function main(): Promise<void> {
  const [base, key, batchesFile, indexesJson] = process.argv.slice(2);
  if (base === undefined || key === undefined || batchesFile === undefined || indexesJson === undefined) {
    throw new Error("usage: destination-baseline URL KEY BATCHES_FILE INDEXES_JSON");
  }
  const agent = new Agent({ connections: 1 });
  const headers = { authorization: `Convex ${key}`, "convex-client": "streaming-import-bench", "content-type": "application/json" };
  const call = async (method: "GET" | "PUT" | "POST", route: string, body: string | Buffer): Promise<string> => {
    const res = await request(`${base}${route}`, { method, dispatcher: agent, headers, body });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${route} answered ${res.statusCode}: ${text.slice(0, 500)}`);
    return text;
  };
  const indexes = JSON.parse(indexesJson) as Record<string, string[][]>;
  await call("PUT", "/api/streaming_import/add_primary_key_indexes", JSON.stringify({ indexes }));
  const tables = JSON.stringify({ tables: Object.keys(indexes) });
  for (;;) {
    const answer = JSON.parse(await call("GET", "/api/streaming_import/primary_key_indexes_ready", tables)) as { indexesReady: boolean };
    if (answer.indexesReady) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  let carry: Buffer[] = [];
  for await (const chunk of createReadStream(batchesFile, { highWaterMark: 1 << 22 }) as AsyncIterable<Buffer>) {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) {
        if (pos < chunk.length) carry.push(chunk.subarray(pos));
        break;
      }
      const body = carry.length === 0 ? chunk.subarray(pos, nl) : Buffer.concat([...carry, chunk.subarray(pos, nl)]);
      carry = [];
      if (body.length > 0) await call("POST", "/api/streaming_import/import_airbyte_records", body);
      pos = nl + 1;
    }
  }
  if (carry.length > 0) await call("POST", "/api/streaming_import/import_airbyte_records", Buffer.concat(carry));
  await agent.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`destination-baseline: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
