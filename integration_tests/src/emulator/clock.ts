/**
 * Emulated time and commit timestamps. Timestamps are i64 nanoseconds held as bigint; they start
 * above 2^60 and are never a multiple of 256, so a client that rounds through float64 is caught.
 */

export interface ClockOptions {
  /** Start of emulated time in ms since the epoch (default: the real time now). */
  startMs?: number;
  /** When true, emulated time moves only through `advance` (default: follows the real clock). */
  manual?: boolean;
}

const MIN_TS = (1n << 60n) + 1n;

export class Clock {
  private readonly realStart = Date.now();
  private readonly startMs: number;
  private offsetMs = 0;
  private lastIssued = 0n;
  private lastCommit = 0n;

  constructor(private readonly opts: ClockOptions = {}) {
    this.startMs = opts.startMs ?? this.realStart;
  }

  nowMs(): number {
    const elapsed = this.opts.manual ? 0 : Date.now() - this.realStart;
    return this.startMs + elapsed + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  nowNs(): bigint {
    // A fixed sub-millisecond part keeps timestamps from looking round.
    return BigInt(Math.floor(this.nowMs())) * 1_000_000n + 543_211n;
  }

  private issue(minimum: bigint): bigint {
    let ts = this.nowNs();
    if (ts < minimum) ts = minimum;
    if (ts < MIN_TS) ts = MIN_TS;
    if (ts % 256n === 0n) ts += 1n;
    this.lastIssued = ts;
    return ts;
  }

  /** A fresh commit timestamp, strictly above every timestamp handed out so far. */
  commitTs(): bigint {
    const ts = this.issue(this.lastIssued + 1n);
    this.lastCommit = ts;
    return ts;
  }

  /** The read timestamp ("now"): at least the latest commit; later commits are above it. */
  readTs(): bigint {
    return this.issue(this.lastIssued);
  }

  get latestCommit(): bigint {
    return this.lastCommit;
  }
}
