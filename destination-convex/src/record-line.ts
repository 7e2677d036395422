/**
 * The fast path for RECORD lines: one pass over a line's bytes checks the whole line's JSON
 * syntax, finds the record's stream, namespace and data, and checks the data as `checkRecord`
 * would (see data-check), without parsing the line into objects.
 *
 * It takes only lines that are plainly fine. For anything else (another message type, escapes in
 * member names or stream names, a repeated member, data that is not an object, or data that is
 * refused, malformed or unusual) it says no, and the caller parses the line on its general path,
 * which decides and reports exactly as if there were no fast path.
 */
import { DataChecker } from "./data-check.js";
import { bytesAt, JSON_SCAN_FAIL, lastString, scanString, skipValue, skipWs, spanIs } from "@convex-airbyte/shared";

/** Finds a stream from its name and namespace (`nsStart` -1: none) as raw bytes in `b`. */
export type FindStream<S> = (b: Uint8Array, nameStart: number, nameEnd: number, nsStart: number, nsEnd: number) => S | undefined;

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const TYPE = ascii("type");
const RECORD_TYPE = ascii('"RECORD"');
const RECORD = ascii("record");
const STREAM = ascii("stream");
const NAMESPACE = ascii("namespace");
const DATA = ascii("data");

export class RecordLineScanner<S> {
  /** After a successful scan: the record's stream, and where its data is in the line. */
  stream: S | undefined;
  dataStart = 0;
  dataEnd = 0;
  /** After a successful scan: the data's size, key list and top-level value spans. */
  readonly data = new DataChecker();
  private nameStart = -1;
  private nameEnd = -1;
  private nsStart = -1;
  private nsEnd = -1;

  constructor(private readonly findStream: FindStream<S>) {}

  /** Whether `b` (valid UTF-8) is a RECORD line this path takes; see the module comment. */
  scan(b: Uint8Array): boolean {
    this.stream = undefined;
    this.nameStart = -1;
    this.nsStart = -1;
    this.dataStart = -1;
    let sawType = false;
    let sawRecord = false;
    let i = skipWs(b, 0);
    if (b[i] !== 0x7b) return false;
    i = skipWs(b, i + 1);
    for (;;) {
      if (b[i] !== 0x22) return false;
      const keyEnd = scanString(b, i);
      if (keyEnd < 0 || lastString.escaped) return false;
      const keyStart = i + 1;
      i = skipWs(b, keyEnd);
      if (b[i] !== 0x3a) return false;
      i = skipWs(b, i + 1);
      if (spanIs(b, keyStart, keyEnd - 1, TYPE)) {
        // Any other type, or a repeated one (JSON.parse keeps the last), is for the general path.
        if (sawType || !bytesAt(b, i, RECORD_TYPE)) return false;
        sawType = true;
        i += RECORD_TYPE.length;
      } else if (spanIs(b, keyStart, keyEnd - 1, RECORD)) {
        if (sawRecord || b[i] !== 0x7b) return false;
        sawRecord = true;
        i = this.record(b, i);
      } else i = skipValue(b, i);
      if (i < 0) return false;
      i = skipWs(b, i);
      if (b[i] === 0x2c) i = skipWs(b, i + 1);
      else if (b[i] === 0x7d) break;
      else return false;
    }
    if (skipWs(b, i + 1) !== b.length || !sawType || this.nameStart < 0 || this.dataStart < 0) return false;
    this.stream = this.findStream(b, this.nameStart, this.nameEnd, this.nsStart, this.nsEnd);
    return this.stream !== undefined;
  }

  /** The record object at `i`: returns the index past it, or JSON_SCAN_FAIL. */
  private record(b: Uint8Array, i: number): number {
    let sawNamespace = false;
    i = skipWs(b, i + 1);
    if (b[i] === 0x7d) return JSON_SCAN_FAIL;
    for (;;) {
      if (b[i] !== 0x22) return JSON_SCAN_FAIL;
      const keyEnd = scanString(b, i);
      if (keyEnd < 0 || lastString.escaped) return JSON_SCAN_FAIL;
      const keyStart = i + 1;
      i = skipWs(b, keyEnd);
      if (b[i] !== 0x3a) return JSON_SCAN_FAIL;
      i = skipWs(b, i + 1);
      if (spanIs(b, keyStart, keyEnd - 1, STREAM)) {
        // Streams are found by their bytes, so names with escapes go the general way.
        if (this.nameStart >= 0 || b[i] !== 0x22) return JSON_SCAN_FAIL;
        const end = scanString(b, i);
        if (end < 0 || lastString.escaped) return JSON_SCAN_FAIL;
        this.nameStart = i + 1;
        this.nameEnd = end - 1;
        i = end;
      } else if (spanIs(b, keyStart, keyEnd - 1, NAMESPACE)) {
        if (sawNamespace) return JSON_SCAN_FAIL;
        sawNamespace = true;
        // A namespace that is not a string counts as none, as on the general path.
        if (b[i] === 0x22) {
          const end = scanString(b, i);
          if (end < 0 || lastString.escaped) return JSON_SCAN_FAIL;
          this.nsStart = i + 1;
          this.nsEnd = end - 1;
          i = end;
        } else i = skipValue(b, i);
      } else if (spanIs(b, keyStart, keyEnd - 1, DATA)) {
        if (this.dataStart >= 0) return JSON_SCAN_FAIL;
        this.dataStart = i;
        // Key lists are remembered per stream; when the data comes before the stream's name the
        // group is a guess, which costs only speed.
        const group = this.nameStart < 0 ? undefined : this.findStream(b, this.nameStart, this.nameEnd, this.nsStart, this.nsEnd);
        i = this.data.checkDocument(b, i, group);
        this.dataEnd = i;
      } else i = skipValue(b, i);
      if (i < 0) return JSON_SCAN_FAIL;
      i = skipWs(b, i);
      if (b[i] === 0x2c) i = skipWs(b, i + 1);
      else if (b[i] === 0x7d) return i + 1;
      else return JSON_SCAN_FAIL;
    }
  }
}
