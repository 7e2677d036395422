/**
 * The destination's stdin reader: yields one line at a time with its 1-based line number. A line
 * may be as long as `maxLineBytes` (default 256 MiB, well above the 64 MiB the protocol allows);
 * memory is bounded by the current line. CRLF endings are accepted, blank lines are skipped, and
 * invalid UTF-8 or a last line cut off mid-way is reported with its line number.
 */
import type { Readable } from "node:stream";
import { InputError } from "./errors.js";

export interface InputLine {
  text: string;
  lineNumber: number;
  /** True for a last line that had no newline: the input may have been cut off. */
  unterminated: boolean;
}

export interface LineReaderOptions {
  maxLineBytes?: number;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

export async function* readLines(input: Readable, options: LineReaderOptions = {}): AsyncGenerator<InputLine> {
  const maxLineBytes = options.maxLineBytes ?? 256 * 1024 * 1024;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let lineNumber = 0;

  const decode = (buf: Buffer, n: number): string => {
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 13) end--; // CRLF
    try {
      return decoder.decode(buf.subarray(0, end));
    } catch {
      throw new InputError(`line ${n}: the input is not valid UTF-8. Airbyte messages must be UTF-8 JSON, one per line.`);
    }
  };

  for await (const raw of input) {
    const chunk: Buffer = typeof raw === "string" ? Buffer.from(raw) : (raw as Buffer);
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      lineNumber++;
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      let line: Buffer;
      if (parts.length > 0) {
        parts.push(piece);
        line = Buffer.concat(parts, partBytes + piece.length);
        parts = [];
        partBytes = 0;
      } else line = piece;
      if (line.length > maxLineBytes) throw tooLong(lineNumber, maxLineBytes);
      const text = decode(line, lineNumber);
      if (text.trim().length > 0) yield { text, lineNumber, unterminated: false };
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      partBytes += rest.length;
      if (partBytes > maxLineBytes) throw tooLong(lineNumber + 1, maxLineBytes);
      // Copy: the stream may reuse its buffer.
      parts.push(Buffer.from(rest));
    }
  }
  if (parts.length > 0) {
    lineNumber++;
    const text = decode(Buffer.concat(parts, partBytes), lineNumber);
    if (text.trim().length > 0) yield { text, lineNumber, unterminated: true };
  }
}

function tooLong(n: number, max: number): InputError {
  return new InputError(`line ${n}: the line is longer than ${Math.round(max / 1024 / 1024)} MiB; no Airbyte message should be that large.`);
}
