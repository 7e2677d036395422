/**
 * The key-leak scanner: a secret leaks when it appears in any output, raw or in an encoding a log
 * line could carry it in (URL-encoded, base64, JSON-escaped), or without a `prod:`-style prefix.
 */

/** The forms of a secret worth searching for (each at least 8 characters, so no false alarms). */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64"), JSON.stringify(secret).slice(1, -1)]);
  const bar = secret.indexOf("|");
  if (bar >= 0) forms.add(secret.slice(bar + 1));
  const colon = secret.indexOf(":");
  if (colon >= 0 && (bar < 0 || colon < bar)) forms.add(secret.slice(colon + 1));
  return [...forms].filter((f) => f.length >= 8);
}

/** The forms found in `text`, described without repeating the secret. */
export function findLeaks(text: string, secrets: string[]): string[] {
  const found: string[] = [];
  for (const s of secrets) {
    for (const f of secretForms(s)) {
      const at = text.indexOf(f);
      if (at >= 0) found.push(`a ${f.length}-character form of a secret at offset ${at}`);
    }
  }
  return found;
}

/** Replaces every form of every secret (for messages the suite itself writes). */
export function redactAll(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) for (const f of secretForms(s)) out = out.split(f).join("<redacted>");
  return out;
}
