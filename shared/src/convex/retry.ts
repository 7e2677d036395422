/**
 * The one retry policy of the Convex client.
 *
 * Retried: network failures (connection refused or reset, socket hang up, DNS, timeouts), 2xx
 * bodies that are not complete JSON (truncated), HTTP 429, 408 and 5xx. Never retried: other 4xx,
 * redirects, TLS verification failures, unexpected response shapes.
 *
 * Delays use exponential backoff with full jitter: `random() * min(maxDelayMs, baseDelayMs * 2^n)`.
 * A `Retry-After` header (seconds or an HTTP date) replaces the jittered delay, capped at
 * `retryAfterCapMs`. Attempts are bounded by `maxAttempts` and by `maxTotalMs` of elapsed time: a
 * retry whose delay would end past that budget is not made.
 *
 * Calls that are not idempotent choose a mode: `safe` retries every retryable failure, `never`
 * retries nothing, and `if-not-applied` retries only failures where the server certainly did not
 * act on the request: a connection that was never established, a 429, or a 503
 * `RejectedBeforeExecution`.
 */
import { ConnectorError } from "../runtime/errors.js";
import {
  ConvexAbortedError,
  ConvexApiError,
  ConvexMalformedResponseError,
  ConvexNetworkError,
} from "./errors.js";
import type { RetryMode } from "./types.js";

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 6. */
  maxAttempts: number;
  /** Backoff base. Default 1 s. */
  baseDelayMs: number;
  /** Backoff ceiling for one delay. Default 30 s. */
  maxDelayMs: number;
  /** Time budget from the first attempt; no retry starts after it. Default 5 min. */
  maxTotalMs: number;
  /** Upper bound for a server's `Retry-After`. Default 60 s. */
  retryAfterCapMs: number;
  /** Waits `ms`; rejects when `signal` aborts. Injectable for tests. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1). Injectable for tests. */
  random: () => number;
  /** Milliseconds since the epoch. Injectable for tests. */
  now: () => number;
}

/** What `onRetry` receives before each wait. */
export interface RetryInfo {
  method: string;
  route: string;
  /** The attempt that just failed, 1-based. */
  attempt: number;
  maxAttempts: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  /** True when the delay came from the server's `Retry-After`. */
  fromRetryAfter: boolean;
  /** HTTP status of the failure, if it was an HTTP answer. */
  status: number | undefined;
  /** The failure (its message is redacted and user-readable). */
  error: ConnectorError;
}

export type RetryCallback = (info: RetryInfo) => void;

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxTotalMs: 5 * 60_000,
  retryAfterCapMs: 60_000,
  sleep: abortableSleep,
  random: Math.random,
  now: Date.now,
});

/** Whether `err` may be retried under `mode`. */
export function isRetryable(err: unknown, mode: RetryMode): boolean {
  if (mode === "never") return false;
  if (err instanceof ConvexNetworkError) return mode === "safe" || err.phase === "connect";
  if (err instanceof ConvexApiError) {
    if (err.status === 429) return true;
    if (err.status === 503 && err.code === "RejectedBeforeExecution") return true;
    return mode === "safe" && (err.status === 408 || err.status >= 500);
  }
  if (err instanceof ConvexMalformedResponseError) return mode === "safe";
  return false;
}

/** The jittered backoff before attempt `failedAttempt + 1` (1-based). */
export function backoffDelayMs(failedAttempt: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs" | "random">): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempt - 1));
  return Math.floor(policy.random() * ceiling);
}

/**
 * Parses `Retry-After`: a non-negative number of seconds or an HTTP date. Returns milliseconds
 * (never negative), or undefined when absent or unparsable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date names its month; this also keeps Date.parse from reading "-5" as a year.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export interface WithRetryOptions {
  method: string;
  route: string;
  mode: RetryMode;
  policy: RetryPolicy;
  onRetry?: RetryCallback | undefined;
  signal?: AbortSignal | undefined;
}

/** The error to throw when `signal` aborted: its reason if that is a ConnectorError. */
export function abortError(signal: AbortSignal, info: { method: string; route: string }): ConnectorError {
  const reason: unknown = signal.reason;
  return reason instanceof ConnectorError ? reason : new ConvexAbortedError(info, { cause: reason });
}

/** Runs `attempt` until it succeeds, fails with a non-retryable error, or the budget runs out. */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, options: WithRetryOptions): Promise<T> {
  const { policy, signal } = options;
  const started = policy.now();
  for (let n = 1; ; n++) {
    if (signal?.aborted) throw abortError(signal, options);
    try {
      return await attempt(n);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal, options);
      if (!(err instanceof ConnectorError) || !isRetryable(err, options.mode)) throw err;
      const retryAfterMs = err instanceof ConvexApiError ? err.retryAfterMs : undefined;
      const fromRetryAfter = retryAfterMs !== undefined;
      const delayMs = fromRetryAfter ? Math.min(retryAfterMs, policy.retryAfterCapMs) : backoffDelayMs(n, policy);
      const elapsed = policy.now() - started;
      if (n >= policy.maxAttempts || elapsed + delayMs > policy.maxTotalMs) {
        if (n > 1) err.message = `${err.message} (Gave up after ${n} attempts in ${Math.round(elapsed / 1000)} s.)`;
        throw err;
      }
      options.onRetry?.({
        method: options.method,
        route: options.route,
        attempt: n,
        maxAttempts: policy.maxAttempts,
        delayMs,
        fromRetryAfter,
        status: err instanceof ConvexApiError ? err.status : undefined,
        error: err,
      });
      try {
        await policy.sleep(delayMs, signal);
      } catch (sleepErr) {
        if (signal?.aborted) throw abortError(signal, options);
        throw sleepErr;
      }
    }
  }
}
