/**
 * Sends sealed batches with bounded concurrency while keeping each table's batches in input
 * order, and releases STATE messages only once every record that came before them is committed.
 *
 * - One promise chain per table: a table's next batch starts only after its previous one
 *   committed, so a later update or delete of a key can never overtake an earlier write.
 * - A semaphore bounds the requests in flight across tables.
 * - `sealed` counts batches handed over but not settled; the reader waits on `waitForCapacity`
 *   before reading more input, which bounds memory to the batches in flight whatever the input.
 * - A state's barrier is, for every table with uncommitted records when the state arrived, the
 *   number of records appended to that table so far. Tables commit in order, so the state can
 *   go out when each table's committed count reaches its barrier. States leave in arrival order.
 * - After the first failure nothing more is sent; states whose barriers were met still go out,
 *   none beyond.
 */
import type { Batch } from "./batcher.js";

export interface PipelineOptions {
  /** Requests in flight at once, across tables. */
  maxInFlight: number;
  /** Sends one batch (with its own retries); throws when the batch could not be committed. */
  send: (batch: Batch) => Promise<void>;
  /** Writes one STATE line to stdout. */
  emitState: (line: string) => Promise<void>;
}

interface PendingState {
  line: string;
  barrier: [table: string, count: number][];
}

export class Pipeline {
  private readonly appended = new Map<string, number>();
  private readonly committed = new Map<string, number>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly states: PendingState[] = [];
  private sealed = 0;
  private running = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly capacityWaiters: (() => void)[] = [];
  private emitting: Promise<void> = Promise.resolve();
  private failed: { error: unknown } | undefined;
  private stopped = false;
  private outputBroken = false;
  /** States written to stdout. */
  emittedStates = 0;

  constructor(private readonly options: PipelineOptions) {}

  /** The first failure, if any batch or state write failed. */
  get failure(): { error: unknown } | undefined {
    return this.failed;
  }

  /** Counts a record that will be sent to `table` (it is in an open or sealed batch). */
  noteRecord(table: string): void {
    this.appended.set(table, (this.appended.get(table) ?? 0) + 1);
  }

  /** Hands over a sealed batch. Synchronous, so batches join their table's chain in seal order. */
  submit(batch: Batch): void {
    this.sealed++;
    const previous = this.chains.get(batch.table) ?? Promise.resolve();
    const next = previous.then(() => this.run(batch));
    this.chains.set(batch.table, next);
  }

  /** Resolves when fewer than `maxInFlight` batches are sealed and unsettled (or on failure). */
  async waitForCapacity(): Promise<void> {
    while (this.sealed >= this.options.maxInFlight && this.failed === undefined) {
      await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
    }
  }

  /**
   * Queues a STATE line. It is written once every record noted before it is committed, right
   * away when nothing is pending.
   */
  pushState(line: string): void {
    const barrier: [string, number][] = [];
    for (const [table, count] of this.appended) {
      if ((this.committed.get(table) ?? 0) < count) barrier.push([table, count]);
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
  }

  /** Waits until every submitted batch settled and every releasable state was written. */
  async idle(): Promise<void> {
    let seen: Promise<void>[] = [];
    for (;;) {
      const now = [...this.chains.values()];
      if (now.length === seen.length && now.every((c, i) => c === seen[i])) break;
      seen = now;
      await Promise.all(now);
    }
    await this.emitting;
  }

  private async run(batch: Batch): Promise<void> {
    try {
      if (this.failed !== undefined || this.stopped) return;
      await this.acquireSlot();
      try {
        if (this.failed !== undefined || this.stopped) return;
        await this.options.send(batch);
        this.committed.set(batch.table, (this.committed.get(batch.table) ?? 0) + batch.records);
        this.drainStates();
      } finally {
        this.releaseSlot();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.sealed--;
      this.capacityWaiters.shift()?.();
    }
  }

  private fail(error: unknown): void {
    if (this.failed === undefined) this.failed = { error };
    // Wake every waiting reader: it checks `failure` and stops.
    for (const wake of this.capacityWaiters.splice(0)) wake();
  }

  private async acquireSlot(): Promise<void> {
    if (this.running < this.options.maxInFlight) {
      this.running++;
      return;
    }
    // The releasing batch hands its slot over directly.
    await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.running--;
  }

  private drainStates(): void {
    if (this.stopped) return;
    while (this.states.length > 0) {
      const head = this.states[0] as PendingState;
      if (!head.barrier.every(([table, count]) => (this.committed.get(table) ?? 0) >= count)) return;
      this.states.shift();
      this.emitting = this.emitting.then(async () => {
        if (this.stopped || this.outputBroken) return;
        try {
          await this.options.emitState(head.line);
          this.emittedStates++;
        } catch (error) {
          this.outputBroken = true;
          this.fail(error);
        }
      });
    }
  }
}
