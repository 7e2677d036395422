export * from "./client.js";
export * from "./env.js";
export * from "./errors.js";
export * from "./http.js";
export * from "./redact.js";
export * from "./retry.js";
export * from "./types.js";
export * from "./url.js";
