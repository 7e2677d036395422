/**
 * Checks the Airbyte acceptance-test inputs of both connectors: acceptance-test-config.yml, and the
 * files it names under <connector>/integration_tests (spec, configs, catalogs, records, states).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { assertValidConfiguredCatalog, parseOutput } from "../../shared/test/support/protocol.js";
import { CONNECTORS, type Connector, readJson, readRepoFile, repoPath } from "./packaging-support.js";

interface TestEntry {
  config_path?: string;
  configured_catalog_path?: string;
  spec_path?: string;
  status?: string;
  expect_records?: { path: string; exact_order?: boolean; extra_fields?: boolean; extra_records?: boolean };
  future_state?: { future_state_path: string };
}
interface AcceptanceConfig {
  connector_image: string;
  test_strictness_level?: string;
  acceptance_tests: Record<string, { tests?: TestEntry[]; bypass_reason?: string }>;
}
interface ConfiguredCatalog {
  streams: { stream: { name: string; json_schema: { properties?: Record<string, unknown> } }; sync_mode: string; cursor_field?: string[] }[];
}

const configOf = (c: Connector) => parseYaml(readRepoFile(`${c.name}/acceptance-test-config.yml`)) as AcceptanceConfig;
const entries = (cfg: AcceptanceConfig, suite: string): TestEntry[] => cfg.acceptance_tests[suite]?.tests ?? [];
const jsonl = (p: string) =>
  readRepoFile(p)
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function specOf(connector: string): Record<string, unknown> {
  const stdout = execFileSync(process.execPath, [repoPath(`${connector}/bin/${connector}.js`), "spec"], { encoding: "utf8" });
  return parseOutput(stdout)[0]!.spec as Record<string, unknown>;
}

function configValidator(connector: string) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(specOf(connector).connectionSpecification as object);
}

describe.each(CONNECTORS)("$name/acceptance-test-config.yml", (c) => {
  const cfg = configOf(c);
  const dir = `${c.name}/`;
  const allEntries = Object.values(cfg.acceptance_tests).flatMap((s) => s.tests ?? []);

  it("names the :dev image of metadata.yaml's repository", () => {
    const meta = parseYaml(readRepoFile(`${c.name}/metadata.yaml`)) as { data: { dockerRepository: string } };
    expect(cfg.connector_image).toBe(`${meta.data.dockerRepository}:dev`);
  });

  it(`declares the suites that apply to a ${c.kind}`, () => {
    const suites = c.kind === "source" ? ["spec", "connection", "discovery", "basic_read", "full_refresh", "incremental"] : ["spec", "connection"];
    expect(Object.keys(cfg.acceptance_tests).sort()).toEqual([...suites].sort());
    for (const s of suites) expect(entries(cfg, s).length, s).toBeGreaterThan(0);
  });

  it("reads real configs only from the git-ignored secrets/ folder, and every other file exists", () => {
    const paths = allEntries.flatMap((e) => [e.config_path, e.configured_catalog_path, e.spec_path, e.expect_records?.path, e.future_state?.future_state_path]).filter((p): p is string => p !== undefined);
    for (const p of paths) {
      if (p.startsWith("secrets/")) {
        expect(p).toBe("secrets/config.json");
        // `git check-ignore` exits 0 when the path is ignored.
        execFileSync("git", ["check-ignore", "-q", `${dir}${p}`], { cwd: repoPath(".") });
      } else {
        expect(p.startsWith("integration_tests/"), p).toBe(true);
        expect(existsSync(repoPath(dir + p)), p).toBe(true);
      }
    }
    expect(existsSync(repoPath(`${dir}integration_tests/sample_config.json`))).toBe(true);
  });

  it("expects success with secrets/config.json and FAILED (not a crash) with invalid_config.json", () => {
    expect(entries(cfg, "connection").map((e) => [e.config_path, e.status])).toEqual([
      ["secrets/config.json", "succeed"],
      ["integration_tests/invalid_config.json", "failed"],
    ]);
  });

  it("ships spec.json equal to the connector's spec output", () => {
    const [entry] = entries(cfg, "spec");
    expect(readJson(dir + entry!.spec_path!)).toEqual(specOf(c.name));
  });

  it("ships sample and invalid configs that the spec accepts (the invalid one fails at check, not validation)", () => {
    const validate = configValidator(c.name);
    for (const f of ["sample_config.json", "invalid_config.json"]) {
      expect(validate(readJson(`${dir}integration_tests/${f}`)), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it("ships configured catalogs valid under the Airbyte protocol", () => {
    const catalogs = allEntries.map((e) => e.configured_catalog_path).filter((p): p is string => p !== undefined);
    if (c.kind === "destination") catalogs.push("integration_tests/configured_catalog.json");
    expect(catalogs.length).toBeGreaterThan(0);
    for (const p of new Set(catalogs)) assertValidConfiguredCatalog(readJson(dir + p));
  });
});

describe("source-convex acceptance inputs", () => {
  const dir = "source-convex/integration_tests/";
  const cfg = configOf(CONNECTORS[0]);
  const catalog = readJson<ConfiguredCatalog>(`${dir}configured_catalog.json`);
  const seed = readJson<Record<string, Record<string, unknown>[]>>(`${dir}seed_data.json`);

  it("expects exactly the seeded documents, within each stream's schema", () => {
    const [read] = entries(cfg, "basic_read");
    const options = read!.expect_records!;
    // CAT's own rule: extra_fields needs exact_order on and extra_records off.
    if (options.extra_fields) expect([options.exact_order, options.extra_records]).toEqual([true, false]);
    const records = jsonl(`source-convex/${options.path}`);
    const byStream = new Map<string, unknown[]>();
    for (const r of records) {
      expect(Object.keys(r).sort()).toEqual(["data", "emitted_at", "stream"]);
      const stream = catalog.streams.find((s) => s.stream.name === r.stream);
      expect(stream, String(r.stream)).toBeDefined();
      for (const k of Object.keys(r.data as object)) expect(stream!.stream.json_schema.properties).toHaveProperty(k);
      byStream.set(r.stream as string, [...(byStream.get(r.stream as string) ?? []), r.data]);
    }
    expect(Object.fromEntries(byStream)).toEqual(seed);
  });

  it("uses incremental streams with the _ts cursor, and a future state for each of them", () => {
    for (const s of catalog.streams) {
      expect(s.sync_mode).toBe("incremental");
      expect(s.cursor_field).toEqual(["_ts"]);
    }
    const [inc] = entries(cfg, "incremental");
    const states = readJson<{ type: string; stream: { stream_descriptor: { name: string; namespace?: string }; stream_state: Record<string, unknown> } }[]>(`source-convex/${inc!.future_state!.future_state_path}`);
    expect(states.map((s) => s.stream.stream_descriptor.name).sort()).toEqual(catalog.streams.map((s) => s.stream.name).sort());
    for (const s of states) {
      expect(s.type).toBe("STREAM");
      expect(s.stream.stream_descriptor).not.toHaveProperty("namespace");
      expect(Object.keys(s.stream.stream_state).sort()).toEqual(["delta_cursor", "snapshot_cursor", "snapshot_has_more"]);
      // Far beyond any real Convex timestamp (ns since the epoch; year 2050 is about 2.5e18).
      expect(Number(s.stream.stream_state.delta_cursor)).toBeGreaterThan(2.5e18);
    }
  });

  it("full-refresh catalog reads the same streams in full_refresh", () => {
    const full = readJson<ConfiguredCatalog>(`${dir}configured_catalog_full_refresh.json`);
    expect(full.streams.map((s) => [s.stream.name, s.sync_mode])).toEqual(catalog.streams.map((s) => [s.stream.name, "full_refresh"]));
  });
});

describe("destination-convex acceptance inputs", () => {
  const dir = "destination-convex/integration_tests/";
  it("messages.jsonl holds valid RECORD and STATE messages for the catalog's streams, one mode each", () => {
    const catalog = readJson<{ streams: { stream: { name: string }; destination_sync_mode: string }[] }>(`${dir}configured_catalog.json`);
    expect(catalog.streams.map((s) => s.destination_sync_mode).sort()).toEqual(["append", "append_dedup", "overwrite"]);
    const messages = parseOutput(readRepoFile(`${dir}messages.jsonl`));
    const names = new Set(catalog.streams.map((s) => s.stream.name));
    for (const m of messages) {
      expect(["RECORD", "STATE"]).toContain(m.type);
      const stream = m.type === "RECORD" ? (m.record as { stream: string }).stream : (m.state as { stream: { stream_descriptor: { name: string } } }).stream.stream_descriptor.name;
      expect(names.has(stream), stream).toBe(true);
    }
  });
});
