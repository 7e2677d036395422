/**
 * Per-table batching by record count and by serialized bytes. A batch holds the records of one
 * table only, and says which other batches of its table may be in flight alongside it (see
 * `Batch.keys` and the pipeline).
 *
 * Records arrive as their data's JSON text and are written once, as UTF-8, into the batch's
 * buffer; a sealed batch is the complete request body, so its size is known exactly before it is
 * sent.
 */

import { type KeyHashes, KeyHashList, NO_KEYS } from "./key-hashes.js";

/** One table's request prefix: the `tables` metadata, computed once per table. */
export interface BatchTarget {
  /** The table name as sent (`<namespace>_<stream>` or `<stream>`). */
  table: string;
  /** `{"tables":{…},"messages":[` for this table, UTF-8. */
  header: Buffer;
  headerBytes: number;
  /** `{"tableName":…,"data":` for this table, UTF-8. */
  messagePrefix: Buffer;
  /**
   * Dedup streams: batches carry their records' primary-key texts, so that batches with disjoint
   * keys may be in flight together. Otherwise (appends) a batch may overlap any other.
   */
  keyed: boolean;
}

export interface Batch {
  table: string;
  /** The complete request body (UTF-8 JSON). */
  body: Uint8Array;
  records: number;
  /** Exact size of `body`. */
  bytes: number;
  /** Input line numbers of the first and last record, for messages. */
  firstLine: number;
  lastLine: number;
  /**
   * What may be in flight alongside this batch for the same table: when present, any batches
   * whose keys are disjoint from these (none for appends: any batch); when absent, nothing (the
   * batch waits until its table has no request in flight, and later ones wait for it). Kept as
   * hashes (see key-hashes.ts).
   */
  keys?: KeyHashes;
}

export interface BatchLimits {
  maxRecords: number;
  maxBytes: number;
}

const FOOTER = Buffer.from("]}");
/** What `add` returns when it sealed nothing (most records): no array per record. */
const NONE: readonly Batch[] = Object.freeze([]);
const COMMA = 44;
const CLOSE_BRACE = 125;
/**
 * A new batch's buffer starts at this size (or the limit, if smaller) and doubles as it fills,
 * unless a spare buffer (see `recycle`) is free, which is usually already big enough.
 */
const INITIAL_CAPACITY = 256 * 1024;
/**
 * A table's first batch is sealed at this size and each later one at twice its predecessor's, up to
 * the limit: the server starts importing while the rest of a large input is still arriving, and
 * the first checkpoint commits sooner, at the cost of a few extra small requests per table.
 */
const FIRST_BATCH_BYTES = 256 * 1024;
/** Sent batches' buffers kept for new batches: fresh memory costs a page fault per 4 KiB written. */
const MAX_SPARE_BUFFERS = 2;

export function batchHeader(table: string, primaryKey: string[][] | null, jsonSchemaText: string): string {
  return `{"tables":{${JSON.stringify(table)}:{"primaryKey":${JSON.stringify(primaryKey)},"jsonSchema":${jsonSchemaText}}},"messages":[`;
}

export function batchTarget(table: string, primaryKey: string[][] | null, jsonSchemaText: string): BatchTarget {
  const header = Buffer.from(batchHeader(table, primaryKey, jsonSchemaText));
  return {
    table,
    header,
    headerBytes: header.length,
    messagePrefix: Buffer.from(`{"tableName":${JSON.stringify(table)},"data":`),
    keyed: primaryKey !== null,
  };
}

/** The size of one record's import message, given the UTF-8 size of its data text. */
export function messageBytes(target: BatchTarget, dataBytes: number): number {
  return target.messagePrefix.length + dataBytes + 1;
}

interface OpenBatch {
  target: BatchTarget;
  buf: Buffer;
  /** Bytes written to `buf`. */
  bytes: number;
  records: number;
  /** Its size limit (see `byteLimit`), fixed when it opens: a table has one open batch at a time. */
  limit: number;
  /** Primary-key hashes, or undefined once a record's key could not be vouched for. */
  keys: KeyHashList | undefined;
  firstLine: number;
  lastLine: number;
  openedAt: number;
}

/**
 * Each open batch is one growing buffer holding the request body as UTF-8: a record's message is
 * written into it once, and sealing only appends the closing brackets. Memory is the bytes that
 * will be sent, whatever the string representation of the input, plus at most
 * `MAX_SPARE_BUFFERS` buffers of sent batches kept for reuse.
 */
export class Batcher {
  private readonly open = new Map<string, OpenBatch>();
  /** Batches sealed so far, per table (see FIRST_BATCH_BYTES). */
  private readonly sealedPerTable = new Map<string, number>();
  private readonly spare: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly limits: BatchLimits) {}

  /** Bytes held in unsealed batches. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  get isEmpty(): boolean {
    return this.open.size === 0;
  }

  /** The size a batch of just this one message would have; callers refuse records that cannot fit any request. */
  static singleBatchBytes(target: BatchTarget, partBytes: number): number {
    return target.headerBytes + partBytes + FOOTER.length;
  }

  /**
   * Adds one record, given its data as JSON of `dataBytes` UTF-8 bytes (text, or the bytes
   * themselves), and returns the batches this sealed: the table's previous batch when the record
   * would not fit in it, and the new one when it reached the record limit. `key` is the record's
   * primary-key text for keyed targets (null: cannot be vouched for).
   */
  add(target: BatchTarget, data: string | Uint8Array, dataBytes: number, lineNumber: number, now: number, key?: string | null): readonly Batch[] {
    let sealed: Batch[] | undefined;
    const partBytes = messageBytes(target, dataBytes);
    let batch = this.open.get(target.table);
    if (batch !== undefined && batch.bytes + 1 + partBytes + FOOTER.length > batch.limit) {
      sealed = [this.seal(batch)];
      batch = undefined;
    }
    if (batch === undefined) {
      const capacity = Math.max(Math.min(INITIAL_CAPACITY, this.limits.maxBytes), target.headerBytes + partBytes + FOOTER.length);
      batch = {
        target,
        buf: this.buffer(capacity),
        bytes: 0,
        records: 0,
        limit: this.byteLimit(target.table),
        keys: target.keyed ? new KeyHashList() : undefined,
        firstLine: lineNumber,
        lastLine: lineNumber,
        openedAt: now,
      };
      batch.bytes = target.header.copy(batch.buf, 0);
      this.open.set(target.table, batch);
    } else {
      this.reserve(batch, 1 + partBytes + FOOTER.length);
      batch.buf[batch.bytes++] = COMMA;
      this.buffered += 1;
    }
    const buf = batch.buf;
    // `set` rather than Buffer's `copy`, which costs more per call than these short copies.
    buf.set(target.messagePrefix, batch.bytes);
    let at = batch.bytes + target.messagePrefix.length;
    if (typeof data === "string") at += buf.write(data, at, "utf8");
    else {
      buf.set(data, at);
      at += data.length;
    }
    buf[at++] = CLOSE_BRACE;
    batch.bytes = at;
    batch.records++;
    batch.lastLine = lineNumber;
    this.buffered += partBytes;
    if (target.keyed && batch.keys !== undefined) {
      if (typeof key === "string") batch.keys.add(key);
      else batch.keys = undefined;
    }
    if (batch.records >= this.limits.maxRecords) {
      sealed ??= [];
      sealed.push(this.seal(batch));
    }
    return sealed ?? NONE;
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

  /**
   * Hands back a sealed batch's buffer once the batch is sent and nothing reads its body any more,
   * for a later batch to reuse.
   */
  recycle(batch: Batch): void {
    // The body starts its own buffer (allocUnsafeSlow is not pooled), so this is all of it.
    const buf = Buffer.from(batch.body.buffer);
    // Not the outsized buffer of a single huge record: spares stay within the batch limit.
    if (this.spare.length < MAX_SPARE_BUFFERS && buf.length <= this.limits.maxBytes) this.spare.push(buf);
  }

  /** The size at which the table's open batch is sealed (see FIRST_BATCH_BYTES). */
  private byteLimit(table: string): number {
    const sealed = this.sealedPerTable.get(table) ?? 0;
    return Math.min(this.limits.maxBytes, FIRST_BATCH_BYTES * 2 ** sealed);
  }

  /** A buffer of at least `capacity` bytes: a spare one if it is big enough. */
  private buffer(capacity: number): Buffer {
    const i = this.spare.findIndex((b) => b.length >= capacity);
    if (i < 0) return Buffer.allocUnsafeSlow(capacity);
    return this.spare.splice(i, 1)[0] as Buffer;
  }

  /** Makes room for `more` bytes, doubling the buffer but never past what the limit can need. */
  private reserve(batch: OpenBatch, more: number): void {
    const needed = batch.bytes + more;
    if (needed <= batch.buf.length) return;
    const capacity = Math.max(needed, Math.min(batch.buf.length * 2, this.limits.maxBytes));
    const next = Buffer.allocUnsafeSlow(capacity);
    batch.buf.copy(next, 0, 0, batch.bytes);
    batch.buf = next;
  }

  private seal(batch: OpenBatch): Batch {
    const table = batch.target.table;
    this.open.delete(table);
    this.sealedPerTable.set(table, (this.sealedPerTable.get(table) ?? 0) + 1);
    this.buffered -= batch.bytes - batch.target.headerBytes;
    this.reserve(batch, FOOTER.length);
    const bytes = batch.bytes + FOOTER.copy(batch.buf, batch.bytes);
    const out: Batch = {
      table: batch.target.table,
      body: batch.buf.subarray(0, bytes),
      records: batch.records,
      bytes,
      firstLine: batch.firstLine,
      lastLine: batch.lastLine,
    };
    if (batch.target.keyed) {
      if (batch.keys !== undefined) out.keys = batch.keys.sorted();
    } else out.keys = NO_KEYS;
    return out;
  }
}
