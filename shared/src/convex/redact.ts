/**
 * Keeps the access key out of every error message and internal text. The server may echo a key in
 * a transformed form (Convex strips a `prod:`/`dev:`/`preview:` prefix, or keeps only the part after
 * `|`), so each of those forms, and their percent-encoded forms, is scrubbed too.
 */

export const REDACTED = "**********";

/** Fragments shorter than this are not scrubbed on their own: they would mask ordinary words. */
const MIN_FRAGMENT = 8;

/** The forms of a key that may appear in text, longest first. */
export function keyForms(key: string): string[] {
  const forms = new Set<string>();
  const add = (s: string): void => {
    const t = s.trim();
    if (t.length >= MIN_FRAGMENT) {
      forms.add(t);
      forms.add(encodeURIComponent(t));
    }
  };
  add(key);
  const colon = key.indexOf(":");
  if (colon >= 0) add(key.slice(colon + 1));
  const bar = key.indexOf("|");
  if (bar >= 0) add(key.slice(bar + 1));
  // Very short keys cannot be scrubbed by fragments; scrub the whole key whatever its length.
  if (key.length > 0 && key.length < MIN_FRAGMENT) forms.add(key);
  return [...forms].sort((a, b) => b.length - a.length);
}

/** A function that replaces every form of the given secrets in a text with `REDACTED`. */
export type Redactor = (text: string) => string;

export function createRedactor(secrets: readonly string[]): Redactor {
  const forms = [...new Set(secrets.flatMap(keyForms))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const form of forms) {
      if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
    // An echoed `Authorization: Convex <anything>` header never survives, whatever key it holds.
    return out.replace(/(authorization["']?\s*[:=]\s*["']?convex\s+)[^\s"',;}]+/gi, `$1${REDACTED}`);
  };
}

/** Redacts `text` with a one-off redactor for `key`. */
export function redact(text: string, key: string): string {
  return createRedactor([key])(text);
}
