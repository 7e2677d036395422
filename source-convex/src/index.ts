export * from "./connector.js";
export * from "./spec.js";
