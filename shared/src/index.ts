export * from "./json/exact-json.js";
export * from "./runtime/errors.js";
export { VERSION } from "./version.js";
