/**
 * `convex-emulator` CLI: serves an emulated deployment until SIGTERM/SIGINT.
 * First stdout line: `listening on http://127.0.0.1:PORT`.
 */
import { parseArgs } from "node:util";
import { seedEmulator } from "../generator/seed.js";
import { ConvexEmulator } from "./emulator.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    "admin-key": { type: "string", default: "emulator-admin-key" },
    "read-only-key": { type: "string" },
    "seed-docs": { type: "string", default: "0" },
    "latency-ms": { type: "string", default: "0" },
    seed: { type: "string", default: "1" },
    "snapshot-page-size": { type: "string" },
    "deltas-page-size": { type: "string" },
  },
  strict: true,
});

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`convex-emulator: --${name} must be a non-negative number`);
    process.exit(2);
  }
  return n;
}

const knobs: { snapshotPageSize?: number; deltasPageSize?: number } = {};
const sps = num("snapshot-page-size", values["snapshot-page-size"]);
if (sps !== undefined) knobs.snapshotPageSize = sps;
const dps = num("deltas-page-size", values["deltas-page-size"]);
if (dps !== undefined) knobs.deltasPageSize = dps;

const emulator = new ConvexEmulator({
  port: num("port", values.port) ?? 0,
  host: values.host,
  adminKey: values["admin-key"],
  readOnlyKey: values["read-only-key"],
  latencyMs: num("latency-ms", values["latency-ms"]) ?? 0,
  seed: num("seed", values.seed) ?? 1,
  knobs,
});
const seedDocs = num("seed-docs", values["seed-docs"]) ?? 0;
if (seedDocs > 0) seedEmulator(emulator, seedDocs, { seed: num("seed", values.seed) ?? 1 });
const url = await emulator.start();
process.stdout.write(`listening on ${url}\n`);

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  emulator.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
