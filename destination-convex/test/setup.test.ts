import { type ConfiguredAirbyteCatalog, type ConfiguredAirbyteStream, ConfigError, Logger, MessageWriter } from "@convex-airbyte/shared";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { planStreams, runSetup, type SetupApi } from "../src/setup.js";

function stream(name: string, mode: ConfiguredAirbyteStream["destination_sync_mode"], extra: Partial<ConfiguredAirbyteStream> & { namespace?: string } = {}): ConfiguredAirbyteStream {
  const { namespace, ...rest } = extra;
  return {
    stream: { name, ...(namespace !== undefined ? { namespace } : {}), json_schema: { type: "object" }, supported_sync_modes: ["full_refresh", "incremental"] },
    sync_mode: "incremental",
    destination_sync_mode: mode,
    ...rest,
  };
}

function cat(...streams: ConfiguredAirbyteStream[]): ConfiguredAirbyteCatalog {
  return { streams };
}

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk, _e, cb) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      cb();
    },
  });
  return { logger: new Logger(new MessageWriter(out)), lines };
}

describe("planStreams", () => {
  it("uses the namespaced table name for clearing, indexes and records", () => {
    const plan = planStreams(cat(stream("a", "overwrite", { namespace: "ns" }), stream("b", "append_dedup", { namespace: "ns", primary_key: [["_id"]] }), stream("c", "append")), () => {});
    expect(plan.clearTables).toEqual(["ns_a"]);
    expect(plan.indexes).toEqual({ ns_b: [["source_id"]] });
    expect([...plan.streams.values()].map((s) => s.table)).toEqual(["ns_a", "ns_b", "c"]);
    expect([...plan.streams.values()].find((s) => s.name === "b")?.primaryKey).toEqual([["source_id"]]);
  });

  it("clears a stream the platform truncates (minimum_generation_id == generation_id > 0), not a retained one", () => {
    const plan = planStreams(
      cat(
        stream("t", "append", { generation_id: 3, minimum_generation_id: 3 }),
        stream("d", "append_dedup", { primary_key: [["id"]], generation_id: 2, minimum_generation_id: 2 }),
        stream("keep", "append", { generation_id: 3, minimum_generation_id: 0 }),
        stream("never", "append", { generation_id: 0, minimum_generation_id: 0 }),
      ),
      () => {},
    );
    expect(plan.clearTables).toEqual(["t", "d"]);
    expect(plan.indexes).toEqual({ d: [["id"]] });
  });

  it("appends (with a warning) a dedup stream without a primary key, as the Python connector did", () => {
    const warnings: string[] = [];
    const plan = planStreams(cat(stream("x", "append_dedup")), (w) => warnings.push(w));
    expect(plan.indexes).toEqual({});
    expect(warnings[0]).toMatch(/no primary key/);
  });

  it("refuses names Convex cannot store, clashing tables, unindexable keys and unsupported modes", () => {
    expect(() => planStreams(cat(stream("x".repeat(70), "append")), () => {})).toThrow(ConfigError);
    expect(() => planStreams(cat(stream("b_c", "append", { namespace: "a" }), stream("c", "append", { namespace: "a_b" })), () => {})).toThrow(/both be written/);
    expect(() => planStreams(cat(stream("x", "append_dedup", { primary_key: [["first name"]] })), () => {})).toThrow(/index/);
    expect(() => planStreams(cat(stream("x", "soft_delete")), () => {})).toThrow(/not support/);
  });
});

describe("runSetup", () => {
  it("clears once, adds indexes, polls readiness with backoff and logs progress", async () => {
    const calls: string[] = [];
    let t = 0;
    let polls = 0;
    const api: SetupApi = {
      clearTables: async (x) => void calls.push(`clear ${x.join(",")}`),
      addPrimaryKeyIndexes: async (i) => void calls.push(`index ${JSON.stringify(i)}`),
      primaryKeyIndexesReady: async () => ++polls > 6,
    };
    const { logger, lines } = capture();
    const plan = planStreams(cat(stream("a", "overwrite"), stream("b", "overwrite"), stream("c", "append_dedup", { primary_key: [["id"]] })), () => {});
    const sleeps: number[] = [];
    await runSetup(api, plan, logger, { indexReadyTimeoutMs: 600_000, now: () => t, sleep: async (ms) => {
        sleeps.push(ms);
        t += ms;
      }, progressEveryMs: 1000 });
    expect(calls).toEqual(["clear a,b", 'index {"c":[["id"]]}']);
    expect(polls).toBe(7);
    expect(sleeps[0]).toBe(50); // a quick first look: new indexes are often ready at once
    expect(sleeps).toEqual([...sleeps].sort((a, b) => a - b));
    expect(lines.some((l) => l.includes("Still waiting"))).toBe(true);
  });

  it("gives up after the bounded wait with a clear error", async () => {
    let t = 0;
    const api: SetupApi = { clearTables: async () => {}, addPrimaryKeyIndexes: async () => {}, primaryKeyIndexesReady: async () => false };
    const plan = planStreams(cat(stream("c", "append_dedup", { primary_key: [["id"]] })), () => {});
    await expect(runSetup(api, plan, capture().logger, { indexReadyTimeoutMs: 60_000, now: () => t, sleep: async (ms) => {
          t += ms;
        } })).rejects.toThrow(/index_ready_timeout_seconds/);
  });

  it("makes no call when nothing needs setup", async () => {
    const api: SetupApi = {
      clearTables: async () => expect.fail("no clear"),
      addPrimaryKeyIndexes: async () => expect.fail("no index"),
      primaryKeyIndexesReady: async () => expect.fail("no poll"),
    };
    await runSetup(api, planStreams(cat(stream("a", "append")), () => {}), capture().logger, { indexReadyTimeoutMs: 1, now: () => 0, sleep: async () => {} });
  });
});
