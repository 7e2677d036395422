/**
 * Secret masking. Every value of a spec field marked `airbyte_secret` is replaced by `**********`
 * in everything the connector prints except record data, which is the user's own.
 */
import type { JsonSchemaObject } from "../protocol/messages.js";

export const MASK = "**********";

/** Collects the values of every `airbyte_secret` field (also inside nested objects and oneOf). */
export function collectSecrets(spec: JsonSchemaObject, config: unknown): string[] {
  const out = new Set<string>();
  visit(spec, config, out);
  return [...out].filter((s) => s.length > 0);
}

function isSecretFlag(flag: unknown): boolean {
  return flag === true || flag === "true";
}

function visit(schema: unknown, value: unknown, out: Set<string>): void {
  if (schema === null || typeof schema !== "object") return;
  const s = schema as Record<string, unknown>;
  if (isSecretFlag(s.airbyte_secret) && (typeof value === "string" || typeof value === "number")) {
    out.add(String(value));
    // A key with surrounding whitespace is also masked trimmed: the client trims before use.
    const trimmed = String(value).trim();
    if (trimmed) out.add(trimmed);
  }
  for (const variant of [...asArray(s.oneOf), ...asArray(s.anyOf)]) visit(variant, value, out);
  const props = s.properties;
  if (props && typeof props === "object" && value !== null && typeof value === "object") {
    for (const [k, sub] of Object.entries(props as Record<string, unknown>)) {
      visit(sub, (value as Record<string, unknown>)[k], out);
    }
  }
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Replaces secrets in text; longest first so that a secret containing another is fully masked. */
export class SecretMasker {
  private secrets: string[] = [];

  add(values: Iterable<string>): void {
    const all = new Set([...this.secrets, ...values]);
    // Very short values would mask ordinary words; keys are long, so require 4+ characters.
    this.secrets = [...all].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  }

  get active(): boolean {
    return this.secrets.length > 0;
  }

  mask(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
      // Also the percent-encoded form, in case a secret went through a URL.
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(MASK);
    }
    return out;
  }
}
