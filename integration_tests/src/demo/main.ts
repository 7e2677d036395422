/**
 * `npm run demo`: the main job end to end on the embedded default. Two emulated Convex
 * deployments; the first is filled with sample data; spec, check and discover run; `source read`
 * is piped into `destination write`; the source changes (inserts, updates, deletes); an incremental
 * sync follows; the target must then equal the source. Exits non-zero if it does not.
 *
 * With `--url` and `--key` the source is a real deployment instead, read-only: nothing is written
 * to it, and the second sync simply picks up whatever changed in between.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConvexEmulator } from "../emulator/emulator.js";
import { seedEmulator } from "../generator/seed.js";
import { allEqual, compareDeployments, type TableComparison } from "../verify/round-trip.js";
import { DESTINATION_BIN, nextStateFile, pipeSync, runCommand, SOURCE_BIN, type SyncStats } from "./run-connector.js";
import { applyChanges, sampleData } from "./sample-data.js";

const { values: args } = parseArgs({
  options: {
    docs: { type: "string", default: "5000" },
    url: { type: "string" },
    key: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});

const say = (line: string) => process.stdout.write(`${line}\n`);
const fail = (why: string): never => {
  process.stderr.write(`demo failed: ${why}\n`);
  process.exit(1);
};

interface Catalog {
  streams: { name: string; namespace?: string; json_schema: Record<string, unknown>; source_defined_primary_key?: string[][] }[];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "convex-demo-"));
  const live = args.url !== undefined;
  if (live && !args.key) fail("--url needs --key (a deploy key of that deployment)");
  const source = live ? undefined : new ConvexEmulator({ adminKey: "demo-source-key|0001", seed: 7 });
  const target = new ConvexEmulator({ adminKey: "demo-target-key|0002", seed: 8 });
  try {
    if (source) {
      await source.start();
      const docs = Number(args.docs);
      seedEmulator(source, docs, { seed: 42 });
      sampleData(source);
    }
    await target.start();
    const sourceConfig = join(dir, "source-config.json");
    const targetConfig = join(dir, "destination-config.json");
    writeFileSync(sourceConfig, JSON.stringify({ deployment_url: args.url ?? source?.url, access_key: args.key ?? source?.adminKey }));
    writeFileSync(targetConfig, JSON.stringify({ deployment_url: target.url, access_key: target.adminKey }));
    say(`source:      ${live ? args.url : `emulated deployment at ${source?.url}`}`);
    say(`destination: emulated deployment at ${target.url}`);

    for (const [bin, name] of [
      [SOURCE_BIN, "source-convex"],
      [DESTINATION_BIN, "destination-convex"],
    ] as const) {
      const spec = await runCommand(bin, ["spec"]);
      if (spec.code !== 0 || spec.messages[0]?.type !== "SPEC") fail(`${name} spec: ${spec.stderr}`);
      const check = await runCommand(bin, ["check", "--config", bin === SOURCE_BIN ? sourceConfig : targetConfig]);
      const status = check.messages.find((m) => m.type === "CONNECTION_STATUS") as { connectionStatus?: { status: string; message?: string } } | undefined;
      if (status?.connectionStatus?.status !== "SUCCEEDED") fail(`${name} check: ${status?.connectionStatus?.message ?? check.stderr}`);
      say(`${name}: spec ok, check ${status?.connectionStatus?.status}`);
    }

    const discovered = await runCommand(SOURCE_BIN, ["discover", "--config", sourceConfig]);
    const catalog = (discovered.messages.find((m) => m.type === "CATALOG") as { catalog?: Catalog } | undefined)?.catalog;
    if (!catalog) fail(`discover printed no catalog: ${JSON.stringify(discovered.messages.at(-1))}`);
    const streams = (catalog as Catalog).streams;
    say(`discover: ${streams.length} streams: ${streams.map((s) => (s.namespace ? `${s.namespace}.${s.name}` : s.name)).join(", ")}`);
    const configured = {
      streams: streams.map((stream) => ({
        stream,
        sync_mode: "incremental",
        destination_sync_mode: "append_dedup",
        cursor_field: ["_ts"],
        primary_key: stream.source_defined_primary_key ?? [["_id"]],
      })),
    };
    const catalogFile = join(dir, "catalog.json");
    writeFileSync(catalogFile, JSON.stringify(configured));

    const first = await pipeSync(["read", "--config", sourceConfig, "--catalog", catalogFile], ["write", "--config", targetConfig, "--catalog", catalogFile]);
    report("initial sync", first);
    const stateFile = join(dir, "state.json");
    writeFileSync(stateFile, nextStateFile(first.committedStates));

    if (source) {
      const changed = applyChanges(source);
      say(`source changes: ${changed.inserted} inserts, ${changed.updated} updates, ${changed.deleted} deletes`);
    }
    const second = await pipeSync(["read", "--config", sourceConfig, "--catalog", catalogFile, "--state", stateFile], ["write", "--config", targetConfig, "--catalog", catalogFile]);
    report("incremental sync", second);

    if (source) {
      const results = compareDeployments(source, target);
      printComparison(results);
      if (!allEqual(results)) fail("the target differs from the source");
      say("verified: the target equals the source (with the documented renames and type changes)");
    } else {
      const tables = target.tables();
      say(`target tables: ${tables.map((t) => `${t.name} (${t.count} rows)`).join(", ")}`);
    }
  } finally {
    await source?.stop();
    await target.stop();
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}

function report(label: string, s: SyncStats): void {
  if (s.sourceCode !== 0 || s.destinationCode !== 0) {
    fail(`${label}: source exit ${s.sourceCode}, destination exit ${s.destinationCode}\n${s.errors.join("\n")}`);
  }
  const rate = s.seconds > 0 ? Math.round(s.records / s.seconds) : 0;
  say(`${label}: ${s.records} records, ${(s.bytes / 1e6).toFixed(1)} MB in ${s.seconds.toFixed(2)} s (${rate} rows/s); ${s.sourceStates} states sent, ${s.committedStates.length} committed`);
}

function printComparison(results: TableComparison[]): void {
  for (const r of results) {
    const where = r.component ? `${r.component}.${r.table}` : r.table;
    say(`  ${where} -> ${r.target}: source ${r.sourceRows} rows, target ${r.targetRows} rows, missing ${r.missing}, extra ${r.extra}, different ${r.different}`);
    for (const e of r.examples) say(`    ${e}`);
  }
}

main().catch((err: unknown) => fail((err as Error)?.stack ?? String(err)));
