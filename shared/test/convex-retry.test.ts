import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/runtime/errors.js";
import {
  apiErrorFromResponse,
  backoffDelayMs,
  ConvexMalformedResponseError,
  ConvexNetworkError,
  createRedactor,
  DEFAULT_RETRY_POLICY,
  isRetryable,
  parseRetryAfter,
  type RetryMode,
  withRetry,
} from "../src/convex/index.js";

const info = { method: "POST", route: "/api/streaming_import/import_airbyte_records", host: "x.convex.cloud" };
const api = (status: number, code?: string) =>
  apiErrorFromResponse(status, code === undefined ? "" : JSON.stringify({ code, message: "m" }), info, createRedactor([]));
const net = (phase: "connect" | "request" | "response") =>
  new ConvexNetworkError("n", { ...info, phase, errorCode: "ECONNRESET" });

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-06-01T12:00:00Z");
  it("reads seconds and HTTP dates, never negative", () => {
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("1.5", now)).toBe(1500);
    expect(parseRetryAfter("Sun, 01 Jun 2025 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Sun, 01 Jun 2025 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
  });
});

describe("backoffDelayMs", () => {
  it("is full jitter under an exponential ceiling", () => {
    const p = { baseDelayMs: 1000, maxDelayMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(n, { ...p, random: () => 0.999999 }))).toEqual([
      999, 1999, 3999, 7999, 15_999, 29_999, 29_999,
    ]);
    expect(backoffDelayMs(4, { ...p, random: () => 0 })).toBe(0);
  });
});

describe("isRetryable", () => {
  const table: Array<[string, unknown, Record<RetryMode, boolean>]> = [
    ["429", api(429), { safe: true, "if-not-applied": true, never: false }],
    ["503 RejectedBeforeExecution", api(503, "RejectedBeforeExecution"), { safe: true, "if-not-applied": true, never: false }],
    ["500", api(500), { safe: true, "if-not-applied": false, never: false }],
    ["503 Overloaded", api(503, "Overloaded"), { safe: true, "if-not-applied": false, never: false }],
    ["408", api(408), { safe: true, "if-not-applied": false, never: false }],
    ["400", api(400, "BadJsonBody"), { safe: false, "if-not-applied": false, never: false }],
    ["401", api(401, "BadAdminKey"), { safe: false, "if-not-applied": false, never: false }],
    ["404", api(404), { safe: false, "if-not-applied": false, never: false }],
    ["network connect", net("connect"), { safe: true, "if-not-applied": true, never: false }],
    ["network request", net("request"), { safe: true, "if-not-applied": false, never: false }],
    ["truncated body", new ConvexMalformedResponseError("m", info.route), { safe: true, "if-not-applied": false, never: false }],
    ["config error", new ConfigError("c"), { safe: false, "if-not-applied": false, never: false }],
    ["plain Error", new Error("x"), { safe: false, "if-not-applied": false, never: false }],
  ];
  it.each(table)("%s", (_name, err, expected) => {
    for (const mode of ["safe", "if-not-applied", "never"] as const) expect([mode, isRetryable(err, mode)]).toEqual([mode, expected[mode]]);
  });
});

describe("withRetry", () => {
  it("does not retry non-ConnectorErrors and passes them through", async () => {
    let calls = 0;
    const boom = new TypeError("bug");
    await expect(
      withRetry(
        async () => {
          calls++;
          throw boom;
        },
        { method: "GET", route: "/r", mode: "safe", policy: { ...DEFAULT_RETRY_POLICY, sleep: async () => {} } },
      ),
    ).rejects.toBe(boom);
    expect(calls).toBe(1);
  });
});
