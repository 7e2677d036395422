/**
 * Drains a connector's stdout quickly: counts bytes, lines and RECORD lines by looking only at the
 * start of each line. In tee mode it also keeps the RECORD and STATE lines in a file, which
 * becomes the destination's input.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";

export interface OutputCounts {
  bytes: number;
  lines: number;
  records: number;
  states: number;
  /** Bytes of the RECORD lines (with their newlines). */
  recordBytes: number;
  /** Lines that did not start with `{"type":"…"` and were parsed to find their type. */
  otherLines: number;
  /** Records by stream name (tee mode only). */
  byStream: Record<string, number>;
  /** The first few non-record, non-state lines, for error messages. */
  sample: string[];
}

const HEAD = 40;
const RECORD_HEAD = '{"type":"RECORD"';
const STATE_HEAD = '{"type":"STATE"';

export class OutputCounter {
  readonly counts: OutputCounts = { bytes: 0, lines: 0, records: 0, states: 0, recordBytes: 0, otherLines: 0, byStream: {}, sample: [] };
  private head = "";
  private lineBytes = 0;
  private parts: Buffer[] = [];
  private readonly tee: WriteStream | undefined;

  constructor(teeFile?: string) {
    this.tee = teeFile === undefined ? undefined : createWriteStream(teeFile, { highWaterMark: 1 << 20 });
  }

  /** Consumes a stream to its end. */
  async drain(stream: NodeJS.ReadableStream): Promise<OutputCounts> {
    for await (const chunk of stream as AsyncIterable<Buffer>) await this.push(chunk);
    await this.finish();
    return this.counts;
  }

  private async push(chunk: Buffer): Promise<void> {
    this.counts.bytes += chunk.length;
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(10, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (this.head.length < HEAD) this.head += chunk.toString("latin1", pos, Math.min(end, pos + HEAD - this.head.length));
      if (this.tee !== undefined) this.parts.push(chunk.subarray(pos, end));
      this.lineBytes += end - pos;
      if (nl < 0) break;
      await this.endLine();
      pos = nl + 1;
    }
  }

  private async endLine(): Promise<void> {
    const c = this.counts;
    c.lines++;
    let type: string | undefined;
    if (this.head.startsWith(RECORD_HEAD)) type = "RECORD";
    else if (this.head.startsWith(STATE_HEAD)) type = "STATE";
    else if (this.lineBytes > 0) {
      c.otherLines++;
      const text = this.tee !== undefined ? Buffer.concat(this.parts).toString("utf8") : this.head;
      try {
        type = (JSON.parse(text) as { type?: string }).type;
      } catch {
        type = undefined;
      }
      if (type !== "RECORD" && type !== "STATE" && c.sample.length < 5) c.sample.push(text.slice(0, 500));
    }
    if (type === "RECORD") {
      c.records++;
      c.recordBytes += this.lineBytes + 1;
    } else if (type === "STATE") c.states++;
    if (this.tee !== undefined && (type === "RECORD" || type === "STATE")) {
      const line = Buffer.concat([...this.parts, NEWLINE]);
      if (type === "RECORD") {
        const stream = (JSON.parse(line.toString("utf8")) as { record: { stream: string } }).record.stream;
        c.byStream[stream] = (c.byStream[stream] ?? 0) + 1;
      }
      if (!this.tee.write(line)) await once(this.tee, "drain");
    }
    this.head = "";
    this.lineBytes = 0;
    this.parts = [];
  }

  private async finish(): Promise<void> {
    if (this.lineBytes > 0) await this.endLine();
    if (this.tee !== undefined) {
      this.tee.end();
      await once(this.tee, "finish");
    }
  }
}

const NEWLINE = Buffer.from("\n");
