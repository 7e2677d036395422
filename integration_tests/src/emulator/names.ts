/** Identifier and field-name rules (§11) and the Airbyte name sanitizing (§10.1). */

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isIdentifier(s: string): boolean {
  return s.length <= 64 && IDENT.test(s) && !/^_+$/.test(s);
}

/** A user table name: an identifier that does not start with `_`. */
export function isUserTableName(s: string): boolean {
  return isIdentifier(s) && !s.startsWith("_");
}

/** Component paths: "" (root) or identifiers joined by `/`. */
export function isComponentPath(s: string): boolean {
  return s === "" || s.split("/").every(isIdentifier);
}

/** check_valid_field_name: no leading `$`, printable ASCII only, at most 1024 bytes. */
export function isValidFieldName(s: string): boolean {
  return !s.startsWith("$") && s.length <= 1024 && /^[\x20-\x7e]*$/.test(s);
}

/** slugify 0.1.0 with `_`: transliterate to ASCII, lowercase, collapse non-alphanumerics, trim. */
export function slugify(s: string): string {
  const ascii = s
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/ß/g, "ss")
    .replace(/æ/gi, "ae")
    .replace(/ø/gi, "o");
  return ascii
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

export class SanitizeError extends Error {}

/** ValidIdentifier<TableName>: keep valid names, else `source_` + slug; still invalid → 500. */
export function sanitizeTableName(name: string): string {
  if (isUserTableName(name)) return name;
  const out = `source_${slugify(name)}`;
  if (!isUserTableName(out)) throw new SanitizeError("Failed to create a valid identifier.");
  return out;
}

export function sanitizeFieldName(name: string): string {
  if (isValidFieldName(name) && !name.startsWith("_")) return name;
  const out = `source_${slugify(name)}`;
  if (!isValidFieldName(out)) throw new SanitizeError("Failed to create a valid identifier.");
  return out;
}

const FIELD_CACHE_LIMIT = 50_000;
const fieldCache = new Map<string, string | SanitizeError>();

/** `sanitizeFieldName`, memoized: imports see the same few field names millions of times. */
export function sanitizeFieldNameCached(name: string): string {
  let out = fieldCache.get(name);
  if (out === undefined) {
    // A fresh copy: `name` may be a slice of a whole request body, which the cache would retain.
    name = ownCopy(name);
    try {
      out = sanitizeFieldName(name);
    } catch (e) {
      if (!(e instanceof SanitizeError)) throw e;
      out = e;
    }
    // A bounded cache: a stream of ever-new names must not grow it without limit.
    if (fieldCache.size >= FIELD_CACHE_LIMIT) fieldCache.clear();
    fieldCache.set(name, out);
  }
  if (typeof out !== "string") throw out;
  return out;
}

/** A string with its own storage (not a slice of a larger string that it would keep alive). */
export function ownCopy(s: string): string {
  // Slicing a concatenation flattens it into new storage first; short strings are never slices.
  return s.length < 13 ? s : ` ${s}`.slice(1);
}
