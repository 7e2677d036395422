/** Writes converted import records (§10.1 "Writes, per record"): chunked transactions, append and dedup. */
import type { Deployment } from "./context.js";
import { badRequest, internalError } from "./errors.js";
import type { Streams } from "./import-args.js";
import { convert } from "./import-convert.js";
import { CDC_PREFIX, type ImportRecord, RecordTexts, systemLength } from "./import-record.js";
import { checkDocumentLimits, SYSTEM_FIELDS_SIZE, systemFieldsSize } from "./limits.js";
import { type Rev, storedCreationTime, type Tablet, type Txn } from "./store.js";
import { textChunks } from "./text-chunks.js";
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
  const texts = new RecordTexts(records);
  const open = { tx: dep.store.begin() };
  try {
    writeInChunks(dep, streams, records, texts, open);
  } catch (e) {
    // The texts of committed transactions are kept (those of the rolled-back one are unused).
    texts.flush();
    open.tx.rollback();
    throw e;
  }
  texts.flush();
}

/**
 * The loop of `writeRecords`, on its own: V8 compiles a hot loop while it runs, and code after the
 * loop, not run yet then, made that compiled code be thrown away at the end of every request.
 */
function writeInChunks(dep: Deployment, streams: Streams, records: readonly ImportRecord[], texts: RecordTexts, open: { tx: Txn }): void {
  const targets = new Map<string, Target>();
  let last: ImportRecord | undefined;
  let target: Target | undefined;
  const { txnMaxWrites, txnMaxBytes } = dep.knobs;
  let tx = open.tx;
  for (const r of records) {
    if (tx.writes >= txnMaxWrites || (tx.writes > 0 && tx.writeBytes + r.size > txnMaxBytes)) {
      // Hitting a transaction limit commits what is there and carries on in a new transaction.
      tx = dep.store.begin();
      open.tx = tx;
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
}

function writeRecord(tx: Txn, r: ImportRecord, target: Target, texts: RecordTexts): void {
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
  if (r.deleted) {
    tx.writeText(tablet, id, null, undefined, { before: k, after: undefined });
    return;
  }
  checkDocumentLimits(r.size + systemFieldsSize(id), r.nesting);
  const head = tablet.docs.get(id) as Rev;
  // Its text is read: if this request stored it, it must be copied out of the arena first.
  if (head.buf === textChunks.buf && head.end > textChunks.pos) texts.flush();
  const ct = storedCreationTime(head);
  const ctText = creationTimeText(ct);
  texts.store(r, id, ctText);
  const clean = recordClean(r, id, ct, ctText, texts);
  tx.writeStored(tablet, id, textChunks.buf, texts.start, texts.end, r.units + systemLength(id, ctText), clean, { before: k, after: newKey });
}

// Replaced documents mostly come in runs inserted by one transaction: one creation time.
let lastCt = Number.NaN;
let lastCtText = "";

/** The stored text of creation time `ct` (the last one's kept: formatting a double is not cheap). */
function creationTimeText(ct: number): string {
  if (!Object.is(ct, lastCt)) {
    lastCtText = encodeValue(ct, "convex_encoded_json");
    lastCt = ct;
  }
  return lastCtText;
}

function insertRecord(tx: Txn, tablet: Tablet, r: ImportRecord, key: string | undefined, keyIsNew: boolean, texts: RecordTexts): void {
  const id = tx.newId(tablet);
  const ctText = tx.creationTimeText;
  texts.store(r, id, ctText);
  const clean = recordClean(r, id, tx.creationTime, ctText, texts);
  tx.insertStored(tablet, id, textChunks.buf, texts.start, texts.end, r.units + systemLength(id, ctText), clean, key, keyIsNew);
}

const plainFloat = (x: number) => Number.isFinite(x) && !Object.is(x, -0);

/**
 * The clean `json` text of record `r` stored as document `id` created at `creationTime` (stored as
 * `ctText`), when it differs from the stored text (rare: -0 or ±Infinity).
 */
function recordClean(r: ImportRecord, id: string, creationTime: number, ctText: string, texts: RecordTexts): string | undefined {
  if (!r.specialText && r.special === undefined) return plainFloat(creationTime) ? undefined : texts.text(r, id, encodeValue(creationTime, "json"));
  let clean: string;
  if (r.specialText) clean = cleanSpecials(texts.text(r, id, encodeValue(creationTime, "json")));
  else {
    const doc = convert(r.special) as ConvexObject;
    for (const k of Object.keys(doc)) if (k.startsWith(CDC_PREFIX)) delete doc[k];
    doc._id = id;
    doc._creationTime = creationTime;
    clean = encodeFields(doc, "json");
  }
  return clean === texts.text(r, id, ctText) ? undefined : clean;
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
