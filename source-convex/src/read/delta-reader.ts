/**
 * Reads the change log once for all incremental streams: one document_deltas walk from the
 * smallest cursor, each change routed to its stream by `_table` + `_component`. A stream whose
 * cursor is ahead of the walk skips the changes it already has. After each page every stream whose
 * cursor moved gets its records and then its STATE (also when the page held nothing for it).
 */
import { ConfigError, type MessageWriter } from "@convex-airbyte/shared";
import { type DeltasPage, type DeltasRequest, type ExportApi, errorCode } from "../api.js";
import { PageChain } from "./page-chain.js";
import { routeChanges } from "./routing.js";
import type { StreamRun } from "./stream-run.js";

export interface DeltaDeps {
  api: ExportApi;
  out: MessageWriter;
  signal: AbortSignal;
}

export interface DeltaOutcome {
  stopped: boolean;
  /** Streams whose cursor Convex no longer serves (`InvalidWindowToReadDocuments`). */
  expired: StreamRun[];
  /** The error Convex returned for them. */
  expiredError?: unknown;
}

/** The narrowest selection that still covers every stream of the walk. */
function selectionFor(runs: readonly StreamRun[]): Pick<DeltasRequest, "tableName" | "component"> {
  const only = runs.length === 1 ? runs[0] : undefined;
  if (only) return { tableName: only.name, ...(only.namespace !== undefined ? { component: only.namespace } : {}) };
  const components = new Set(runs.map((r) => r.namespace));
  const [component] = components;
  if (components.size === 1 && component !== undefined) return { component };
  return {};
}

export async function readDeltas(runs: readonly StreamRun[], deps: DeltaDeps): Promise<DeltaOutcome> {
  const { api, out, signal } = deps;
  const active = new Map<string, StreamRun>(runs.map((r) => [r.key, r]));
  const expired: StreamRun[] = [];
  let expiredError: unknown;
  while (active.size > 0) {
    const walk = [...active.values()];
    const selection = selectionFor(walk);
    const untagged = walk.length === 1 ? walk[0] : undefined;
    let cursor = walk.reduce((min, r) => (r.cursor < min ? r.cursor : min), walk[0]?.cursor ?? 0n);
    const chain = new PageChain<bigint, DeltasPage>(
      (c, hint, sig) => api.documentDeltas({ cursor: c, format: "json", ...selection }, { signal: sig, onTail: (t) => hint(t.hasMore ? t.cursor : undefined) }),
      (a, b) => a === b,
      signal,
    );
    let restart = false;
    try {
      let fetch = chain.start(cursor);
      for (;;) {
        let page: DeltasPage;
        try {
          page = await chain.take(fetch);
        } catch (err) {
          if (errorCode(err) !== "InvalidWindowToReadDocuments" || signal.aborted) throw err;
          // The streams at the walk's cursor are too far behind; the others may still be readable.
          for (const r of walk) {
            if (r.cursor <= cursor) {
              expired.push(r);
              active.delete(r.key);
            }
          }
          expiredError = err;
          restart = true;
          break;
        }
        if (page.hasMore && !signal.aborted) fetch = chain.next(fetch, page.cursor);
        const batches = routeChanges(page.values, active, untagged);
        for (const run of walk) {
          const batch = batches.get(run) ?? [];
          const next = page.cursor > run.cursor ? page.cursor : run.cursor;
          if (batch.length === 0 && next === run.cursor) continue;
          await run.writePage(out, batch, { snapshot_cursor: null, snapshot_has_more: false, delta_cursor: next });
        }
        cursor = page.cursor;
        if (!page.hasMore || signal.aborted) break;
      }
    } finally {
      chain.close();
    }
    if (!restart) return { stopped: signal.aborted, expired, expiredError };
  }
  return { stopped: signal.aborted, expired, expiredError };
}

/** The config error for streams whose change-log cursor expired. */
export function expiredCursorError(expired: readonly StreamRun[], cause: unknown): ConfigError {
  const names = expired.map((r) => `'${r.label}'`).join(", ");
  const first = expired[0];
  const server = cause instanceof Error ? ` Convex said: ${cause.message}` : "";
  return new ConfigError(
    `The saved change-log position of stream${expired.length > 1 ? "s" : ""} ${names} is older than this Convex deployment's retention window, ` +
      `so incremental sync cannot continue without missing changes. In Airbyte, refresh ${expired.length > 1 ? "these streams" : "this stream"} ` +
      "(Connection → Status → stream menu → Refresh stream) so it starts again with a full snapshot, then sync more often than the retention window.",
    { stream: first ? { name: first.name, namespace: first.namespace } : undefined, internal: `InvalidWindowToReadDocuments; streams ${names}.${server}` },
  );
}

