/**
 * Per-table batching by record count and by serialized bytes. A batch holds the records of one
 * table only, so that batches of different tables can be in flight together while each table's
 * batches are sent one after another, in input order.
 *
 * Records arrive already serialized as import messages; a sealed batch is the complete request
 * body, built once, so its size is known exactly before it is sent.
 */

/** One table's request prefix: the `tables` metadata, computed once per table. */
export interface BatchTarget {
  /** The table name as sent (`<namespace>_<stream>` or `<stream>`). */
  table: string;
  /** `{"tables":{…},"messages":[` for this table. */
  header: string;
  headerBytes: number;
}

export interface Batch {
  table: string;
  body: string;
  records: number;
  /** Exact UTF-8 size of `body`. */
  bytes: number;
  /** Input line numbers of the first and last record, for messages. */
  firstLine: number;
  lastLine: number;
}

export interface BatchLimits {
  maxRecords: number;
  maxBytes: number;
}

const FOOTER = "]}";

export function batchHeader(table: string, primaryKey: string[][] | null, jsonSchemaText: string): string {
  return `{"tables":{${JSON.stringify(table)}:{"primaryKey":${JSON.stringify(primaryKey)},"jsonSchema":${jsonSchemaText}}},"messages":[`;
}

/** One record as an import message; `dataText` is the record's data serialized. */
export function messagePart(table: string, dataText: string): string {
  return `{"tableName":${JSON.stringify(table)},"data":${dataText}}`;
}

interface OpenBatch {
  target: BatchTarget;
  parts: string[];
  bytes: number;
  firstLine: number;
  lastLine: number;
  openedAt: number;
}

export class Batcher {
  private readonly open = new Map<string, OpenBatch>();
  private buffered = 0;

  constructor(private readonly limits: BatchLimits) {}

  /** Bytes held in unsealed batches. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  get isEmpty(): boolean {
    return this.open.size === 0;
  }

  /** The size a batch of just this one part would have; callers refuse records that cannot fit any request. */
  static singleBatchBytes(target: BatchTarget, partBytes: number): number {
    return target.headerBytes + partBytes + FOOTER.length;
  }

  /**
   * Adds one record and returns the batches this sealed: the table's previous batch when the
   * record would not fit in it, and the new one when it reached the record limit.
   */
  add(target: BatchTarget, part: string, partBytes: number, lineNumber: number, now: number): Batch[] {
    const sealed: Batch[] = [];
    let batch = this.open.get(target.table);
    if (batch !== undefined && batch.bytes + 1 + partBytes + FOOTER.length > this.limits.maxBytes) {
      sealed.push(this.seal(batch));
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { target, parts: [], bytes: target.headerBytes, firstLine: lineNumber, lastLine: lineNumber, openedAt: now };
      this.open.set(target.table, batch);
    } else {
      batch.bytes += 1; // the comma
      this.buffered += 1;
    }
    batch.parts.push(part);
    batch.bytes += partBytes;
    batch.lastLine = lineNumber;
    this.buffered += partBytes;
    if (batch.parts.length >= this.limits.maxRecords) sealed.push(this.seal(batch));
    return sealed;
  }

  /** Seals every open batch (end of input, or everything before a failure must be committed). */
  sealAll(): Batch[] {
    return [...this.open.values()].map((b) => this.seal(b));
  }

  /** Seals the batches opened at or before `cutoff` (the flush timer). */
  sealOpenedBefore(cutoff: number): Batch[] {
    return [...this.open.values()].filter((b) => b.openedAt <= cutoff).map((b) => this.seal(b));
  }

  /** Seals the biggest open batch, to bound memory when many tables are buffering. */
  sealLargest(): Batch | undefined {
    let largest: OpenBatch | undefined;
    for (const b of this.open.values()) if (largest === undefined || b.bytes > largest.bytes) largest = b;
    return largest === undefined ? undefined : this.seal(largest);
  }

  private seal(batch: OpenBatch): Batch {
    this.open.delete(batch.target.table);
    const payload = batch.bytes - batch.target.headerBytes;
    this.buffered -= payload;
    const body = batch.target.header + batch.parts.join(",") + FOOTER;
    return {
      table: batch.target.table,
      body,
      records: batch.parts.length,
      bytes: batch.bytes + FOOTER.length,
      firstLine: batch.firstLine,
      lastLine: batch.lastLine,
    };
  }
}
