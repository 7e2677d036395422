/**
 * The source baseline, run as its own child process: the least work any source must do. It fetches
 * every page of every table one after another with bare undici, parses each page with JSON.parse
 * and writes each document as an Airbyte RECORD line with JSON.stringify. It ignores exactness
 * (int64 `_ts` values lose precision), retries, state and everything else a connector must do.
 *
 * Usage: node source-baseline.js URL ADMIN_KEY STREAMS_JSON  (e.g. [{"name":"events","namespace":"analytics"}];
 * a stream's namespace is its Convex component)
 */
import { once } from "node:events";
import { Agent, request } from "undici";

async function main(): Promise<void> {
  const [base, key, streamsJson] = process.argv.slice(2);
  if (base === undefined || key === undefined || streamsJson === undefined) throw new Error("usage: source-baseline URL KEY STREAMS_JSON");
  const streams = JSON.parse(streamsJson) as { name: string; namespace?: string }[];
  const agent = new Agent({ connections: 1 });
  const headers = { authorization: `Convex ${key}`, "convex-client": "airbyte-export-bench" };
  let snapshot: string | undefined;
  for (const { name: table, namespace } of streams) {
    let cursor: string | undefined;
    for (;;) {
      const q = new URLSearchParams({ tableName: table, format: "json" });
      if (namespace !== undefined) q.set("component", namespace);
      if (cursor !== undefined) q.set("cursor", cursor);
      if (snapshot !== undefined) q.set("snapshot", snapshot);
      const res = await request(`${base}/api/list_snapshot?${q}`, { dispatcher: agent, headers });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`list_snapshot answered ${res.statusCode}: ${text.slice(0, 500)}`);
      const page = JSON.parse(text) as { values: unknown[]; cursor: string | null; hasMore: boolean };
      // The snapshot is an int64 beyond 2^53: take its digits from the text, not from JSON.parse.
      snapshot ??= /"snapshot":(\d+)/.exec(text)?.[1];
      const emittedAt = Date.now();
      let out = "";
      for (const data of page.values) out += `${JSON.stringify({ type: "RECORD", record: { stream: table, namespace, data, emitted_at: emittedAt } })}\n`;
      if (out !== "" && !process.stdout.write(out)) await once(process.stdout, "drain");
      if (!page.hasMore || page.cursor === null) break;
      cursor = page.cursor;
    }
  }
  await agent.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`source-baseline: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
