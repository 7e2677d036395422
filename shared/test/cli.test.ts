import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { type DestinationDefinition, runConnector, type SourceDefinition } from "../src/runtime/cli.js";
import { ConfigError, SystemError, TransientError } from "../src/runtime/errors.js";
import { parseOutput } from "./support/protocol.js";

const KEY = "prod:happy-otter-123|0123456789abcdef0123456789abcdef";
const spec = {
  connectionSpecification: {
    type: "object",
    required: ["deployment_url", "access_key"],
    properties: { deployment_url: { type: "string" }, access_key: { type: "string", airbyte_secret: true } },
  },
};

function source(overrides: Partial<SourceDefinition<{ access_key: string }>> = {}): SourceDefinition<{ access_key: string }> {
  return {
    kind: "source",
    name: "source-test",
    spec: () => spec,
    check: async () => ({ status: "SUCCEEDED" }),
    discover: async () => ({ streams: [{ name: "t", json_schema: { type: "object", properties: {} }, supported_sync_modes: ["full_refresh"] }] }),
    read: async (_c, _cat, _state, ctx) => {
      await ctx.output.record({ stream: "t", data: { a: 1 }, emitted_at: Date.now() });
    },
    ...overrides,
  };
}

const dir = mkdtempSync(join(tmpdir(), "cli-test-"));
function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
const goodConfig = file("config.json", JSON.stringify({ deployment_url: "https://x.convex.cloud", access_key: KEY }));
const catalog = file("catalog.json", JSON.stringify({ streams: [{ stream: { name: "t", json_schema: {}, supported_sync_modes: ["full_refresh"] }, sync_mode: "full_refresh", destination_sync_mode: "overwrite" }] }));

async function run(def: SourceDefinition<{ access_key: string }> | DestinationDefinition<{ access_key: string }>, argv: string[], stdin = "") {
  const stdout = new PassThrough();
  let text = "";
  stdout.on("data", (d: Buffer) => (text += d.toString()));
  const code = await runConnector(def, argv, { stdout, stdin: Readable.from([stdin]) });
  return { code, text, messages: parseOutput(text) };
}

function traceError(messages: Record<string, unknown>[]): Record<string, unknown> {
  const t = messages.find((m) => m.type === "TRACE") as { trace: { error: Record<string, unknown> } } | undefined;
  if (!t) throw new Error("no TRACE ERROR");
  return t.trace.error;
}

describe("runConnector", () => {
  it("prints exactly one SPEC", async () => {
    const { code, messages } = await run(source(), ["spec"]);
    expect(code).toBe(0);
    expect(messages.map((m) => m.type)).toEqual(["SPEC"]);
  });

  it("rejects an unknown command with a config_error and a non-zero exit", async () => {
    const { code, messages } = await run(source(), ["write", "--config", goodConfig]);
    expect(code).not.toBe(0);
    expect(traceError(messages)).toMatchObject({ failure_type: "config_error" });
    expect(String(traceError(messages).message)).toMatch(/write/);
  });

  it("names a missing file and an invalid JSON file", async () => {
    const missing = await run(source(), ["discover", "--config", join(dir, "nope.json")]);
    expect(missing.code).toBe(1);
    expect(traceError(missing.messages).message).toMatch(/--config file '.*nope\.json': it does not exist/);
    const bad = await run(source(), ["discover", "--config", file("bad.json", "{oops")]);
    expect(traceError(bad.messages).message).toMatch(/--config file '.*bad\.json' is not valid JSON/);
    const noCatalog = await run(source(), ["read", "--config", goodConfig]);
    expect(traceError(noCatalog.messages).message).toMatch(/--catalog/);
  });

  it("reports an invalid config as CONNECTION_STATUS FAILED in check, and as a config_error elsewhere", async () => {
    const invalid = file("invalid.json", JSON.stringify({ deployment_url: "https://x" }));
    const check = await run(source(), ["check", "--config", invalid]);
    expect(check.code).toBe(0);
    expect(check.messages).toEqual([{ type: "CONNECTION_STATUS", connectionStatus: { status: "FAILED", message: expect.stringMatching(/access_key/) } }]);
    const discover = await run(source(), ["discover", "--config", invalid]);
    expect(discover.code).toBe(1);
    expect(traceError(discover.messages)).toMatchObject({ failure_type: "config_error", message: expect.stringMatching(/access_key/) });
  });

  it("turns check failures into FAILED, except bugs", async () => {
    const transient = await run(source({ check: async () => Promise.reject(new TransientError("host unreachable")) }), ["check", "--config", goodConfig]);
    expect(transient.messages[0]).toMatchObject({ connectionStatus: { status: "FAILED", message: "host unreachable" } });
    const bug = await run(source({ check: async () => Promise.reject(new Error("boom")) }), ["check", "--config", goodConfig]);
    expect(bug.code).toBe(1);
    expect(traceError(bug.messages)).toMatchObject({ failure_type: "system_error" });
  });

  it("classifies errors and keeps the key out of every message, stack traces included", async () => {
    for (const [err, type] of [
      [new ConfigError(`bad key ${KEY}`), "config_error"],
      [new TransientError("429 again", { internal: `Authorization: Convex ${KEY}` }), "transient_error"],
      [new SystemError(`oops ${KEY}`), "system_error"],
      [new Error(`raw ${KEY}`), "system_error"],
    ] as const) {
      const r = await run(source({ read: async () => Promise.reject(err) }), ["read", "--config", goodConfig, "--catalog", catalog]);
      expect(r.code).toBe(1);
      expect(traceError(r.messages).failure_type).toBe(type);
      expect(r.text).not.toContain(KEY);
      expect(r.text).not.toContain("0123456789abcdef0123456789abcdef");
    }
  });

  it("passes stdin lines to the destination with line numbers", async () => {
    const seen: number[] = [];
    const dest: DestinationDefinition<{ access_key: string }> = {
      kind: "destination",
      name: "destination-test",
      spec: () => spec,
      check: async () => ({ status: "SUCCEEDED" }),
      write: async (_c, _cat, input) => {
        for await (const line of input) seen.push(line.lineNumber);
      },
    };
    const r = await run(dest, ["write", "--config", goodConfig, "--catalog", catalog], "a\n\nb\n");
    expect(r.code).toBe(0);
    expect(seen).toEqual([1, 3]);
  });

  it("stops on abort with a transient error and exit 143", async () => {
    const controller = new AbortController();
    const def = source({
      read: async (_c, _cat, _s, ctx) => {
        controller.abort("SIGTERM");
        await new Promise((r) => setTimeout(r, 5));
        if (ctx.signal.aborted) return;
      },
    });
    const stdout = new PassThrough();
    let text = "";
    stdout.on("data", (d: Buffer) => (text += d.toString()));
    const code = await runConnector(def, ["read", "--config", goodConfig, "--catalog", catalog], { stdout, stdin: Readable.from([]), signal: controller.signal });
    expect(code).toBe(143);
    expect(traceError(parseOutput(text))).toMatchObject({ failure_type: "transient_error" });
  });

  it("warns that NODE_TLS_REJECT_UNAUTHORIZED=0 is ignored", async () => {
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    try {
      const { messages } = await run(source(), ["check", "--config", goodConfig]);
      expect(messages.find((m) => m.type === "LOG")).toMatchObject({ log: { level: "WARN", message: expect.stringMatching(/NODE_TLS_REJECT_UNAUTHORIZED=0 .*ignored/) } });
    } finally {
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
    }
  });
});
