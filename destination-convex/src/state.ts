/**
 * STATE echo: the input line is written back as it came, with only `state.destinationStats` set,
 * so every field the platform or source added (the platform's `id`, unknown keys, big-integer
 * cursors) survives byte for byte. The splice works on the text; nothing is re-serialized.
 */
import { streamKey } from "@convex-airbyte/shared";

export interface DestinationStats {
  recordCount: number;
  rejectedRecordCount?: number;
}

interface MemberSpan {
  key: string;
  valueStart: number;
  valueEnd: number;
}

/** Index just past the JSON value that starts at `i` (the text is known to be valid JSON). */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') {
    i++;
    while (i < text.length) {
      const d = text.charCodeAt(i);
      if (d === 92 /* \ */) i += 2;
      else if (d === 34 /* " */) return i + 1;
      else i++;
    }
    return i;
  }
  if (c === "{" || c === "[") {
    let depth = 0;
    while (i < text.length) {
      const d = text[i];
      if (d === '"') {
        i = skipValue(text, i);
        continue;
      }
      if (d === "{" || d === "[") depth++;
      else if (d === "}" || d === "]") {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  // Number or literal: runs to the next delimiter.
  while (i < text.length && !/[,}\]\s]/.test(text[i] as string)) i++;
  return i;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i] as string)) i++;
  return i;
}

/** The members of the object starting at `start` (which must be `{`). */
function members(text: string, start: number): { spans: MemberSpan[]; close: number } {
  const spans: MemberSpan[] = [];
  let i = skipWs(text, start + 1);
  if (text[i] === "}") return { spans, close: i };
  for (;;) {
    const keyEnd = skipValue(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    i = skipWs(text, i + 1); // the colon
    const valueEnd = skipValue(text, i);
    spans.push({ key, valueStart: i, valueEnd });
    i = skipWs(text, valueEnd);
    if (text[i] === ",") {
      i = skipWs(text, i + 1);
      continue;
    }
    return { spans, close: i };
  }
}

/**
 * Returns `line` (a valid JSON STATE message whose `state` is an object) with
 * `state.destinationStats` set to `stats`, replacing a value already there.
 */
export function withDestinationStats(line: string, stats: DestinationStats): string {
  const text = line.trim();
  const top = members(text, skipWs(text, 0));
  const state = [...top.spans].reverse().find((m) => m.key === "state");
  if (state === undefined || text[state.valueStart] !== "{") throw new Error("withDestinationStats: no state object");
  const inner = members(text, state.valueStart);
  const statsText = JSON.stringify(stats);
  const existing = [...inner.spans].reverse().find((m) => m.key === "destinationStats");
  if (existing !== undefined) {
    return text.slice(0, existing.valueStart) + statsText + text.slice(existing.valueEnd);
  }
  const sep = inner.spans.length === 0 ? "" : ",";
  return `${text.slice(0, inner.close)}${sep}"destinationStats":${statsText}${text.slice(inner.close)}`;
}

/** The stream a STATE message is about, or undefined for GLOBAL/LEGACY states. */
export function stateStream(state: Record<string, unknown>): { name: string; namespace?: string | null } | undefined {
  const type = state.type ?? "LEGACY";
  if (type !== "STREAM") return undefined;
  const stream = state.stream as { stream_descriptor?: { name?: unknown; namespace?: unknown } } | undefined;
  const d = stream?.stream_descriptor;
  if (d === undefined || typeof d.name !== "string") return undefined;
  return { name: d.name, namespace: typeof d.namespace === "string" ? d.namespace : null };
}

export interface CheckpointCounts {
  accepted: number;
  rejected: number;
}

/**
 * Counts records per checkpoint: for a STREAM state, that stream's records since its previous
 * state; for a GLOBAL or LEGACY state, all records since the previous state.
 */
export class CheckpointCounter {
  private readonly perStream = new Map<string, CheckpointCounts>();

  /** A stream's counts since its last state, for callers that count it record by record. */
  entry(name: string, namespace?: string | null): CheckpointCounts {
    const key = streamKey(name, namespace);
    let e = this.perStream.get(key);
    if (e === undefined) {
      e = { accepted: 0, rejected: 0 };
      this.perStream.set(key, e);
    }
    return e;
  }

  accepted(name: string, namespace?: string | null): void {
    this.entry(name, namespace).accepted++;
  }

  rejected(name: string, namespace?: string | null): void {
    this.entry(name, namespace).rejected++;
  }

  /** The stats for a state message, resetting the counts it covers. */
  take(state: Record<string, unknown>): DestinationStats {
    const stream = stateStream(state);
    let accepted = 0;
    let rejected = 0;
    if (stream !== undefined) {
      const e = this.entry(stream.name, stream.namespace);
      accepted = e.accepted;
      rejected = e.rejected;
      e.accepted = 0;
      e.rejected = 0;
    } else {
      for (const e of this.perStream.values()) {
        accepted += e.accepted;
        rejected += e.rejected;
        e.accepted = 0;
        e.rejected = 0;
      }
    }
    return rejected > 0 ? { recordCount: accepted, rejectedRecordCount: rejected } : { recordCount: accepted };
  }
}
