/** What route handlers see of a request, and what they return. */
import type { Identity } from "./auth.js";
import type { Deployment } from "./context.js";

export interface RequestCtx {
  readonly dep: Deployment;
  readonly query: URLSearchParams;
  /** Runs ExtractIdentity: throws 400/401 for bad headers or unknown keys. */
  identity(): Identity;
  /**
   * Runs the Json extractor: Content-Type, body limit, then parse (BadJsonBody). Integers beyond
   * 2^53 are parsed exactly (bigint) unless `numbers` is "float64": then every number is a double,
   * for handlers that convert every number to Float64 anyway.
   */
  jsonBody(numbers?: "exact" | "float64"): unknown;
  /** The Json extractor's checks (Content-Type, body limit) without the parse: the body bytes, in the pieces they came in. */
  jsonChunks(): readonly Buffer[];
  /** Parses the body text exactly as `jsonBody` would (same errors). */
  parseJson(text: string, numbers?: "exact" | "float64"): unknown;
}

export interface Reply {
  status: number;
  body: string | Buffer;
  contentType?: string;
}

export const json = (body: string | Buffer, status = 200): Reply => ({ status, body, contentType: "application/json" });
export const empty = (): Reply => ({ status: 200, body: "" });
