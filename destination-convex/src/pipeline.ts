/**
 * Sends sealed batches with bounded concurrency, never letting a later write of a key overtake an
 * earlier one, and releases STATE messages only once every record that came before them is
 * committed.
 *
 * - Batches start in the order they were sealed, per table. A table's next batch may start while
 *   earlier ones of the same table are in flight when their writes cannot interact: appends (the
 *   final set of rows does not depend on the order of inserts), and dedup batches whose
 *   primary-key sets are disjoint from every in-flight batch of the table. A batch that shares a
 *   key with one in flight, or whose keys are unknown, waits; the table's later batches wait
 *   behind it. So an update or delete of a key never lands before an earlier write of that key.
 * - At most `maxInFlight` requests run at once, across tables.
 * - `sealed` counts batches handed over but not settled; the reader waits on `waitForCapacity`
 *   before reading more input, which bounds memory to the batches handed over whatever the input.
 * - A state's barrier is, for every table with uncommitted records when the state arrived, the
 *   number of records appended to that table so far. Batches of a table may commit out of order,
 *   so a table's committed count is that of its longest fully committed prefix of batches; the
 *   state goes out when each table's count reaches its barrier. States leave in arrival order.
 * - After the first failure nothing more is sent; states whose barriers were met still go out,
 *   none beyond.
 * - With `ready`, nothing is sent and no state is written before it resolves (the destination's
 *   setup: clearing tables, building indexes), while batches are already handed over; when it
 *   rejects, that is the pipeline's failure.
 */
import type { Batch } from "./batcher.js";
import { type KeyHashes, sharesKey } from "./key-hashes.js";

export interface PipelineOptions {
  /** Requests in flight at once, across tables. */
  maxInFlight: number;
  /** Sends one batch (with its own retries); throws when the batch could not be committed. */
  send: (batch: Batch) => Promise<void>;
  /** Writes one STATE line to stdout. */
  emitState: (line: string) => Promise<void>;
  /** Nothing is sent and no state written until this resolves; its rejection fails the pipeline. */
  ready?: Promise<void>;
}

interface PendingState {
  line: string;
  barrier: [table: string, count: number][];
}

interface Queued {
  batch: Batch;
  /** Position among the table's batches, from 0. */
  seq: number;
}

interface TableState {
  /** Records noted (in open or sealed batches). */
  appended: number;
  /** Records in the longest prefix of the table's batches that is fully committed. */
  committed: number;
  /** Sequence number of the next batch handed over. */
  nextSeq: number;
  /** Sequence number of the first batch not yet committed. */
  nextToCommit: number;
  /** Committed batches beyond the prefix: seq → records. */
  committedAhead: Map<number, number>;
  inFlight: number;
  /** A batch without keys is in flight: nothing else of this table may start. */
  exclusive: boolean;
  /**
   * The keyed batches in flight, whose key hashes a new batch is checked against: starting and
   * finishing a batch then cost nothing per key.
   */
  keyedInFlight: Set<Batch>;
}

export class Pipeline {
  private readonly tables = new Map<string, TableState>();
  private readonly states: PendingState[] = [];
  /** Sealed batches not yet started, in the order they were handed over. */
  private readonly queue: Queued[] = [];
  private sealed = 0;
  private running = 0;
  private readonly capacityWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private emitting: Promise<void> = Promise.resolve();
  private failed: { error: unknown } | undefined;
  private stopped = false;
  /** `ready` resolved (or none was given). */
  private open: boolean;
  private outputBroken = false;
  /** States written to stdout. */
  emittedStates = 0;
  /** The most requests seen in flight at once (for tests). */
  peakInFlight = 0;

  constructor(private readonly options: PipelineOptions) {
    this.open = options.ready === undefined;
    options.ready?.then(
      () => {
        this.open = true;
        this.pump();
        this.drainStates();
      },
      (error: unknown) => {
        this.fail(error);
        this.pump();
      },
    );
  }

  /** The first failure, if any batch or state write failed. */
  get failure(): { error: unknown } | undefined {
    return this.failed;
  }

  /** Counts a record that will be sent to `table` (it is in an open or sealed batch). */
  noteRecord(table: string): void {
    this.table(table).appended++;
  }

  /** Hands over a sealed batch. Synchronous, so a table's batches keep their seal order. */
  submit(batch: Batch): void {
    this.sealed++;
    const t = this.table(batch.table);
    this.queue.push({ batch, seq: t.nextSeq++ });
    this.pump();
  }

  /** True when the reader may go on without waiting (see `waitForCapacity`). */
  get hasCapacity(): boolean {
    return this.sealed < this.options.maxInFlight || this.failed !== undefined;
  }

  /** Resolves when fewer than `maxInFlight` batches are sealed and unsettled (or on failure). */
  async waitForCapacity(): Promise<void> {
    while (!this.hasCapacity) {
      await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
    }
  }

  /**
   * Queues a STATE line. It is written once every record noted before it is committed, right
   * away when nothing is pending.
   */
  pushState(line: string): void {
    const barrier: [string, number][] = [];
    for (const [table, t] of this.tables) {
      if (t.committed < t.appended) barrier.push([table, t.appended]);
    }
    this.states.push({ line, barrier });
    this.drainStates();
  }

  /** States received but not yet written. */
  get pendingStates(): number {
    return this.states.length;
  }

  /** Stops starting batches (SIGTERM): what is in flight settles, nothing new is sent, no state is written. */
  stop(): void {
    this.stopped = true;
    this.pump();
  }

  /** Waits until `ready` settled, every submitted batch settled and every releasable state was written. */
  async idle(): Promise<void> {
    await this.options.ready?.catch(() => undefined);
    while (this.sealed > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    await this.emitting;
  }

  private table(name: string): TableState {
    let t = this.tables.get(name);
    if (t === undefined) {
      t = {
        appended: 0,
        committed: 0,
        nextSeq: 0,
        nextToCommit: 0,
        committedAhead: new Map(),
        inFlight: 0,
        exclusive: false,
        keyedInFlight: new Set(),
      };
      this.tables.set(name, t);
    }
    return t;
  }

  /** Starts every queued batch that may start now; drops them all after a failure or a stop. */
  private pump(): void {
    if (this.failed !== undefined || this.stopped) {
      const dropped = this.queue.splice(0).length;
      for (let i = 0; i < dropped; i++) this.settled();
      return;
    }
    if (!this.open) return;
    // A table whose first queued batch cannot start yet blocks its later batches.
    const blocked = new Set<string>();
    for (let i = 0; i < this.queue.length && this.running < this.options.maxInFlight; ) {
      const q = this.queue[i] as Queued;
      const name = q.batch.table;
      const t = this.table(name);
      if (blocked.has(name) || !this.mayStart(t, q.batch)) {
        blocked.add(name);
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.start(t, q);
    }
  }

  private mayStart(t: TableState, batch: Batch): boolean {
    if (t.inFlight === 0) return true;
    if (t.exclusive || batch.keys === undefined) return false;
    for (const held of t.keyedInFlight) if (sharesKey(held.keys as KeyHashes, batch.keys)) return false;
    return true;
  }

  private start(t: TableState, q: Queued): void {
    const { batch } = q;
    this.running++;
    if (this.running > this.peakInFlight) this.peakInFlight = this.running;
    t.inFlight++;
    if (batch.keys === undefined) t.exclusive = true;
    else if (batch.keys.length > 0) t.keyedInFlight.add(batch);
    let sending: Promise<void>;
    try {
      sending = this.options.send(batch);
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      () => {
        this.finish(t, batch);
        this.commit(t, q);
        this.drainStates();
        this.settled();
        this.pump();
      },
      (error: unknown) => {
        this.finish(t, batch);
        this.fail(error);
        this.settled();
        this.pump();
      },
    );
  }

  /** Releases what an in-flight batch held. */
  private finish(t: TableState, batch: Batch): void {
    this.running--;
    t.inFlight--;
    if (batch.keys === undefined) t.exclusive = false;
    else t.keyedInFlight.delete(batch);
  }

  private commit(t: TableState, q: Queued): void {
    if (q.seq !== t.nextToCommit) {
      t.committedAhead.set(q.seq, q.batch.records);
      return;
    }
    t.committed += q.batch.records;
    t.nextToCommit++;
    for (let ahead = t.committedAhead.get(t.nextToCommit); ahead !== undefined; ahead = t.committedAhead.get(t.nextToCommit)) {
      t.committedAhead.delete(t.nextToCommit);
      t.committed += ahead;
      t.nextToCommit++;
    }
  }

  /** A batch handed over is done with, sent or not. */
  private settled(): void {
    this.sealed--;
    this.capacityWaiters.shift()?.();
    if (this.sealed === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private fail(error: unknown): void {
    if (this.failed === undefined) this.failed = { error };
    // Wake every waiting reader: it checks `failure` and stops.
    for (const wake of this.capacityWaiters.splice(0)) wake();
  }

  private drainStates(): void {
    if (this.stopped || !this.open) return;
    while (this.states.length > 0) {
      const head = this.states[0] as PendingState;
      if (!head.barrier.every(([table, count]) => (this.tables.get(table)?.committed ?? 0) >= count)) return;
      this.states.shift();
      this.emitting = this.emitting.then(async () => {
        if (this.stopped || this.outputBroken) return;
        try {
          await this.options.emitState(head.line);
          this.emittedStates++;
        } catch (error) {
          this.outputBroken = true;
          this.fail(error);
          this.pump();
        }
      });
    }
  }
}
