/**
 * A RECORD line → its stream and the record checked for it: ready to batch, or with the reason
 * Convex would refuse it. Two ways to one outcome:
 *
 * - the fast path (`fast`, see record-line) reads the line's bytes once and batches the data's
 *   bytes as they arrived;
 * - the general path (`parsed`) works on the parsed message: `checkRecord` on the data, whose
 *   text is then batched as it arrived (`recordDataSpan`).
 *
 * The fast path takes only records it can vouch for, and the general path handles every other
 * line, so every refusal and input error is decided and worded there. Either way the data is sent
 * as it arrived, so big integers keep every digit.
 */
import { InputError, type InputLine, streamKey } from "@convex-airbyte/shared";
import { Batcher, type BatchTarget, messageBytes } from "./batcher.js";
import { isCdcDelete, keyOnlyRecord } from "./delete-marker.js";
import { RecordLineScanner } from "./record-line.js";
import { recordDataSpan } from "./record-text.js";
import type { StreamPlan } from "./setup.js";
import type { CheckpointCounts } from "./state.js";
import { StreamsByBytes } from "./stream-lookup.js";
import type { StreamCounters } from "./summary.js";
import { checkRecord, keyText, MAX_DOCUMENT_BYTES, MISSING, storedValue } from "./validate-record.js";

/** The server's request limit; a single record that cannot fit a request under it is refused. */
export const SERVER_REQUEST_LIMIT = 20 * 1024 * 1024;

/** What the writer keeps per configured stream. */
export interface StreamContext {
  readonly plan: StreamPlan;
  readonly target: BatchTarget;
  readonly counters: StreamCounters;
  readonly checkpoints: CheckpointCounts;
}

export interface CheckedRecord {
  stream: StreamContext;
  /** Why Convex would refuse the record, or undefined when it is to be sent. */
  reason: string | undefined;
  /** The data as it arrived (bytes on the fast path, text on the general one), and its UTF-8 size. */
  data: string | Uint8Array;
  dataBytes: number;
  /** Dedup streams: the record's primary-key text (see `checkRecord`). */
  key: string | null | undefined;
  /** A key-only record to send just before this one (a CDC delete in a dedup stream, see delete-marker). */
  marker: string | undefined;
}

type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

const CDC_DELETED_AT = "_ab_cdc_deleted_at";

export class RecordIntake {
  private readonly scanner: RecordLineScanner<StreamContext>;

  /** `streams` by `streamKey(name, namespace)`. */
  constructor(private readonly streams: ReadonlyMap<string, StreamContext>) {
    const byBytes = new StreamsByBytes<StreamContext>((name, namespace) => streams.get(streamKey(name, namespace)));
    this.scanner = new RecordLineScanner((b, nameStart, nameEnd, nsStart, nsEnd) => byBytes.find(b, nameStart, nameEnd, nsStart, nsEnd));
  }

  /** The line's record, if the fast path takes it; otherwise undefined, and the caller parses the line. */
  fast(line: InputLine): CheckedRecord | undefined {
    const b = line.bytes;
    const scanner = this.scanner;
    if (b === undefined || !scanner.scan(b)) return undefined;
    const stream = scanner.stream as StreamContext;
    const doc = scanner.data;
    if (doc.size > MAX_DOCUMENT_BYTES) return undefined;
    let key: string | null | undefined;
    const primaryKey = stream.plan.primaryKey;
    if (primaryKey !== null) {
      const shape = doc.shape;
      if (shape === undefined) return undefined;
      // A CDC delete needs its key-only record first: left to the general path.
      const deletedAt = shape.indexOf(CDC_DELETED_AT);
      if (deletedAt >= 0 && b[doc.valueStart[deletedAt] as number] !== 0x6e /* null */) return undefined;
      const values: unknown[] = [];
      for (const path of primaryKey) {
        const field = path.length === 0 ? -1 : shape.fieldFor(path[0] as string);
        if (field < 0) return undefined;
        let value = jsonValue(b, doc.valueStart[field] as number, doc.valueEnd[field] as number);
        if (path.length > 1) value = storedValue(value, path.slice(1));
        if (value === MISSING) return undefined;
        values.push(value);
      }
      key = keyText(values);
    }
    const start = scanner.dataStart;
    const dataBytes = scanner.dataEnd - start;
    if (overRequestLimit(stream.target, dataBytes) !== undefined) return undefined;
    return { stream, reason: undefined, data: b.subarray(start, scanner.dataEnd), dataBytes, key, marker: undefined };
  }

  /** A parsed RECORD message. Throws an InputError for a record without a stream, or of a stream not in the catalog. */
  parsed(msg: Json, line: InputLine): CheckedRecord {
    const rec = msg.record;
    if (!isObject(rec) || typeof rec.stream !== "string") {
      throw new InputError(`line ${line.lineNumber}: the RECORD message has no "record" object with a "stream" name.`);
    }
    const namespace = typeof rec.namespace === "string" ? rec.namespace : undefined;
    const stream = this.streams.get(streamKey(rec.stream, namespace));
    if (stream === undefined) {
      throw new InputError(
        `line ${line.lineNumber}: a record for stream '${rec.stream}'${namespace === undefined ? " (no namespace)" : ` in namespace '${namespace}'`}, which is not in the configured catalog. Refresh the connection's schema or check its namespace and stream prefix settings.`,
        { stream: { name: rec.stream, namespace } },
      );
    }
    const primaryKey = stream.plan.primaryKey;
    const check = checkRecord(rec.data, { primaryKey });
    if (!check.ok) return refused(stream, check.reason);
    // The data is sent as it arrived: no second serialization, and big integers keep every
    // digit. (The line parsed, so the span is valid JSON.)
    const span = recordDataSpan(line.text);
    if (span === undefined) throw new Error(`line ${line.lineNumber}: record.data not found in the text`);
    const data = line.text.slice(span[0], span[1]);
    const dataBytes = Buffer.byteLength(data, "utf8");
    const tooBig = overRequestLimit(stream.target, dataBytes);
    if (tooBig !== undefined) return refused(stream, tooBig);
    const marker =
      primaryKey !== null && check.keyValues && isCdcDelete(rec.data as Json) ? keyOnlyRecord(primaryKey, check.keyValues) : undefined;
    return { stream, reason: undefined, data, dataBytes, key: check.key, marker };
  }
}

function refused(stream: StreamContext, reason: string): CheckedRecord {
  return { stream, reason, data: "", dataBytes: 0, key: undefined, marker: undefined };
}

/** The refusal for data that cannot fit one import request, if it cannot. */
function overRequestLimit(target: BatchTarget, dataBytes: number): string | undefined {
  const partBytes = messageBytes(target, dataBytes);
  if (Batcher.singleBatchBytes(target, partBytes) <= SERVER_REQUEST_LIMIT) return undefined;
  return `the record serializes to ${partBytes} bytes, more than one Convex import request may carry (20 MiB)`;
}

/** The JSON value at `b[start, end)` (known to be valid), as JSON.parse gives it. */
function jsonValue(b: Buffer, start: number, end: number): unknown {
  // A string without escapes is its bytes (Buffer's decoding keeps a leading U+FEFF, as JSON does).
  if (b[start] === 0x22 && !hasBackslash(b, start + 1, end - 1)) return b.toString("utf8", start + 1, end - 1);
  return JSON.parse(b.toString("utf8", start, end));
}

function hasBackslash(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] === 0x5c) return true;
  return false;
}
