/** Per-stream counters and the periodic progress LOG line (rows, bytes, rate). */
import type { Logger } from "@convex-airbyte/shared";

export interface StreamCounters {
  label: string;
  rows: number;
  bytes: number;
}

export class Progress {
  private readonly started: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly streams: StreamCounters[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  add(counters: StreamCounters): void {
    this.streams.push(counters);
  }

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      void this.logger.info(this.summary("Progress")).catch(() => undefined);
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** e.g. `Progress after 30s: users 1200 rows, 340.1 KB, 40 rows/s; posts …`. */
  summary(prefix: string): string {
    const secs = Math.max((this.now() - this.started) / 1000, 0.001);
    const parts = this.streams.map((s) => `${s.label} ${s.rows} rows, ${formatBytes(s.bytes)}, ${Math.round(s.rows / secs)} rows/s`);
    const rows = this.streams.reduce((n, s) => n + s.rows, 0);
    const bytes = this.streams.reduce((n, s) => n + s.bytes, 0);
    return `${prefix} after ${Math.round(secs)}s: ${rows} rows, ${formatBytes(bytes)} in all (${Math.round(rows / secs)} rows/s)${parts.length ? `; ${parts.join("; ")}` : ""}.`;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
