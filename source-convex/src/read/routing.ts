/**
 * Which stream a document belongs to. Pure. Every value carries `_table` and `_component` (root is
 * `""`); values of other tables are never emitted under a stream, even when the server ignored the
 * table selection (convex-backend #302).
 */
import { streamKey } from "@convex-airbyte/shared";

export interface DocLike {
  _ts: bigint;
  _table?: unknown;
  _component?: unknown;
}

/** The stream key a document routes to, or undefined when it carries no table name. */
export function docStreamKey(doc: DocLike): string | undefined {
  if (typeof doc._table !== "string") return undefined;
  const component = typeof doc._component === "string" ? doc._component : "";
  return streamKey(doc._table, component === "" ? undefined : component);
}

/**
 * Whether a list_snapshot value belongs to the table being read. Old backends that send no
 * `_table` are trusted (their table selection worked).
 */
export function belongsToTable(doc: DocLike, table: string, component: string | undefined): boolean {
  if (doc._table === undefined) return true;
  return docStreamKey(doc) === streamKey(table, component);
}

export interface RouteTarget {
  /** Changes at or before this timestamp were already delivered to the stream. */
  cursor: bigint;
}

/**
 * Splits one document_deltas page into per-stream batches. Changes of unselected tables, and
 * changes at or before a stream's own cursor (a stream ahead of the walk), are skipped.
 */
export function routeChanges<T extends RouteTarget, D extends DocLike>(
  values: readonly D[],
  targets: ReadonlyMap<string, T>,
  /** Where values without `_table` go (an old backend answering a single-table request). */
  untagged?: T,
): Map<T, D[]> {
  const out = new Map<T, D[]>();
  for (const doc of values) {
    const key = docStreamKey(doc);
    const target = key === undefined ? untagged : targets.get(key);
    if (target === undefined || doc._ts <= target.cursor) continue;
    const batch = out.get(target);
    if (batch === undefined) out.set(target, [doc]);
    else batch.push(doc);
  }
  return out;
}
