/** `docker run -i source read | docker run -i destination write` between two emulated deployments. */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ConvexEmulator } from "../src/emulator/index.js";
import { dockerRunArgs, IMAGES, messages, ofType, projectRows, readRepoJson, runPipeline, Secrets, startDeployment } from "./docker.js";

const seed = readRepoJson<Record<string, Record<string, unknown>[]>>("source-convex/integration_tests/seed_data.json");
let from: ConvexEmulator;
let to: ConvexEmulator;
let keys: string[] = [];
let secrets: Secrets;

beforeAll(async () => {
  const a = await startDeployment();
  const b = await startDeployment();
  from = a.emulator;
  to = b.emulator;
  keys = [a.key, b.key];
  for (const [table, docs] of Object.entries(seed)) from.insert(table, docs);
  secrets = new Secrets();
  secrets.write("source.json", a.config);
  secrets.write("destination.json", b.config);
  secrets.write("catalog.json", readRepoJson("source-convex/integration_tests/configured_catalog_full_refresh.json"));
});

afterAll(async () => {
  await from?.stop();
  await to?.stop();
  secrets?.remove();
});

it("a source read piped into a destination write leaves the target equal to the source", async () => {
  const read = dockerRunArgs(IMAGES.source, ["read", "--config", "/secrets/source.json", "--catalog", "/secrets/catalog.json"], { secrets: secrets.dir, stdin: "" });
  const write = dockerRunArgs(IMAGES.destination, ["write", "--config", "/secrets/destination.json", "--catalog", "/secrets/catalog.json"], { secrets: secrets.dir, stdin: "" });
  const r = await runPipeline(read, write);
  expect([r.leftCode, r.code], r.stderr).toEqual([0, 0]);
  // The destination echoes the source's STATEs once the records before them are stored.
  expect(ofType(messages(r.stdout), "STATE").length).toBeGreaterThanOrEqual(Object.keys(seed).length);
  for (const [table, docs] of Object.entries(seed)) {
    const fields = Object.keys(docs[0]!);
    expect(projectRows(to.readTable(table) as Record<string, unknown>[], fields), table).toEqual(projectRows(from.readTable(table) as Record<string, unknown>[], fields));
    expect(to.readTable(table)).toHaveLength(docs.length);
  }
  for (const k of keys) {
    expect(r.stdout).not.toContain(k.split("|")[1]!);
    expect(r.stderr).not.toContain(k.split("|")[1]!);
  }
});
