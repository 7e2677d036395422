/**
 * Deletes that find nothing to delete. Convex's import inserts a CDC delete record whose key has
 * no row (the server's "insert even if deleted" quirk), which would leave a tombstone row in a
 * deduplicated table: a document created and deleted between two syncs would appear in the
 * target. Airbyte's convention is that such a delete inserts nothing. Sending a key-only upsert
 * just before the delete makes the delete always find exactly one row, so it always removes it.
 */

/** Whether the record is a CDC delete as the server reads it (`_ab_cdc_deleted_at` not null). */
export function isCdcDelete(data: Record<string, unknown>): boolean {
  const at = data._ab_cdc_deleted_at;
  return at !== undefined && at !== null;
}

/**
 * The key-only record, in stored field names (which the server keeps as they are), built from
 * the primary-key paths and the record's key values.
 */
export function keyOnlyRecord(primaryKey: readonly (readonly string[])[], values: readonly unknown[]): string {
  const doc: Record<string, unknown> = {};
  primaryKey.forEach((path, i) => {
    let node = doc;
    path.forEach((field, depth) => {
      if (depth === path.length - 1) node[field] = values[i];
      else {
        const next = node[field];
        const child = next !== null && typeof next === "object" ? (next as Record<string, unknown>) : {};
        node[field] = child;
        node = child;
      }
    });
  });
  return JSON.stringify(doc);
}
