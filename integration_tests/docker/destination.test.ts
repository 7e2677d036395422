/** The destination image against an emulated deployment: check, and write in each sync mode. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseOutput } from "../../shared/test/support/protocol.js";
import type { ConvexEmulator } from "../src/emulator/index.js";
import { IMAGES, ofType, projectRows, type RunResult, readRepoJson, ROOT, runImage, Secrets, startDeployment, withoutTimes } from "./docker.js";

const FIXTURES = "destination-convex/integration_tests";
const input = readFileSync(join(ROOT, FIXTURES, "messages.jsonl"), "utf8");
const inputStates = input.split("\n").filter((l) => l.includes('"type":"STATE"'));

let emulator: ConvexEmulator;
let key: string;
let secrets: Secrets;
const outputs: RunResult[] = [];

async function destination(args: string[], opts: { stdin?: string; viaEnv?: boolean } = {}): Promise<RunResult> {
  const r = await runImage(IMAGES.destination, args, { secrets: secrets.dir, ...opts });
  outputs.push(r);
  return r;
}

const WRITE = ["write", "--config", "/secrets/config.json", "--catalog", "/secrets/catalog.json"];

beforeAll(async () => {
  const dep = await startDeployment();
  emulator = dep.emulator;
  key = dep.key;
  secrets = new Secrets();
  secrets.write("config.json", dep.config);
  secrets.write("wrong_key.json", { ...dep.config, access_key: "prod:emulated|not-the-key" });
  secrets.write("catalog.json", readRepoJson(`${FIXTURES}/configured_catalog.json`));
});

afterAll(async () => {
  await emulator?.stop();
  secrets?.remove();
});

const titles = (table: string) => projectRows(emulator.readTable(table) as Record<string, unknown>[], ["id", "title"]);

describe("destination image", () => {
  it("check: SUCCEEDED with the deploy key, FAILED (exit 0) with a wrong one, the same via AIRBYTE_ENTRYPOINT", async () => {
    const status = (r: RunResult) => ofType(parseOutput(r.stdout), "CONNECTION_STATUS").map((m) => (m.connectionStatus as { status: string }).status);
    const ok = await destination(["check", "--config", "/secrets/config.json"]);
    expect([ok.code, status(ok)]).toEqual([0, ["SUCCEEDED"]]);
    const bad = await destination(["check", "--config", "/secrets/wrong_key.json"]);
    expect([bad.code, status(bad)]).toEqual([0, ["FAILED"]]);
    const viaEnv = await destination(["check", "--config", "/secrets/wrong_key.json"], { viaEnv: true });
    expect(withoutTimes(viaEnv.stdout)).toBe(withoutTimes(bad.stdout));
  });

  it("write: echoes every STATE, and each sync mode leaves the expected rows", async () => {
    const r = await destination(WRITE, { stdin: input });
    expect(r.code, r.stderr).toBe(0);
    // Each input STATE comes back as it was, plus the protocol's destinationStats (records since the stream's previous STATE).
    const states = ofType(parseOutput(r.stdout), "STATE").map((m) => m.state as Record<string, unknown>);
    expect(states.map(({ destinationStats: _, ...rest }) => rest)).toEqual(inputStates.map((l) => (JSON.parse(l) as { state: unknown }).state));
    for (const s of states) if (s.destinationStats !== undefined) expect(s.destinationStats).toStrictEqual({ recordCount: 2 });
    const all = [
      { id: 1, title: "first" },
      { id: 2, title: "second" },
      { id: 2, title: "second, edited" },
      { id: 3, title: "third" },
    ];
    expect(titles("airbyte_overwrite")).toEqual(projectRows(all, ["id", "title"]));
    expect(titles("airbyte_append")).toEqual(projectRows(all, ["id", "title"]));
    expect(titles("airbyte_dedup")).toEqual(projectRows([all[0]!, all[2]!, all[3]!], ["id", "title"]));
  });

  it("write again, through AIRBYTE_ENTRYPOINT: overwrite replaces, append adds, dedup upserts", async () => {
    const r = await destination(WRITE, { stdin: input, viaEnv: true });
    expect(r.code, r.stderr).toBe(0);
    expect(ofType(parseOutput(r.stdout), "STATE")).toHaveLength(inputStates.length);
    expect(titles("airbyte_overwrite")).toHaveLength(4);
    expect(titles("airbyte_append")).toHaveLength(8);
    expect(titles("airbyte_dedup")).toHaveLength(3);
  });

  it("never prints the deploy key", () => {
    const secretPart = key.split("|")[1]!;
    for (const r of outputs) {
      expect(r.stdout).not.toContain(secretPart);
      expect(r.stderr).not.toContain(secretPart);
    }
  });
});
