/** Writes converted import records (§10.1 "Writes, per record"): chunked transactions, append and dedup. */
import type { Deployment } from "./context.js";
import { badRequest, internalError } from "./errors.js";
import type { Streams } from "./import-args.js";
import { convert } from "./import-convert.js";
import { CDC_PREFIX, type ImportRecord, systemLength, TextRenderer } from "./import-record.js";
import { checkDocumentLimits, SYSTEM_FIELDS_SIZE, systemFieldsSize } from "./limits.js";
import { storedCreationTime, type Tablet, type Txn } from "./store.js";
import { type ConvexObject, encodeFields, encodeValue } from "./values.js";

export const INDEX_SUFFIX = "._by_airbyte_primary_key";

/** A stream of this request: its primary key, and its tablet once a write has needed it. */
interface Target {
  pk: string[][] | null;
  tablet: Tablet | undefined;
}

/**
 * Writes the records in order. A transaction that reaches a limit is committed and the rest goes
 * into a new one; an error rolls back the open transaction only.
 */
export function writeRecords(dep: Deployment, streams: Streams, records: readonly ImportRecord[]): void {
  const targets = new Map<string, Target>();
  const texts = new TextRenderer(records);
  let last: ImportRecord | undefined;
  let target: Target | undefined;
  const { txnMaxWrites, txnMaxBytes } = dep.knobs;
  let tx = dep.store.begin();
  try {
    for (const r of records) {
      if (tx.writes >= txnMaxWrites || (tx.writes > 0 && tx.writeBytes + r.size > txnMaxBytes)) {
        // Hitting a transaction limit commits what is there and carries on in a new transaction.
        tx = dep.store.begin();
      }
      if (last === undefined || r.table !== last.table) {
        target = targets.get(r.table);
        if (target === undefined) {
          if (!streams.has(r.table)) throw badRequest("MissingStream", `Missing stream for table ${r.table}`);
          target = { pk: streams.get(r.table) ?? null, tablet: undefined };
          targets.set(r.table, target);
        }
        last = r;
      }
      writeRecord(tx, r, target as Target, texts);
    }
  } catch (e) {
    texts.flush();
    tx.rollback();
    throw e;
  }
  texts.flush();
}

function writeRecord(tx: Txn, r: ImportRecord, target: Target, texts: TextRenderer): void {
  const pk = target.pk;
  if (pk === null) {
    // Append mode ignores the CDC deleted flag.
    checkDocumentLimits(r.size + SYSTEM_FIELDS_SIZE, r.nesting);
    target.tablet ??= tx.table(r.table);
    insertRecord(tx, target.tablet, r, r.indexKey, false, texts);
    return;
  }
  const missing = pk[r.pkMissing];
  if (missing !== undefined) {
    throw badRequest("MissingPrimaryKeyValue", `Missing value for primary key field: ${JSON.stringify(missing.join("."))}.`);
  }
  target.tablet ??= tx.table(r.table);
  const tablet = target.tablet;
  const index = tablet.pkIndex;
  if (index === undefined) throw badRequest("IndexNotFoundError", `Index ${r.table}${INDEX_SUFFIX} not found.`);
  if (index.state !== "enabled") {
    throw badRequest("IndexBackfillingError", `Index ${r.table}${INDEX_SUFFIX} is currently backfilling and not available to query yet.`);
  }
  const k = r.pkKey;
  const match = k === undefined ? undefined : index.entries.get(k);
  if (typeof match === "object" && match.size > 1) throw internalError(); // "Received more than one value for query"
  // The index is keyed by its own fields; they are normally the stream's primary key.
  const newKey = r.indexKey;
  const id = typeof match === "object" ? (match.values().next().value as string | undefined) : match;
  if (id === undefined) {
    // Quirk: a CDC-deleted record with no match is inserted.
    checkDocumentLimits(r.size + SYSTEM_FIELDS_SIZE, r.nesting);
    // No document holds the key: the index entry is new unless the index keys on other fields.
    insertRecord(tx, tablet, r, newKey, k !== undefined && newKey === k, texts);
    return;
  }
  // An existing document is read and replaced: the deferred texts must be in place first.
  texts.flush();
  if (r.deleted) {
    tx.writeText(tablet, id, null, undefined, { before: k, after: undefined });
    return;
  }
  const old = tablet.docs.get(id)?.text as string;
  checkDocumentLimits(r.size + systemFieldsSize(id), r.nesting);
  const ct = storedCreationTime(old);
  const text = texts.text(r, id, encodeValue(ct, "convex_encoded_json"));
  tx.writeText(tablet, id, text, recordClean(r, id, ct, text, texts), { before: k, after: newKey });
}

function insertRecord(tx: Txn, tablet: Tablet, r: ImportRecord, key: string | undefined, keyIsNew: boolean, texts: TextRenderer): void {
  const id = tx.newId(tablet);
  const ct = tx.creationTime;
  const ctText = tx.creationTimeText;
  if (r.specialText || r.special !== undefined || !plainFloat(ct)) {
    const text = texts.text(r, id, ctText);
    tx.insertText(tablet, id, text, recordClean(r, id, ct, text, texts), key, keyIsNew, text.length);
    return;
  }
  // The usual case: the text is the same in both formats, and is decoded with the request's others.
  const rev = tx.insertText(tablet, id, "", undefined, key, keyIsNew, r.units + systemLength(id, ctText));
  texts.defer(r, id, ctText, rev);
}

const plainFloat = (x: number) => Number.isFinite(x) && !Object.is(x, -0);

/** The clean `json` text when it differs from the stored text (rare: -0 or ±Infinity). */
function recordClean(r: ImportRecord, id: string, creationTime: number, text: string, texts: TextRenderer): string | undefined {
  if (r.specialText) {
    const clean = cleanSpecials(texts.text(r, id, encodeValue(creationTime, "json")));
    return clean === text ? undefined : clean;
  }
  if (r.special === undefined) return plainFloat(creationTime) ? undefined : texts.text(r, id, encodeValue(creationTime, "json"));
  const doc = convert(r.special) as ConvexObject;
  for (const k of Object.keys(doc)) if (k.startsWith(CDC_PREFIX)) delete doc[k];
  doc._id = id;
  doc._creationTime = creationTime;
  const clean = encodeFields(doc, "json");
  return clean === text ? undefined : clean;
}

/** The stored forms of the floats that `json` writes differently, and their `json` forms. */
const SPECIAL_FLOATS = [-0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(
  (x) => [encodeValue(x, "convex_encoded_json"), encodeValue(x, "json")] as const,
);

/**
 * The `json` text of stored text: its `{"$float":…}` objects replaced. The pattern cannot occur
 * elsewhere: quotes inside strings are escaped and field names never start with `$`.
 */
function cleanSpecials(text: string): string {
  for (const [stored, clean] of SPECIAL_FLOATS) if (text.includes(stored)) text = text.split(stored).join(clean);
  return text;
}
