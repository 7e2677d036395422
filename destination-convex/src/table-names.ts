/**
 * Names as the destination and the Convex server see them.
 *
 * - `tableNameForStream` is the Python connector's naming, kept for compatibility.
 * - `serverTableName` / `serverFieldName` predict how the streaming-import server renames a name
 *   it cannot store (convex-backend `ValidIdentifier`): a name that is valid and does not start
 *   with `_` is kept; anything else becomes `source_` + a lowercase ASCII slug. Primary keys must
 *   be sent in these stored names, because the server renames record fields but not key paths.
 */

const SOURCE_PREFIX = "source_";
/** The server gives up after prefixing a colliding field name this many times. */
export const DUPLICATE_FIELD_LIMIT = 3;
export const MAX_IDENTIFIER_LENGTH = 64;
export const MAX_FIELD_NAME_BYTES = 1024;

/**
 * The table a stream's records go to: `<namespace>_<stream>` when the catalog gives a namespace
 * (even an empty one, as the Python connector did), else `<stream>`.
 */
export function tableNameForStream(name: string, namespace?: string | null): string {
  return namespace === undefined || namespace === null ? name : `${namespace}_${name}`;
}

/** Letters the Unicode decomposition does not reduce to ASCII but a transliteration would. */
const TRANSLITERATIONS: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  Æ: "AE",
  ø: "o",
  Ø: "O",
  œ: "oe",
  Œ: "OE",
  đ: "d",
  Đ: "D",
  ł: "l",
  Ł: "L",
  þ: "th",
  Þ: "TH",
  ð: "d",
  Ð: "D",
};

/**
 * Lowercase ASCII slug with `_` between words, like the slugify crate the server uses. Accented
 * Latin letters lose their accents; other scripts the server transliterates (e.g. Cyrillic) are
 * only approximated here (they are dropped).
 */
export function slugify(text: string): string {
  let ascii = "";
  for (const ch of text.normalize("NFKD")) {
    const t = TRANSLITERATIONS[ch];
    if (t !== undefined) ascii += t;
    else if (/\p{M}/u.test(ch)) continue;
    else ascii += ch;
  }
  return ascii
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/** Convex identifier rules (table names, index fields): letters, digits, `_`; ≤ 64; not all `_`. */
export function isValidIdentifier(name: string): boolean {
  return name.length <= MAX_IDENTIFIER_LENGTH && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && /[^_]/.test(name);
}

/** Convex field-name rules: no leading `$`, printable ASCII only, ≤ 1024 bytes. */
export function isValidFieldName(name: string): boolean {
  return name.length <= MAX_FIELD_NAME_BYTES && !name.startsWith("$") && /^[\x20-\x7e]*$/.test(name);
}

/** The table name the server stores for `name`. Check the result with `isValidIdentifier`. */
export function serverTableName(name: string): string {
  if (isValidIdentifier(name) && !name.startsWith("_")) return name;
  return SOURCE_PREFIX + slugify(name);
}

/** The field name the server stores for `name` (before any collision prefixing). */
export function serverFieldName(name: string): string {
  const cached = fieldNameCache.get(name);
  if (cached !== undefined) return cached;
  const stored = isValidFieldName(name) && !name.startsWith("_") ? name : SOURCE_PREFIX + slugify(name);
  if (name.length <= MAX_CACHED_NAME_LENGTH) {
    // Bounded: a source with ever-new field names cannot grow the cache without limit.
    if (fieldNameCache.size >= MAX_CACHED_NAMES) fieldNameCache.clear();
    fieldNameCache.set(name, stored);
  }
  return stored;
}

/**
 * Field names repeat across records, and slugifying (Unicode normalization, regexes) is the most
 * expensive part of checking a record, so each raw name's stored name is remembered.
 */
const fieldNameCache = new Map<string, string>();
const MAX_CACHED_NAMES = 20_000;
const MAX_CACHED_NAME_LENGTH = 256;

/**
 * Renames the keys of one object the way the server does, including the collision rule: a renamed
 * key that clashes with a key already taken gains another `source_`, at most three times.
 * Returns the stored names in input order, or an error text when the server would refuse.
 */
export function serverFieldNames(keys: readonly string[]): { names: string[] } | { error: string } {
  const taken = new Set<string>();
  const names: string[] = [];
  // Kept names are taken first: the server builds the object from both, and a kept name wins.
  for (const key of keys) if (serverFieldName(key) === key) taken.add(key);
  for (const key of keys) {
    let name = serverFieldName(key);
    if (name !== key) {
      let tries = 0;
      while (taken.has(name)) {
        if (tries === DUPLICATE_FIELD_LIMIT) {
          return { error: `too many fields are renamed to "${serverFieldName(key)}" (Convex renames "${key}" and gives up after ${DUPLICATE_FIELD_LIMIT} clashes)` };
        }
        name = SOURCE_PREFIX + name;
        tries++;
      }
      taken.add(name);
    }
    names.push(name);
  }
  return { names };
}

/** A primary key as the server stores its fields: every path component renamed. */
export function serverPrimaryKey(primaryKey: readonly (readonly string[])[]): string[][] {
  return primaryKey.map((path) => path.map(serverFieldName));
}
