/** The source image against an emulated deployment: check, discover, full-refresh and incremental reads. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseOutput } from "../../shared/test/support/protocol.js";
import type { ConvexEmulator } from "../src/emulator/index.js";
import { IMAGES, ofType, projectRows, type RunResult, readRepoJson, runImage, Secrets, startDeployment, withoutTimes } from "./docker.js";

const FIXTURES = "source-convex/integration_tests";
const seed = readRepoJson<Record<string, Record<string, unknown>[]>>(`${FIXTURES}/seed_data.json`);
const expected = readRepoJson<unknown>(`${FIXTURES}/configured_catalog.json`);

let emulator: ConvexEmulator;
let key: string;
let secrets: Secrets;
const outputs: RunResult[] = [];

async function source(args: string[], viaEnv = false): Promise<RunResult> {
  const r = await runImage(IMAGES.source, args, { secrets: secrets.dir, viaEnv });
  outputs.push(r);
  return r;
}

function recordsByStream(stdout: string): Record<string, Record<string, unknown>[]> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const m of ofType(parseOutput(stdout), "RECORD")) {
    const r = m.record as { stream: string; data: Record<string, unknown> };
    (out[r.stream] ??= []).push(r.data);
  }
  return out;
}

const seededFields = (table: string) => Object.keys(seed[table]![0]!);

beforeAll(async () => {
  const dep = await startDeployment();
  emulator = dep.emulator;
  key = dep.key;
  for (const [table, docs] of Object.entries(seed)) emulator.insert(table, docs);
  secrets = new Secrets();
  secrets.write("config.json", dep.config);
  secrets.write("wrong_key.json", { ...dep.config, access_key: "prod:emulated|not-the-key" });
  secrets.write("catalog.json", expected);
  secrets.write("catalog_full_refresh.json", readRepoJson(`${FIXTURES}/configured_catalog_full_refresh.json`));
});

afterAll(async () => {
  await emulator?.stop();
  secrets?.remove();
});

describe("source image", () => {
  it("check: SUCCEEDED with the deploy key, FAILED (exit 0) with a wrong one", async () => {
    const ok = await source(["check", "--config", "/secrets/config.json"]);
    expect(ok.code).toBe(0);
    expect(ofType(parseOutput(ok.stdout), "CONNECTION_STATUS").map((m) => (m.connectionStatus as { status: string }).status)).toEqual(["SUCCEEDED"]);
    const bad = await source(["check", "--config", "/secrets/wrong_key.json"]);
    expect(bad.code).toBe(0);
    expect(ofType(parseOutput(bad.stdout), "CONNECTION_STATUS").map((m) => (m.connectionStatus as { status: string }).status)).toEqual(["FAILED"]);
  });

  it("check through AIRBYTE_ENTRYPOINT prints what the ENTRYPOINT prints", async () => {
    const direct = await source(["check", "--config", "/secrets/config.json"]);
    const viaEnv = await source(["check", "--config", "/secrets/config.json"], true);
    expect(viaEnv.code).toBe(direct.code);
    expect(withoutTimes(viaEnv.stdout)).toBe(withoutTimes(direct.stdout));
  });

  it("discover: one stream per table, with cursor _ts and primary key _id", async () => {
    const r = await source(["discover", "--config", "/secrets/config.json"]);
    expect(r.code).toBe(0);
    const [catalog] = ofType(parseOutput(r.stdout), "CATALOG");
    const streams = (catalog!.catalog as { streams: { name: string; default_cursor_field?: string[]; source_defined_primary_key?: string[][]; json_schema: { properties: object } }[] }).streams;
    expect(streams.map((s) => s.name).sort()).toEqual(Object.keys(seed).sort());
    for (const s of streams) {
      expect(s.default_cursor_field).toEqual(["_ts"]);
      expect(s.source_defined_primary_key).toEqual([["_id"]]);
      for (const f of seededFields(s.name)) expect(s.json_schema.properties).toHaveProperty(f);
    }
  });

  it("read, full refresh: exactly the seeded documents (the acceptance test's expected records)", async () => {
    const r = await source(["read", "--config", "/secrets/config.json", "--catalog", "/secrets/catalog_full_refresh.json"]);
    expect(r.code).toBe(0);
    const byStream = recordsByStream(r.stdout);
    for (const table of Object.keys(seed)) expect(projectRows(byStream[table] ?? [], seededFields(table))).toEqual(projectRows(seed[table]!, seededFields(table)));
    expect(ofType(parseOutput(r.stdout), "STATE").length).toBeGreaterThanOrEqual(Object.keys(seed).length);
  });

  it("read, incremental: everything, then from the last STATE only what changed since", async () => {
    const first = await source(["read", "--config", "/secrets/config.json", "--catalog", "/secrets/catalog.json"]);
    expect(first.code).toBe(0);
    expect(Object.values(recordsByStream(first.stdout)).flat()).toHaveLength(Object.values(seed).flat().length);
    // The last STATE per stream, passed back the way the platform does.
    const last = new Map<string, unknown>();
    for (const m of ofType(parseOutput(first.stdout), "STATE")) {
      const s = m.state as { type: string; stream: { stream_descriptor: { name: string } } };
      expect(s.type).toBe("STREAM");
      last.set(s.stream.stream_descriptor.name, s);
    }
    expect([...last.keys()].sort()).toEqual(Object.keys(seed).sort());
    secrets.write("state.json", [...last.values()]);

    emulator.insert("posts", [{ body: "A new post after the first sync", likes: 1 }]);
    const [ada] = emulator.readTable("users").filter((u) => u.name === "Ada Lovelace");
    emulator.transaction((tx) => tx.patch(String(ada!._id), { name: "Ada King" }));

    const second = await source(["read", "--config", "/secrets/config.json", "--catalog", "/secrets/catalog.json", "--state", "/secrets/state.json"]);
    expect(second.code).toBe(0);
    const byStream = recordsByStream(second.stdout);
    expect(projectRows(byStream.posts ?? [], ["body"])).toEqual([{ body: "A new post after the first sync" }]);
    expect(projectRows(byStream.users ?? [], ["name"])).toEqual([{ name: "Ada King" }]);

    const viaEnv = await source(["read", "--config", "/secrets/config.json", "--catalog", "/secrets/catalog.json", "--state", "/secrets/state.json"], true);
    expect(viaEnv.code).toBe(0);
    // The same records and the same message sequence; cursors and log rates follow the clock.
    const shape = (stdout: string) => parseOutput(stdout).map((m) => (m.type === "RECORD" ? withoutTimes(JSON.stringify(m)) : m.type));
    expect(shape(viaEnv.stdout)).toEqual(shape(second.stdout));
  });

  it("never prints the deploy key", () => {
    expect(outputs.length).toBeGreaterThan(0);
    const secretPart = key.split("|")[1]!;
    for (const r of outputs) {
      expect(r.stdout).not.toContain(secretPart);
      expect(r.stderr).not.toContain(secretPart);
    }
  });
});
