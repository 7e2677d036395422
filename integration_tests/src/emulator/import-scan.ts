/*
 * The import fast path, the request as a whole: copies the body's pieces into the arena and walks its
 * `tables` and `messages`, handing each message's `data` to the record scanner
 * (import-scan-record.ts). Anything unusual (members other than those, a syntax error, any value
 * the record scanner gives up on) abandons the scan, and the parsed path redoes the request with
 * its exact errors. The scan writes nothing to the store, so abandoning it has no side effects.
 */
import type { Deployment } from "./context.js";
import { parseImportBody, type Streams, type TableKeys, tableKeys } from "./import-args.js";
import { BAIL, colon, readKey, skipContainer, skipWs, startsWith } from "./import-bytes.js";
import { arenaBuffer, growArena, type ImportRecord } from "./import-record.js";
import { beginRecords, scannedTo, scanRecord } from "./import-scan-record.js";
import { sanitizeTableName } from "./names.js";

/** The arena (see import-record.ts), refreshed after each record: writing may grow it. */
let buf: Buffer = arenaBuffer();
let pos = 0;

const TABLES = Buffer.from('"tables"');
const MESSAGES = Buffer.from('"messages"');
const TABLE_NAME = Buffer.from('"tableName"');
const DATA = Buffer.from('"data"');

/** Bodies the scanner converted, and those it left to the parsed path (tests check which path ran). */
export const scanCounts = { scanned: 0, abandoned: 0 };

/** The import body scanned to records, or undefined when the parsed path must handle it. */
export function scanImportBody(chunks: readonly Uint8Array[], dep: Deployment): { tables: Streams; records: ImportRecord[] } | undefined {
  let length = 0;
  for (const c of chunks) length += c.length;
  buf = growArena(2 * length + (1 << 16), 0);
  let at = 0;
  for (const c of chunks) {
    buf.set(c, at);
    at += c.length;
  }
  // The NUL after the body stops every scanning loop (no JSON token has one).
  buf[length] = 0;
  beginRecords(length + 1);
  pos = 0;
  try {
    pos = skipWs(buf, pos);
    if (buf[pos] !== 123) throw BAIL;
    pos = skipWs(buf, pos + 1);
    let tables: Streams | undefined;
    let records: ImportRecord[] | undefined;
    do {
      if (tables === undefined && member(TABLES)) {
        if (buf[pos] !== 123) throw BAIL;
        const start = pos;
        pos = skipContainer(buf, pos);
        tables = parseImportBody({ tables: JSON.parse(buf.toString("utf8", start, pos)), messages: [] }).tables;
      } else if (tables !== undefined && records === undefined && member(MESSAGES)) {
        const keysOf = lastKeys(tableKeys(dep, tables));
        if (buf[pos] !== 91) throw BAIL;
        pos = skipWs(buf, pos + 1);
        records = [];
        if (buf[pos] === 93) pos++;
        else {
          do records.push(scanMessage(keysOf));
          while (next(93));
        }
      } else {
        throw BAIL;
      }
    } while (next(125));
    pos = skipWs(buf, pos);
    if (pos !== length || tables === undefined || records === undefined) throw BAIL;
    scanCounts.scanned++;
    return { tables, records };
  } catch {
    scanCounts.abandoned++;
    return undefined;
  }
}

/** After a member or item: true for `,` (and the whitespace after it), false for `close`. */
function next(close: number): boolean {
  pos = skipWs(buf, pos);
  const c = buf[pos++];
  if (c === 44) {
    pos = skipWs(buf, pos);
    return true;
  }
  if (c === close) return false;
  throw BAIL;
}

/** Consumes the member name at `pos` if it is `token`, and the colon after it. */
function member(token: Uint8Array): boolean {
  if (!startsWith(buf, pos, token)) return false;
  pos = colon(buf, pos + token.length);
  return true;
}

/** One message `{"tableName": …, "data": {…}}` (either order). */
function scanMessage(keysOf: (table: string) => TableKeys): ImportRecord {
  if (buf[pos] !== 123) throw BAIL;
  pos = skipWs(buf, pos + 1);
  let table: string | undefined;
  let dataAt = -1;
  do {
    if (table === undefined && member(TABLE_NAME)) {
      table = scanTableName();
      if (dataAt >= 0) {
        // `data` came first: scan it now that its table is known.
        return lastMember(record(dataAt, table, keysOf(table), pos));
      }
    } else if (dataAt < 0 && member(DATA)) {
      if (buf[pos] !== 123) throw BAIL;
      if (table !== undefined) return lastMember(record(pos, table, keysOf(table), -1));
      dataAt = pos;
      pos = skipContainer(buf, pos);
    } else {
      throw BAIL;
    }
  } while (next(125));
  throw BAIL; // `tableName` or `data` is missing
}

/** The record of the data object at `at`; reading continues after it, or at `resume`. */
function record(at: number, table: string, keys: TableKeys, resume: number): ImportRecord {
  const r = scanRecord(at, table, keys);
  buf = arenaBuffer();
  pos = resume < 0 ? scannedTo() : resume;
  return r;
}

function lastMember(r: ImportRecord): ImportRecord {
  if (next(125)) throw BAIL; // more members after both
  return r;
}

/** Raw table-name tokens (quotes included) and their sanitized names, most recently used first. */
const tableTokens: { token: Uint8Array; table: string }[] = [];
/** Messages come in runs of one table, or alternate between a few. */
const TABLE_TOKENS = 8;

/** The sanitized table name at `pos` (recent ones are recognized by their raw token). */
function scanTableName(): string {
  if (buf[pos] !== 34) throw BAIL;
  for (let k = 0; k < tableTokens.length; k++) {
    const e = tableTokens[k] as (typeof tableTokens)[number];
    if (startsWith(buf, pos, e.token)) {
      pos += e.token.length;
      if (k > 0) {
        tableTokens.copyWithin(1, 0, k);
        tableTokens[0] = e;
      }
      return e.table;
    }
  }
  const start = pos;
  const { key, end } = readKey(buf, pos);
  pos = end;
  let table: string;
  try {
    table = sanitizeTableName(key);
  } catch {
    throw BAIL;
  }
  // A copy: the arena is reused by the next request.
  tableTokens.unshift({ token: new Uint8Array(buf.subarray(start, pos)), table });
  if (tableTokens.length > TABLE_TOKENS) tableTokens.pop();
  return table;
}

/** `keysOf` remembering its last answer (messages come in runs of one table). */
function lastKeys(keysOf: (table: string) => TableKeys): (table: string) => TableKeys {
  let table: string | undefined;
  let keys: TableKeys | undefined;
  return (t) => {
    if (t !== table || keys === undefined) {
      keys = keysOf(t);
      table = t;
    }
    return keys;
  };
}
