/**
 * Reads a list_snapshot / document_deltas answer (format `json`) without parsing its documents:
 * the body is validated byte by byte and each document is kept as a view of its own JSON text,
 * with just the members the connector routes and checkpoints by (`_ts`, `_table`, `_component`,
 * `_deleted`) read out. A source can then write each record by splicing bytes, which is several
 * times cheaper than parse + stringify and keeps every digit of every number by construction.
 */
import { ByteScanner } from "../json/byte-scanner.js";
import { parseExact } from "../json/exact-json.js";
import type { ExportedDocument } from "./types.js";

/** One exported document as the bytes the server sent. */
export class RawDocument {
  constructor(
    /** The document's JSON text from `{` to `}`: a view into the page body (not a copy). */
    readonly bytes: Buffer,
    readonly _ts: bigint,
    /** `_ts` exactly as the server wrote it. */
    readonly tsText: string,
    /** The `_table` member (a string, or whatever else the server sent; undefined when absent). */
    readonly _table: unknown,
    readonly _component: unknown,
    /** The `_deleted` member when it is a boolean; undefined when absent. */
    readonly _deleted: boolean | undefined,
    /**
     * Whether members can be appended to the text as it is: it is one line, `_ts` is plain digits,
     * `_deleted` (if any) is a boolean, and none of the `_ab_cdc_*` members a record adds exists.
     */
    readonly spliceable: boolean,
  ) {}

  /** The document as a value (the general path), with int64s beyond 2^53 as bigint. */
  toObject(): ExportedDocument {
    const doc = parseExact(this.bytes.toString("utf8")) as ExportedDocument;
    doc._ts = this._ts;
    return doc;
  }
}

/** The answer is JSON but not the shape the API promises; `what` says where. */
export class ExportPageShapeError extends Error {
  override readonly name = "ExportPageShapeError";
}

export interface ScannedExportPage {
  /** undefined when the body has no `values` member. */
  docs: RawDocument[] | undefined;
  /** The body's other members (snapshot, cursor, hasMore, …), parsed exactly. */
  fields: Record<string, unknown>;
}

const UNDERSCORE = 0x5f;

function keyIs(b: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let k = 1; k < name.length; k++) if (b[start + k] !== name.charCodeAt(k)) return false;
  return true;
}

function startsWith(b: Uint8Array, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let k = 1; k < prefix.length; k++) if (b[start + k] !== prefix.charCodeAt(k)) return false;
  return true;
}

function isDigits(text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return false;
  }
  return text.length > 0;
}

/**
 * Scans a page body. Throws JsonSyntaxError for text that is not JSON, ExportPageShapeError for
 * JSON of the wrong shape (the messages name the member). `deltas`: `_deleted` must be a boolean.
 */
export function scanExportPage(body: Buffer, deltas: boolean): ScannedExportPage {
  const s = new ByteScanner(body);
  const b = body;
  const fields: Record<string, unknown> = {};
  let docs: RawDocument[] | undefined;
  // A raw line break between tokens would split the record line: only then is each doc checked.
  const mayHaveBreaks = body.indexOf(0x0a) >= 0 || body.indexOf(0x0d) >= 0;

  // Per-document members, reset for each document (one closure per page, not per document).
  let tsStart = -1;
  let tsEnd = -1;
  let table: unknown;
  let component: unknown;
  let deleted: unknown;
  let extra = false;

  const parseSpan = (start: number): unknown => parseExact(b.toString("utf8", start, s.pos));
  const member = (ks: number, ke: number, escaped: boolean): void => {
    if (escaped) {
      // A name like "\u005fts" is still `_ts`: compare decoded (rare).
      const name = JSON.parse(b.toString("utf8", ks - 1, ke + 1)) as string;
      memberNamed(name);
      return;
    }
    if (b[ks] !== UNDERSCORE) {
      s.value(1);
      return;
    }
    if (keyIs(b, ks, ke, "_ts")) memberNamed("_ts");
    else if (keyIs(b, ks, ke, "_table")) memberNamed("_table");
    else if (keyIs(b, ks, ke, "_component")) memberNamed("_component");
    else if (keyIs(b, ks, ke, "_deleted")) memberNamed("_deleted");
    else {
      if (startsWith(b, ks, ke, "_ab_cdc")) extra = true;
      s.value(1);
    }
  };
  /** A string member's value: its raw bytes when unescaped (the common case), else parsed. */
  const stringOrValue = (): unknown => {
    const start = s.pos;
    if (b[start] === 0x22) {
      const escaped = s.string();
      if (!escaped) return b.toString("utf8", start + 1, s.pos - 1);
    } else s.value(1);
    return parseSpan(start);
  };
  const memberNamed = (name: string): void => {
    s.next();
    switch (name) {
      case "_ts":
        tsStart = s.pos;
        s.value(1);
        tsEnd = s.pos;
        return;
      case "_table":
        table = stringOrValue();
        return;
      case "_component":
        component = stringOrValue();
        return;
      case "_deleted": {
        const start = s.pos;
        s.value(1);
        deleted = b[start] === 0x74 ? true : b[start] === 0x66 ? false : parseSpan(start);
        return;
      }
      default:
        if (name.startsWith("_ab_cdc")) extra = true;
        s.value(1);
    }
  };

  const element = (): void => {
    const index = docs?.length ?? 0;
    if (s.next() !== 0x7b) {
      s.value(1);
      throw new ExportPageShapeError(`values[${index}] is not an object`);
    }
    const start = s.pos;
    tsStart = -1;
    table = undefined;
    component = undefined;
    deleted = undefined;
    extra = false;
    s.object(2, member);
    const end = s.pos;
    if (tsStart < 0) throw new ExportPageShapeError(`values[${index}]._ts is not an integer`);
    const tsText = b.toString("latin1", tsStart, tsEnd);
    const plainTs = isDigits(tsText);
    let ts: bigint;
    if (plainTs) ts = BigInt(tsText);
    else {
      // As the general parser reads it: a safe non-negative integer such as 1.0e3 is accepted;
      // a string, a fraction or a negative number is not (Number() of a quoted text is NaN).
      const n = Number(tsText);
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new ExportPageShapeError(`values[${index}]._ts is not an integer`);
      }
      ts = BigInt(n);
    }
    if (deltas && typeof deleted !== "boolean") throw new ExportPageShapeError(`values[${index}]._deleted is not a boolean`);
    const bytes = b.subarray(start, end);
    const oneLine = !mayHaveBreaks || (bytes.indexOf(0x0a) < 0 && bytes.indexOf(0x0d) < 0);
    const isBool = deleted === undefined || typeof deleted === "boolean";
    (docs as RawDocument[]).push(
      new RawDocument(bytes, ts, tsText, table, component, typeof deleted === "boolean" ? deleted : undefined, plainTs && oneLine && isBool && !extra),
    );
  };

  if (s.next() !== 0x7b) {
    s.value(0);
    s.finish();
    throw new ExportPageShapeError("the body is not a JSON object");
  }
  s.object(0, (ks, ke, escaped) => {
    const name = escaped ? (JSON.parse(b.toString("utf8", ks - 1, ke + 1)) as string) : b.toString("utf8", ks, ke);
    if (name === "values" && s.next() === 0x5b) {
      docs = [];
      s.array(1, element);
      return;
    }
    s.next();
    const start = s.pos;
    s.value(0);
    fields[name] = parseSpan(start);
    if (name === "values") docs = undefined;
  });
  s.finish();
  return { docs, fields };
}
