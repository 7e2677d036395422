/**
 * Reads a list_snapshot / document_deltas answer (format `json`) without parsing its documents:
 * the body is validated byte by byte and each document is kept as a view of its own JSON text,
 * with just the members the connector routes and checkpoints by (`_ts`, `_table`, `_component`,
 * `_deleted`) read out. A source can then write each record by splicing bytes, which is several
 * times cheaper than parse + stringify and keeps every digit of every number by construction.
 */
import { JsonSyntaxError, parseExact } from "../json/exact-json.js";
import { bytesAt, JSON_SCAN_FAIL, lastString, scanString, skipValue, skipWs, spanIs } from "../json/json-bytes.js";
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
/** The members a record adds start so; a document holding one is not spliced. */
const CDC_PREFIX = "_ab_cdc";
const QUOTE = 0x22;
const bytes = (s: string) => Buffer.from(s, "latin1");
const TS = bytes("_ts");
const TABLE = bytes("_table");
const COMPONENT = bytes("_component");
const DELETED = bytes("_deleted");
const CDC = bytes(CDC_PREFIX);

function isDigits(text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return false;
  }
  return text.length > 0;
}

function syntax(at: number, what: string): never {
  throw new JsonSyntaxError(`${what} at byte ${at}`);
}

/** The member names the scan reads out of each document. */
type Known = "_ts" | "_table" | "_component" | "_deleted" | "cdc" | undefined;

function knownName(b: Buffer, ks: number, ke: number, escaped: boolean): Known {
  if (escaped) {
    // A name like "\u005fts" is still `_ts`: compare it decoded (rare).
    const name = JSON.parse(b.toString("utf8", ks - 1, ke + 1)) as string;
    if (name === "_ts" || name === "_table" || name === "_component" || name === "_deleted") return name;
    return name.startsWith(CDC_PREFIX) ? "cdc" : undefined;
  }
  if (b[ks] !== UNDERSCORE) return undefined;
  if (spanIs(b, ks, ke, TS)) return "_ts";
  if (spanIs(b, ks, ke, TABLE)) return "_table";
  if (spanIs(b, ks, ke, COMPONENT)) return "_component";
  if (spanIs(b, ks, ke, DELETED)) return "_deleted";
  // Compared as bytes: no string for every `_id` and `_creationTime` name.
  return ke - ks >= CDC.length && bytesAt(b, ks, CDC) ? "cdc" : undefined;
}

/**
 * Scans a page body. Throws JsonSyntaxError for text that is not JSON, ExportPageShapeError for
 * JSON of the wrong shape (the messages name the member). `deltas`: `_deleted` must be a boolean.
 */
export function scanExportPage(body: Buffer, deltas: boolean): ScannedExportPage {
  const b = body;
  const fields: Record<string, unknown> = {};
  let docs: RawDocument[] | undefined;
  // A raw line break between tokens would split the record line: only then is each doc checked.
  const mayHaveBreaks = b.indexOf(0x0a) >= 0 || b.indexOf(0x0d) >= 0;
  const parseSpan = (start: number, end: number): unknown => parseExact(b.toString("utf8", start, end));
  /** A string member's value: its raw bytes when unescaped (the common case), else parsed. */
  const stringOrValue = (start: number, end: number): unknown =>
    b[start] === QUOTE && !lastString.escaped ? b.toString("utf8", start + 1, end - 1) : parseSpan(start, end);

  /** Scans the document at `start` (a `{`) and returns the index after it. */
  const scanDocument = (start: number, index: number): number => {
    let tsStart = -1;
    let tsEnd = -1;
    let table: unknown;
    let component: unknown;
    let deleted: unknown;
    let extra = false;
    let i = skipWs(b, start + 1);
    if (b[i] !== 0x7d) {
      for (;;) {
        if (b[i] !== QUOTE) syntax(i, "expected a member name");
        const after = scanString(b, i);
        if (after === JSON_SCAN_FAIL) syntax(i, "bad string");
        const known = knownName(b, i + 1, after - 1, lastString.escaped);
        i = skipWs(b, after);
        if (b[i] !== 0x3a) syntax(i, "expected ':'");
        const vs = skipWs(b, i + 1);
        const ve = skipValue(b, vs, 2);
        if (ve === JSON_SCAN_FAIL) syntax(vs, "bad value");
        if (known === "_ts") {
          tsStart = vs;
          tsEnd = ve;
        } else if (known === "_table") table = stringOrValue(vs, ve);
        else if (known === "_component") component = stringOrValue(vs, ve);
        else if (known === "_deleted") deleted = b[vs] === 0x74 ? true : b[vs] === 0x66 ? false : parseSpan(vs, ve);
        else if (known === "cdc") extra = true;
        i = skipWs(b, ve);
        if (b[i] === 0x2c) {
          i = skipWs(b, i + 1);
          continue;
        }
        if (b[i] === 0x7d) break;
        syntax(i, "expected ',' or '}'");
      }
    }
    const end = i + 1;
    if (tsStart < 0) throw new ExportPageShapeError(`values[${index}]._ts is not an integer`);
    const tsText = b.toString("latin1", tsStart, tsEnd);
    const plainTs = isDigits(tsText);
    let ts: bigint;
    if (plainTs) ts = BigInt(tsText);
    else {
      // As the general parser reads it: a safe non-negative integer such as 1.0e3 is accepted;
      // a string, a fraction or a negative number is not (Number() of a quoted text is NaN).
      const n = Number(tsText);
      if (!Number.isSafeInteger(n) || n < 0) throw new ExportPageShapeError(`values[${index}]._ts is not an integer`);
      ts = BigInt(n);
    }
    if (deltas && typeof deleted !== "boolean") throw new ExportPageShapeError(`values[${index}]._deleted is not a boolean`);
    const bytes = b.subarray(start, end);
    const oneLine = !mayHaveBreaks || (bytes.indexOf(0x0a) < 0 && bytes.indexOf(0x0d) < 0);
    const isBool = deleted === undefined || typeof deleted === "boolean";
    const flag = typeof deleted === "boolean" ? deleted : undefined;
    (docs as RawDocument[]).push(new RawDocument(bytes, ts, tsText, table, component, flag, plainTs && oneLine && isBool && !extra));
    return end;
  };

  /** Scans the `values` array at `start` (a `[`) and returns the index after it. */
  const scanValues = (start: number): number => {
    docs = [];
    let i = skipWs(b, start + 1);
    if (b[i] === 0x5d) return i + 1;
    for (;;) {
      if (b[i] !== 0x7b) {
        if (skipValue(b, i, 1) === JSON_SCAN_FAIL) syntax(i, "bad value");
        throw new ExportPageShapeError(`values[${docs.length}] is not an object`);
      }
      i = skipWs(b, scanDocument(i, docs.length));
      if (b[i] === 0x2c) {
        i = skipWs(b, i + 1);
        continue;
      }
      if (b[i] === 0x5d) return i + 1;
      syntax(i, "expected ',' or ']'");
    }
  };

  let i = skipWs(b, 0);
  if (b[i] !== 0x7b) {
    const end = skipValue(b, i);
    if (end === JSON_SCAN_FAIL || skipWs(b, end) !== b.length) syntax(i, "not a JSON value");
    throw new ExportPageShapeError("the body is not a JSON object");
  }
  i = skipWs(b, i + 1);
  if (b[i] !== 0x7d) {
    for (;;) {
      if (b[i] !== QUOTE) syntax(i, "expected a member name");
      const after = scanString(b, i);
      if (after === JSON_SCAN_FAIL) syntax(i, "bad string");
      const name = lastString.escaped ? (JSON.parse(b.toString("utf8", i, after)) as string) : b.toString("utf8", i + 1, after - 1);
      i = skipWs(b, after);
      if (b[i] !== 0x3a) syntax(i, "expected ':'");
      i = skipWs(b, i + 1);
      if (name === "values" && b[i] === 0x5b) i = scanValues(i);
      else {
        const end = skipValue(b, i);
        if (end === JSON_SCAN_FAIL) syntax(i, "bad value");
        fields[name] = parseSpan(i, end);
        if (name === "values") docs = undefined;
        i = end;
      }
      i = skipWs(b, i);
      if (b[i] === 0x2c) {
        i = skipWs(b, i + 1);
        continue;
      }
      if (b[i] === 0x7d) break;
      syntax(i, "expected ',' or '}'");
    }
  }
  if (skipWs(b, i + 1) !== b.length) syntax(i + 1, "unexpected text after the body");
  return { docs, fields };
}

/** How far from the end a page's closing members may start: they are a few small scalars. */
const TAIL_MAX_BYTES = 4096;

/**
 * The members after `values` of a page, read from the end of the body without scanning it:
 * `{"values":[…],"snapshot":…,"cursor":…,"hasMore":…}` ends with `"<firstName>":` and the rest.
 * Convex writes them after `values`, so the reader can request the next page before it checks
 * this one. A guess only: undefined when the tail is not found or is not JSON, and a caller must
 * compare it with the scanned page (a document member of the same name could, in a body laid out
 * otherwise, be taken for it).
 */
export function peekPageTail(body: Buffer, firstName: string): Record<string, unknown> | undefined {
  const at = body.lastIndexOf(`"${firstName}":`);
  if (at <= 0 || body.length - at > TAIL_MAX_BYTES || body[at - 1] !== 0x2c) return undefined;
  try {
    const tail = parseExact(`{${body.toString("utf8", at)}`);
    return typeof tail === "object" && tail !== null && !Array.isArray(tail) ? (tail as Record<string, unknown>) : undefined;
  } catch (err) {
    if (err instanceof JsonSyntaxError) return undefined;
    throw err;
  }
}
