/**
 * The record shape of Airbyte's Python source-convex, reproduced exactly: every server field
 * passed through, plus `_ab_cdc_lsn`, `_ab_cdc_updated_at`, `_deleted` and `_ab_cdc_deleted_at`.
 */
import { RawDocument, stringifyExact } from "@convex-airbyte/shared";

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
  const base = isoSeconds(whole);
  return micros === 0 ? base : `${base}.${String(micros).padStart(6, "0")}`;
}

// Consecutive documents often share a commit second: remember the last one formatted.
let lastWhole = Number.NaN;
let lastBase = "";

/** `YYYY-MM-DDTHH:MM:SS` of whole seconds since the epoch (int64 nanoseconds end in year 2262). */
export function isoSeconds(whole: number): string {
  if (whole !== lastWhole) {
    lastWhole = whole;
    // Arithmetic rather than Date#toISOString, which costs several times more per call.
    const days = Math.floor(whole / 86_400);
    const secs = whole - days * 86_400;
    const [y, m, d] = civilFromDays(days);
    const hh = Math.floor(secs / 3600);
    const mm = Math.floor((secs % 3600) / 60);
    lastBase = `${y}-${two(m)}-${two(d)}T${two(hh)}:${two(mm)}:${two(secs % 60)}`;
  }
  return lastBase;
}

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's civil_from_days). */
function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
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

/**
 * The RECORD line for a parsed document, with int64 members as exact digits: the path of documents
 * that cannot be spliced (see `recordLines`). It takes over `doc` (not used afterwards), sets the
 * bigint `_ts` to undefined so the native stringify skips it, and appends `_ts` and `_ab_cdc_lsn`
 * as digits. A document holding other bigints (rare) takes the general exact serializer.
 */
export function recordLine(stream: string, namespace: string | undefined, doc: ServerDocument, emittedAt: number): string {
  const head = recordHead(stream, namespace);
  const tail = `,"emitted_at":${emittedAt}}}`;
  const ts = doc._ts;
  const updatedAt = formatUpdatedAt(ts);
  const deleted = doc._deleted === undefined || doc._deleted === null ? false : doc._deleted;
  const data = doc as Record<string, unknown>;
  data._ts = undefined;
  data._ab_cdc_updated_at = updatedAt;
  data._deleted = deleted;
  data._ab_cdc_deleted_at = deleted === true ? updatedAt : null;
  let body: string;
  try {
    body = JSON.stringify(data);
  } catch {
    data._ts = ts;
    data._ab_cdc_lsn = ts;
    return `${head}${stringifyExact(data)}${tail}`;
  }
  return `${head}${body.slice(0, -1)},"_ts":${ts},"_ab_cdc_lsn":${ts}}${tail}`;
}

/** The start of every RECORD line of a stream, up to and including `"data":`. */
function recordHead(stream: string, namespace: string | undefined): string {
  const ns = namespace === undefined ? "" : `,"namespace":${JSON.stringify(namespace)}`;
  return `{"type":"RECORD","record":{"stream":${JSON.stringify(stream)}${ns},"data":`;
}

/**
 * What a record appends to a server document's text: the CDC members (in the Python connector's
 * order; `_deleted` only when the server sent none) and the document's closing brace.
 */
function cdcMembers(doc: RawDocument): string {
  const updatedAt = formatUpdatedAt(doc._ts);
  const deletedAt = doc._deleted === true ? `"${updatedAt}"` : "null";
  const deleted = doc._deleted === undefined ? ',"_deleted":false' : "";
  return `,"_ab_cdc_lsn":${doc.tsText},"_ab_cdc_updated_at":"${updatedAt}"${deleted},"_ab_cdc_deleted_at":${deletedAt}}`;
}

/**
 * A page's RECORD lines as one buffer. A document kept as bytes is written by splicing: the
 * server's text without its closing brace, then the CDC members; nothing is parsed or
 * re-serialized, so every number keeps its digits. Other documents take `recordLine`.
 */
export function recordLines(stream: string, namespace: string | undefined, docs: readonly (ServerDocument | RawDocument)[], emittedAt: number): Buffer {
  const head = Buffer.from(recordHead(stream, namespace));
  const tail = `,"emitted_at":${emittedAt}}}\n`;
  // Pass 1: the text each line adds (ASCII for spliced documents), and the total size.
  const texts = new Array<string>(docs.length);
  let size = 0;
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i] as ServerDocument | RawDocument;
    if (doc instanceof RawDocument && doc.spliceable) {
      const text = cdcMembers(doc) + tail;
      texts[i] = text;
      size += head.length + doc.bytes.length - 1 + text.length;
    } else {
      const text = `${recordLine(stream, namespace, doc instanceof RawDocument ? doc.toObject() : doc, emittedAt)}\n`;
      texts[i] = text;
      size += Buffer.byteLength(text);
    }
  }
  // Pass 2: copy.
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i] as ServerDocument | RawDocument;
    const text = texts[i] as string;
    if (doc instanceof RawDocument && doc.spliceable) {
      pos += head.copy(out, pos);
      pos += doc.bytes.copy(out, pos, 0, doc.bytes.length - 1);
      pos += out.write(text, pos, "latin1");
    } else {
      pos += out.write(text, pos, "utf8");
    }
  }
  return out;
}
