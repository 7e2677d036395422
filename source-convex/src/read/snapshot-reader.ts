/**
 * Reads one table's snapshot, page by page, requesting the next page (page-chain.ts) while the
 * current one is checked and written. Every stream of a sync that starts a snapshot reads it at
 * one shared timestamp, so the tables form one consistent cut; a stream resuming an interrupted
 * snapshot keeps its own.
 */
import { type Logger, type MessageWriter, SystemError } from "@convex-airbyte/shared";
import { type ExportApi, errorCode, type SnapshotPage } from "../api.js";
import { freshState } from "../state.js";
import { PageChain } from "./page-chain.js";
import { belongsToTable } from "./routing.js";
import type { StreamRun } from "./stream-run.js";

/**
 * The snapshot timestamp shared by the streams that start a snapshot in this sync. The first
 * stream to ask becomes the leader: it calls list_snapshot without `snapshot` and publishes the
 * timestamp the server chose; the others wait for it.
 */
export class SharedSnapshot {
  private value: bigint | undefined;
  private leaderTaken = false;
  private readonly waiters: ((ts: bigint | undefined) => void)[] = [];

  /** `undefined` means: you are the leader, call without `snapshot` and then `publish`. */
  async acquire(): Promise<bigint | undefined> {
    if (this.value !== undefined) return this.value;
    if (!this.leaderTaken) {
      this.leaderTaken = true;
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  publish(ts: bigint): void {
    if (this.value !== undefined) return;
    this.value = ts;
    for (const w of this.waiters.splice(0)) w(ts);
  }

  /** The leader failed before publishing: the next asker becomes leader. */
  abandon(): void {
    if (this.value !== undefined) return;
    const next = this.waiters.shift();
    if (next === undefined) {
      this.leaderTaken = false;
      return;
    }
    // Hand leadership over: the waiter proceeds without a snapshot.
    next(undefined);
  }

  get timestamp(): bigint | undefined {
    return this.value;
  }
}

export interface SnapshotDeps {
  api: ExportApi;
  out: MessageWriter;
  logger: Logger;
  shared: SharedSnapshot;
  signal: AbortSignal;
}

/** Outcome: `done` when the snapshot was read to the end, `stopped` when the signal stopped it. */
export type SnapshotOutcome = "done" | "stopped";

/**
 * Reads the rest of `run`'s snapshot. Starts fresh (shared timestamp) when the state has no
 * snapshot in progress, else resumes the saved one; a saved snapshot that Convex no longer serves
 * (`SnapshotTooOld`) is restarted, with a WARN.
 */
export async function readSnapshot(run: StreamRun, deps: SnapshotDeps): Promise<SnapshotOutcome> {
  const { api, out, signal } = deps;
  const resuming = run.state.snapshot_has_more && run.state.delta_cursor !== null;
  let snapshot: bigint | undefined = resuming ? (run.state.delta_cursor as bigint) : undefined;
  let cursor: string | undefined = resuming ? (run.state.snapshot_cursor ?? undefined) : undefined;
  let leader = false;
  if (!resuming) {
    snapshot = await deps.shared.acquire();
    leader = snapshot === undefined;
  }
  let restarted = false;
  const component = run.namespace;
  /** A page's key: the `snapshot` and `cursor` it is requested with. */
  type Key = { snapshot: bigint | undefined; cursor: string | undefined };
  const chain = new PageChain<Key, SnapshotPage>(
    (key, hint, sig) =>
      api.listSnapshot(
        {
          tableName: run.name,
          ...(component !== undefined ? { component } : {}),
          format: "json",
          ...(key.snapshot !== undefined ? { snapshot: key.snapshot } : {}),
          ...(key.cursor !== undefined ? { cursor: key.cursor } : {}),
        },
        { signal: sig, onTail: (t) => hint(t.hasMore && t.cursor !== null ? { snapshot: t.snapshot, cursor: t.cursor } : undefined) },
      ),
    (a, b) => a.snapshot === b.snapshot && a.cursor === b.cursor,
    signal,
  );
  try {
    let fetch = chain.start({ snapshot, cursor });
    for (;;) {
      let page: SnapshotPage;
      try {
        page = await chain.take(fetch);
      } catch (err) {
        if (leader) deps.shared.abandon();
        if (errorCode(err) === "SnapshotTooOld" && resuming && !restarted && !signal.aborted) {
          restarted = true;
          await deps.logger.warn(
            `Stream ${run.label}: the interrupted snapshot saved in the state (timestamp ${String(snapshot)}) is older than Convex keeps snapshots, so it cannot be resumed. ` +
              "Restarting this stream's snapshot from the beginning at a fresh timestamp; documents already written are written again, and documents deleted in between are not reported as deletes.",
          );
          run.state = freshState();
          snapshot = await deps.shared.acquire();
          leader = snapshot === undefined;
          cursor = undefined;
          fetch = chain.start({ snapshot, cursor });
          continue;
        }
        throw err;
      }
      if (leader) {
        deps.shared.publish(page.snapshot);
        leader = false;
      }
      if (snapshot !== undefined && page.snapshot !== snapshot) {
        throw new SystemError(`Convex answered list_snapshot for ${run.label} at snapshot ${page.snapshot} although ${snapshot} was requested; the export would not be consistent.`);
      }
      snapshot = page.snapshot;
      if (page.hasMore && (page.cursor === null || page.cursor === undefined)) {
        throw new SystemError(`Convex answered list_snapshot for ${run.label} with hasMore=true but no cursor.`);
      }
      const nextCursor = page.hasMore ? (page.cursor as string) : undefined;
      if (nextCursor !== undefined && !signal.aborted) fetch = chain.next(fetch, { snapshot, cursor: nextCursor });
      const docs = page.values.filter((d) => belongsToTable(d, run.name, component));
      await run.writePage(out, docs, { snapshot_cursor: page.hasMore ? page.cursor : null, snapshot_has_more: page.hasMore, delta_cursor: page.snapshot });
      if (!page.hasMore) return "done";
      if (signal.aborted) return "stopped";
    }
  } finally {
    chain.close();
  }
}
