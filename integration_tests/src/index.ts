export * from "./emulator/index.js";
export * from "./generator/index.js";
export * from "./verify/round-trip.js";
