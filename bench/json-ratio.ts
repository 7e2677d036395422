/**
 * `npm run bench:json`: the exact int64 parse (the one the Convex client uses on export pages)
 * against plain `JSON.parse`, on a 1024-document `list_snapshot` page of generated ~500-byte
 * documents with `_ts` above 2^60. Prints both timings and the ratio (goal: at most 1.5×).
 */
import { type KnownInt64s, parseExactWith, placeEach, placeOne } from "@convex-airbyte/shared";
import { encodeValue, generateDocuments, type Value } from "@convex-airbyte/integration-tests";

function page(): string {
  let ts = 1152921504606846977n;
  const values = generateDocuments("users", 1024, { seed: 3 }).map((doc) => {
    ts += 1337n;
    const fields = encodeValue(doc as unknown as Value, "json").slice(1);
    return `{"_component":"","_table":"users","_ts":${ts},${fields}`;
  });
  return `{"values":[${values.join(",")}],"snapshot":${ts},"cursor":"{\\"tablet\\":\\"AAAAAAAAAAAAAAAAAAAAAA\\",\\"id\\":\\"x\\"}","hasMore":true}`;
}

const place = (root: unknown, exact: KnownInt64s): boolean => {
  const r = root as Record<string, unknown>;
  return placeEach(r.values, "_ts", exact) >= 0 && placeOne(r, "snapshot", exact);
};

function medianMs(f: () => unknown, rounds = 15, iterations = 40): number {
  for (let i = 0; i < iterations; i++) f();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) f();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6 / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

const text = page();
// Interleave the two so that a noisy machine affects both alike.
const plain: number[] = [];
const exact: number[] = [];
for (let i = 0; i < 5; i++) {
  plain.push(medianMs(() => JSON.parse(text)));
  exact.push(medianMs(() => parseExactWith(text, place)));
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const p = med(plain);
const e = med(exact);
process.stdout.write(`page: 1024 documents, ${(text.length / 1024).toFixed(0)} KiB\nJSON.parse: ${p.toFixed(3)} ms\nexact parse: ${e.toFixed(3)} ms\nratio: ${(e / p).toFixed(2)}x\n`);
