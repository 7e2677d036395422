/**
 * Per-stream state, in the Python connector's exact shape:
 * `{snapshot_cursor: string|null, snapshot_has_more: boolean, delta_cursor: int64|null}`.
 * Accepts the platform's STREAM array, a single state message, and the legacy object keyed by
 * stream name (with extra keys such as `delta_has_more`). Missing keys take the values a fresh
 * stream has, instead of a KeyError. Pure.
 */
import { ConfigError, streamKey, toInt64 } from "@convex-airbyte/shared";

export interface StreamState {
  /** Opaque list_snapshot cursor of the last page written; null before the first or after the last. */
  snapshot_cursor: string | null;
  /** True until the stream's initial snapshot has been read to the end. */
  snapshot_has_more: boolean;
  /** The snapshot timestamp during the snapshot, then the document_deltas cursor (ns). */
  delta_cursor: bigint | null;
}

export function freshState(): StreamState {
  return { snapshot_cursor: null, snapshot_has_more: true, delta_cursor: null };
}

/** Saved states by stream key (`streamKey(name, namespace)`). */
export type SavedStates = Map<string, StreamState>;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

const FIX = "Fix or remove the saved state (Airbyte: reset or refresh the stream) and run the sync again.";

/** Reads one stream's state object. `where` names it in errors. */
export function parseStreamState(value: unknown, where: string): StreamState | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw new ConfigError(`The saved state of ${where} is not an object (got ${describe(value)}). ${FIX}`);
  // `{}` or the CDK's full-refresh sentinels: nothing to resume.
  if (Object.keys(value).length === 0 || "__ab_no_cursor_state_message" in value || "__ab_full_refresh_sync_complete" in value) return null;
  const state = freshState();
  const cursor = value.snapshot_cursor;
  if (cursor !== undefined && cursor !== null) {
    if (typeof cursor !== "string") throw new ConfigError(`The saved state of ${where} has a snapshot_cursor that is not a string (got ${describe(cursor)}). ${FIX}`);
    state.snapshot_cursor = cursor;
  }
  const hasMore = value.snapshot_has_more;
  if (hasMore !== undefined && hasMore !== null) {
    if (typeof hasMore !== "boolean") throw new ConfigError(`The saved state of ${where} has a snapshot_has_more that is not true or false (got ${describe(hasMore)}). ${FIX}`);
    state.snapshot_has_more = hasMore;
  }
  const delta = value.delta_cursor;
  if (delta !== undefined && delta !== null) {
    const exact = toInt64(delta);
    if (exact === undefined || exact < 0n) {
      const hint = typeof delta === "number" ? " (a non-integer or a number that lost precision)" : "";
      throw new ConfigError(`The saved state of ${where} has a delta_cursor that is not a non-negative integer${hint} (got ${describe(delta)}). ${FIX}`);
    }
    state.delta_cursor = exact;
  }
  return state;
}

function describe(v: unknown): string {
  if (typeof v === "bigint") return v.toString();
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * Parses the `--state` input. An array is the platform's list of state messages; an object with
 * `type`/`stream`/`global`/`data` is one message; any other object is the legacy form keyed by
 * stream name.
 */
export function parseSavedStates(input: unknown): SavedStates {
  const out: SavedStates = new Map();
  if (input === undefined || input === null) return out;
  if (Array.isArray(input)) {
    for (const [i, msg] of input.entries()) addMessage(out, msg, `state[${i}]`);
    return out;
  }
  if (!isObject(input)) throw new ConfigError(`The --state input must be a JSON array of state messages or an object (got ${describe(input)}). ${FIX}`);
  if (isMessage(input)) {
    addMessage(out, input, "the state message");
    return out;
  }
  addLegacy(out, input, "the legacy state");
  return out;
}

function isMessage(v: Record<string, unknown>): boolean {
  return typeof v.type === "string" && ["STREAM", "GLOBAL", "LEGACY"].includes(v.type) ? true : isObject(v.stream) && isObject((v.stream as Record<string, unknown>).stream_descriptor);
}

function addLegacy(out: SavedStates, obj: Record<string, unknown>, where: string): void {
  for (const [name, value] of Object.entries(obj)) {
    const s = parseStreamState(value, `stream '${name}' in ${where}`);
    if (s) out.set(streamKey(name), s);
  }
}

function addStreamState(out: SavedStates, ss: unknown, where: string): void {
  if (!isObject(ss) || !isObject(ss.stream_descriptor) || typeof ss.stream_descriptor.name !== "string") {
    throw new ConfigError(`${where} has no stream.stream_descriptor.name. ${FIX}`);
  }
  const { name, namespace } = ss.stream_descriptor;
  const ns = typeof namespace === "string" && namespace !== "" ? namespace : undefined;
  const label = ns ? `stream '${ns}.${name}'` : `stream '${name}'`;
  const s = parseStreamState(ss.stream_state, `${label} (${where})`);
  const key = streamKey(name, ns);
  if (s) out.set(key, s);
  else out.delete(key);
}

function addMessage(out: SavedStates, msg: unknown, where: string): void {
  if (!isObject(msg)) throw new ConfigError(`${where} is not a state message object (got ${describe(msg)}). ${FIX}`);
  // Tolerate a whole AirbyteMessage ({"type":"STATE","state":{…}}) as saved by hand.
  if (msg.type === "STATE" && isObject(msg.state)) {
    addMessage(out, msg.state, where);
  } else if (isObject(msg.stream)) {
    addStreamState(out, msg.stream, where);
  } else if (isObject(msg.global)) {
    const states = msg.global.stream_states;
    if (!Array.isArray(states)) throw new ConfigError(`${where} is a GLOBAL state without a stream_states array. ${FIX}`);
    for (const [i, ss] of states.entries()) addStreamState(out, ss, `${where}.global.stream_states[${i}]`);
  } else if (isObject(msg.data)) {
    addLegacy(out, msg.data, `${where}.data`);
  } else {
    throw new ConfigError(`${where} has none of "stream", "global" or "data", so it is not a state message this source can read. ${FIX}`);
  }
}

/** The state object written in STATE messages (delta_cursor stays a bigint: exact digits). */
export function serializeState(s: StreamState): Record<string, unknown> {
  return { snapshot_cursor: s.snapshot_cursor, snapshot_has_more: s.snapshot_has_more, delta_cursor: s.delta_cursor };
}
