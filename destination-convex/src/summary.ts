/** Per-stream counters for the final LOG. */

export interface StreamCounters {
  label: string;
  table: string;
  /** Records committed by Convex. */
  records: number;
  /** Request bytes committed. */
  bytes: number;
  batches: number;
  retries: number;
  skipped: number;
  /** When the stream's first record arrived, and when its last batch committed (ms). */
  firstRecordAt: number | undefined;
  lastCommitAt: number | undefined;
  /** The platform said the source finished this stream (TRACE STREAM_STATUS COMPLETE). */
  complete: boolean;
}

export class SyncSummary {
  private readonly byTable = new Map<string, StreamCounters>();

  constructor(private readonly startedAt: number) {}

  stream(table: string, label: string): StreamCounters {
    let c = this.byTable.get(table);
    if (c === undefined) {
      c = { label, table, records: 0, bytes: 0, batches: 0, retries: 0, skipped: 0, firstRecordAt: undefined, lastCommitAt: undefined, complete: false };
      this.byTable.set(table, c);
    }
    return c;
  }

  get all(): StreamCounters[] {
    return [...this.byTable.values()];
  }

  totals(): { records: number; bytes: number; batches: number; retries: number; skipped: number } {
    const t = { records: 0, bytes: 0, batches: 0, retries: 0, skipped: 0 };
    for (const c of this.byTable.values()) {
      t.records += c.records;
      t.bytes += c.bytes;
      t.batches += c.batches;
      t.retries += c.retries;
      t.skipped += c.skipped;
    }
    return t;
  }

  /** One line per stream and a total, for the final LOG. */
  format(now: number, outcome: string): string {
    const lines = [`Sync ${outcome} in ${seconds(now - this.startedAt)}.`];
    for (const c of this.byTable.values()) {
      const active = c.firstRecordAt === undefined ? 0 : (c.lastCommitAt ?? now) - c.firstRecordAt;
      lines.push(
        `  ${c.label} → table ${c.table}: ${c.records} records committed, ${mib(c.bytes)} in ${c.batches} request(s), ${c.retries} retr${c.retries === 1 ? "y" : "ies"}, ${c.skipped} skipped, ${seconds(active)}${c.complete ? ", source complete" : ""}.`,
      );
    }
    const t = this.totals();
    lines.push(`  total: ${t.records} records, ${mib(t.bytes)}, ${t.batches} request(s), ${t.retries} retries, ${t.skipped} skipped.`);
    return lines.join("\n");
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}
