export type { KeyRole } from "./auth.js";
export type { ClockOptions } from "./clock.js";
export { DEFAULT_KNOBS, type Knobs } from "./context.js";
export { ConvexEmulator, type DocInput, type EmulatorKey, type EmulatorOptions, type EmulatorTxn } from "./emulator.js";
export type { FaultKind, FaultSpec } from "./faults.js";
export { decodeId, encodeId } from "./ids.js";
export type { RequestLogEntry } from "./server.js";
export { type ConvexObject, encodeValue, type Format, formatFloat, type Value } from "./values.js";
