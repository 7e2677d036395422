/**
 * The record shape of Airbyte's Python source-convex, reproduced exactly: every server field
 * passed through, plus `_ab_cdc_lsn`, `_ab_cdc_updated_at`, `_deleted` and `_ab_cdc_deleted_at`.
 */
import { stringifyExact } from "@convex-airbyte/shared";

/**
 * `datetime.utcfromtimestamp(ts_ns / 1e9).isoformat()` as CPython computes it: the int64 is
 * rounded to a double, divided by 1e9 in float, split into whole seconds and a fraction, and the
 * fraction is rounded half-even to microseconds. The fraction is omitted when it is zero.
 */
export function formatUpdatedAt(tsNs: bigint): string {
  const seconds = Number(tsNs) / 1e9;
  let whole = Math.trunc(seconds);
  // Exact: subtracting the integer part of a double loses no bits.
  let micros = roundHalfEven((seconds - whole) * 1e6);
  if (micros >= 1_000_000) {
    micros -= 1_000_000;
    whole += 1;
  } else if (micros < 0) {
    micros += 1_000_000;
    whole -= 1;
  }
  const base = new Date(whole * 1000).toISOString().slice(0, 19);
  return micros === 0 ? base : `${base}.${String(micros).padStart(6, "0")}`;
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** A document from list_snapshot or document_deltas. */
export type ServerDocument = Record<string, unknown> & { _ts: bigint };

/** Adds the CDC columns to a server document (a new object; the input is not changed). */
export function toRecordData(doc: ServerDocument): Record<string, unknown> {
  const data: Record<string, unknown> = { ...doc };
  const updatedAt = formatUpdatedAt(doc._ts);
  // Python: `"_deleted" in record and record["_deleted"]`: the server value, else false.
  const deleted = doc._deleted === undefined || doc._deleted === null ? false : doc._deleted;
  data._ab_cdc_lsn = doc._ts;
  data._ab_cdc_updated_at = updatedAt;
  data._deleted = deleted;
  data._ab_cdc_deleted_at = deleted === true ? updatedAt : null;
  return data;
}

/** The RECORD line for a document, with int64 members as exact digits. */
export function recordLine(stream: string, namespace: string | undefined, doc: ServerDocument, emittedAt: number): string {
  const data = stringifyExact(toRecordData(doc));
  const ns = namespace === undefined ? "" : `,"namespace":${JSON.stringify(namespace)}`;
  return `{"type":"RECORD","record":{"stream":${JSON.stringify(stream)}${ns},"data":${data},"emitted_at":${emittedAt}}}`;
}
