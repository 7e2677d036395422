/**
 * One configured stream during a sync: its state, counters and status, and how a page of its
 * records is written: every record, then the STATE that covers them, never the other way round.
 */
import { descriptor, type MessageWriter, type StreamDescriptor, type SyncMode, streamKey, streamLabel } from "@convex-airbyte/shared";
import type { StreamCounters } from "../progress.js";
import type { PageDoc } from "../api.js";
import { recordLines } from "../records.js";
import { serializeState, type StreamState } from "../state.js";

export type StreamStatusName = "STARTED" | "RUNNING" | "COMPLETE" | "INCOMPLETE";

export class StreamRun implements StreamCounters {
  readonly key: string;
  readonly label: string;
  readonly descriptor: StreamDescriptor;
  rows = 0;
  bytes = 0;
  /** Records written since this stream's previous STATE (the STATE's sourceStats.recordCount). */
  private sinceState = 0;
  status: StreamStatusName | undefined;

  constructor(
    readonly name: string,
    /** Component path; undefined for the root component. */
    readonly namespace: string | undefined,
    readonly mode: SyncMode,
    /** The state as of the last STATE written (or the saved state at start). */
    public state: StreamState,
  ) {
    this.key = streamKey(name, namespace);
    this.label = streamLabel(name, namespace);
    this.descriptor = descriptor(name, namespace);
  }

  /** The delta cursor, once the stream is in its change-log phase. */
  get cursor(): bigint {
    return this.state.delta_cursor ?? 0n;
  }

  async setStatus(out: MessageWriter, status: StreamStatusName): Promise<void> {
    if (this.status === status || this.status === "COMPLETE" || this.status === "INCOMPLETE") return;
    this.status = status;
    await out.streamStatus(this.descriptor, status);
  }

  /** Writes the page's records, then its STATE. */
  async writePage(out: MessageWriter, docs: readonly PageDoc[], next: StreamState): Promise<void> {
    if (docs.length > 0 && this.status === "STARTED") await this.setStatus(out, "RUNNING");
    if (docs.length > 0) {
      const lines = recordLines(this.name, this.namespace, docs, Date.now());
      this.bytes += lines.length;
      const flushed = out.writeBytes(lines);
      if (flushed) await flushed;
    }
    this.rows += docs.length;
    this.sinceState += docs.length;
    await out.state({
      type: "STREAM",
      stream: { stream_descriptor: this.descriptor, stream_state: serializeState(next) },
      sourceStats: { recordCount: this.sinceState },
    });
    this.sinceState = 0;
    this.state = next;
  }
}
