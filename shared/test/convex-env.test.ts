import { describe, expect, it } from "vitest";
import { retryFromEnv, timeoutsFromEnv } from "../src/convex/env.js";

describe("environment overrides", () => {
  it("reads positive integer timeouts and retry settings", () => {
    expect(timeoutsFromEnv({ CONVEX_HTTP_HEADERS_TIMEOUT_MS: "2000", CONVEX_HTTP_CONNECT_TIMEOUT_MS: "500" })).toEqual({ headersMs: 2000, connectMs: 500 });
    expect(retryFromEnv({ CONVEX_RETRY_MAX_ATTEMPTS: "3", CONVEX_RETRY_MAX_TOTAL_MS: "10000" })).toEqual({ maxAttempts: 3, maxTotalMs: 10000 });
  });
  it("ignores empty, zero, negative and non-numeric values", () => {
    expect(timeoutsFromEnv({ CONVEX_HTTP_HEADERS_TIMEOUT_MS: "", CONVEX_HTTP_BODY_TIMEOUT_MS: "0", CONVEX_HTTP_CONNECT_TIMEOUT_MS: "abc" })).toEqual({});
    expect(retryFromEnv({ CONVEX_RETRY_MAX_ATTEMPTS: "-1", CONVEX_RETRY_BASE_DELAY_MS: "1.5" })).toEqual({});
  });
});
