/**
 * Operator overrides for the HTTP timeouts and the retry policy, read from the environment
 * (`CONVEX_HTTP_*_TIMEOUT_MS`, `CONVEX_RETRY_*`). They sit between the defaults and what a
 * connector sets explicitly; tests use them to make hangs and retries fast.
 */
import type { Timeouts } from "./http.js";
import type { RetryPolicy } from "./retry.js";

type Env = Readonly<Record<string, string | undefined>>;

function positiveInt(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function timeoutsFromEnv(env: Env = process.env): Partial<Timeouts> {
  return defined({
    connectMs: positiveInt(env, "CONVEX_HTTP_CONNECT_TIMEOUT_MS"),
    headersMs: positiveInt(env, "CONVEX_HTTP_HEADERS_TIMEOUT_MS"),
    bodyMs: positiveInt(env, "CONVEX_HTTP_BODY_TIMEOUT_MS"),
  });
}

export function retryFromEnv(env: Env = process.env): Partial<RetryPolicy> {
  return defined({
    maxAttempts: positiveInt(env, "CONVEX_RETRY_MAX_ATTEMPTS"),
    baseDelayMs: positiveInt(env, "CONVEX_RETRY_BASE_DELAY_MS"),
    maxDelayMs: positiveInt(env, "CONVEX_RETRY_MAX_DELAY_MS"),
    maxTotalMs: positiveInt(env, "CONVEX_RETRY_MAX_TOTAL_MS"),
    retryAfterCapMs: positiveInt(env, "CONVEX_RETRY_AFTER_CAP_MS"),
  });
}
