/**
 * One `read`: plans each configured stream from its saved state, reads the snapshots (bounded
 * concurrency, one shared snapshot timestamp), then walks the change log once for every
 * incremental stream. Reports STREAM_STATUS per stream and a progress LOG line periodically.
 */
import {
  asConnectorError,
  type ConfiguredAirbyteCatalog,
  type ConnectorError,
  type RunContext,
  streamKey,
} from "@convex-airbyte/shared";
import type { ExportApi } from "../api.js";
import { Progress } from "../progress.js";
import { freshState, type SavedStates, type StreamState } from "../state.js";
import { expiredCursorError, readDeltas } from "./delta-reader.js";
import { readSnapshot, SharedSnapshot } from "./snapshot-reader.js";
import { StreamRun } from "./stream-run.js";

export interface SyncOptions {
  /** Tables whose snapshots are fetched at the same time. */
  snapshotConcurrency?: number;
  /** Period of the progress LOG line; 0 disables it. */
  progressIntervalMs?: number;
}

/** Where a stream starts, given its sync mode and saved state; `warning` explains a reset. */
export function planStart(mode: "full_refresh" | "incremental", saved: StreamState | undefined): { state: StreamState; phase: "snapshot" | "deltas"; warning?: string } {
  const inProgress = saved?.snapshot_has_more === true && saved.delta_cursor !== null;
  if (mode === "full_refresh") {
    // Only an interrupted snapshot is resumed (resumable full refresh, a later attempt of a job).
    return inProgress && saved.snapshot_cursor !== null ? { state: { ...saved }, phase: "snapshot" } : { state: freshState(), phase: "snapshot" };
  }
  if (saved === undefined) return { state: freshState(), phase: "snapshot" };
  if (saved.snapshot_has_more) return { state: saved.delta_cursor === null ? freshState() : { ...saved }, phase: "snapshot" };
  if (saved.delta_cursor === null || saved.delta_cursor === 0n) {
    return {
      state: freshState(),
      phase: "snapshot",
      warning: "its saved state says the snapshot finished but holds no change-log cursor (delta_cursor), so it starts again with a full snapshot",
    };
  }
  return { state: { ...saved }, phase: "deltas" };
}

/** Runs async tasks with at most `limit` at a time; resolves with every outcome. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  });
  await Promise.all(workers);
}

export async function runSync(api: ExportApi, catalog: ConfiguredAirbyteCatalog, saved: SavedStates, ctx: RunContext, options: SyncOptions = {}): Promise<void> {
  const { output: out, logger, signal } = ctx;
  const runs: StreamRun[] = [];
  const seen = new Set<string>();
  for (const cs of catalog.streams) {
    const namespace = cs.stream.namespace === null || cs.stream.namespace === "" ? undefined : cs.stream.namespace;
    const key = streamKey(cs.stream.name, namespace);
    if (seen.has(key)) continue;
    seen.add(key);
    const plan = planStart(cs.sync_mode, saved.get(key));
    const run = new StreamRun(cs.stream.name, namespace, cs.sync_mode, plan.state);
    if (plan.warning) await logger.warn(`Stream ${run.label}: ${plan.warning}.`);
    runs.push(run);
  }
  const progress = new Progress(logger, options.progressIntervalMs ?? 30_000);
  for (const r of runs) {
    progress.add(r);
    await r.setStatus(out, "STARTED");
  }
  progress.start();
  const failures = new Map<StreamRun, ConnectorError>();
  const fail = (run: StreamRun, err: unknown): void => {
    const e = asConnectorError(err);
    failures.set(run, e.stream ? e : Object.assign(e, { stream: { name: run.name, namespace: run.namespace } }));
  };
  try {
    const shared = new SharedSnapshot();
    const snapshotting = runs.filter((r) => r.state.snapshot_has_more);
    await pool(snapshotting, options.snapshotConcurrency ?? 4, async (run) => {
      if (signal.aborted) return;
      try {
        await readSnapshot(run, { api, out, logger, shared, signal });
      } catch (err) {
        if (!signal.aborted) fail(run, err);
      }
    });
    if (!signal.aborted) {
      for (const r of runs) {
        if (r.mode === "full_refresh" && !failures.has(r) && !r.state.snapshot_has_more) await r.setStatus(out, "COMPLETE");
      }
      const incremental = runs.filter((r) => r.mode === "incremental" && !failures.has(r) && !r.state.snapshot_has_more);
      if (incremental.length > 0) {
        try {
          const outcome = await readDeltas(incremental, { api, out, signal });
          if (outcome.expired.length > 0) {
            const e = expiredCursorError(outcome.expired, outcome.expiredError);
            for (const r of outcome.expired) failures.set(r, e);
          }
        } catch (err) {
          if (!signal.aborted) for (const r of incremental) fail(r, err);
        }
      }
      if (!signal.aborted) {
        for (const r of incremental) if (!failures.has(r)) await r.setStatus(out, "COMPLETE");
      }
    }
  } finally {
    progress.stop();
    for (const r of runs) if (r.status !== "COMPLETE") await r.setStatus(out, "INCOMPLETE").catch(() => undefined);
    await logger.info(progress.summary(signal.aborted ? "Stopped" : "Read finished")).catch(() => undefined);
  }
  if (failures.size > 0) {
    // One ERROR trace per failed stream; the last is raised so the process exits non-zero.
    const unique = [...new Set(failures.values())];
    for (const e of unique.slice(0, -1)) {
      await out.write({
        type: "TRACE",
        trace: {
          type: "ERROR",
          emitted_at: Date.now(),
          error: {
            message: e.message,
            internal_message: e.internal ?? e.message,
            failure_type: e.failureType,
            ...(e.stream ? { stream_descriptor: e.stream.namespace ? { name: e.stream.name, namespace: e.stream.namespace } : { name: e.stream.name } } : {}),
          },
        },
      });
    }
    throw unique[unique.length - 1] as ConnectorError;
  }
}
