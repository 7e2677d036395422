/**
 * Finds the text of `record.data` inside a RECORD line, so the destination can send the record's
 * data exactly as it arrived instead of serializing the parsed object again. The text is already
 * valid JSON (the line parsed), so reusing it keeps every digit of big integers such as `_ts`
 * exact without a special parse, and costs one scan instead of a `JSON.stringify`.
 *
 * The scanner follows JSON structure (strings with escapes, nesting), and, as `JSON.parse` does,
 * takes the last member when a key repeats. Keys are compared after decoding their escapes.
 */

/** Index just past the string whose opening quote is at `i`. */
function skipString(text: string, i: number): number {
  for (;;) {
    const q = text.indexOf('"', i + 1);
    if (q < 0) return text.length;
    let backslashes = 0;
    for (let b = q - 1; text.charCodeAt(b) === 92; b--) backslashes++;
    if ((backslashes & 1) === 0) return q + 1;
    i = q;
  }
}

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return i;
    i++;
  }
}

/**
 * From `lastIndex`, everything up to the next bracket outside a string: whole strings (with their
 * escapes) and the text between them. Jumping over these runs natively is faster than a loop
 * over characters.
 */
const RUN_TO_BRACKET = /(?:"(?:[^"\\]|\\.)*"|[^"{}[\]])*/y;

/** Index just past the JSON value starting at `i`. */
function skipValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === 34 /* " */) return skipString(text, i);
  if (first === 123 /* { */ || first === 91 /* [ */) {
    let depth = 0;
    const n = text.length;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 123 || c === 91) depth++;
      else if (c === 125 /* } */ || c === 93 /* ] */) {
        depth--;
        if (depth === 0) return i + 1;
      }
      RUN_TO_BRACKET.lastIndex = i + 1;
      RUN_TO_BRACKET.test(text);
      i = RUN_TO_BRACKET.lastIndex;
    }
    return n;
  }
  // A number or a literal runs to the next delimiter.
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 44 || c === 125 || c === 93 || c === 32 || c === 9 || c === 10 || c === 13) return i;
    i++;
  }
  return n;
}

/** Whether the string token at [start, end) decodes to `key`. */
function keyIs(text: string, start: number, end: number, key: string): boolean {
  const raw = end - start - 2;
  if (raw === key.length && text.startsWith(key, start + 1)) return true;
  // An escaped key ("\u0064ata") can still equal `key`; only then decode it.
  if (raw < key.length) return false;
  for (let i = start + 1; i < end - 1; i++) {
    if (text.charCodeAt(i) === 92) return JSON.parse(text.slice(start, end)) === key;
  }
  return false;
}

/**
 * The span `[start, end)` of the value of `record.data` in `text`, a valid JSON Airbyte message,
 * or undefined when there is none (or `record` is not an object).
 */
export function recordDataSpan(text: string): [start: number, end: number] | undefined {
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 123) return undefined;
  let found: [number, number] | undefined;
  // The members of the message; within `record`, the members of the record.
  i = skipWs(text, i + 1);
  if (text.charCodeAt(i) === 125) return undefined;
  for (;;) {
    const keyStart = i;
    const keyEnd = skipString(text, i);
    i = skipWs(text, skipWs(text, keyEnd) + 1); // past the colon
    if (keyIs(text, keyStart, keyEnd, "record") && text.charCodeAt(i) === 123) {
      // A later `record` member replaces an earlier one, as in JSON.parse.
      found = undefined;
      i = skipWs(text, i + 1);
      if (text.charCodeAt(i) === 125) i++;
      else {
        for (;;) {
          const ks = i;
          const ke = skipString(text, i);
          i = skipWs(text, skipWs(text, ke) + 1);
          const vs = i;
          i = skipValue(text, i);
          if (keyIs(text, ks, ke, "data")) found = [vs, i];
          i = skipWs(text, i);
          if (text.charCodeAt(i) !== 44 /* , */) break;
          i = skipWs(text, i + 1);
        }
        i++; // the record's closing brace
      }
    } else {
      if (keyIs(text, keyStart, keyEnd, "record")) found = undefined;
      i = skipValue(text, i);
    }
    i = skipWs(text, i);
    if (text.charCodeAt(i) !== 44) return found;
    i = skipWs(text, i + 1);
  }
}
