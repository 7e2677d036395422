/**
 * The destination's stdin reader: yields one line at a time with its 1-based line number. A line
 * may be as long as `maxLineBytes` (default 256 MiB, well above the 64 MiB the protocol allows);
 * memory is bounded by the current chunk and line. CRLF endings are accepted, blank lines are
 * skipped, and invalid UTF-8 or a last line cut off mid-way is reported with its line number.
 *
 * Two things keep the cost per line low, as the destination reads millions of them:
 * - each line carries its bytes, and its text is decoded only when asked for, so a consumer that
 *   works on the bytes never pays for decoding;
 * - besides async iteration, `readyLine()` hands out the lines already read without a promise
 *   each; a consumer goes through a chunk's lines synchronously and awaits `next()` only when the
 *   reader must wait for input.
 */
import { isUtf8 } from "node:buffer";
import { createReadStream, fstatSync } from "node:fs";
import type { Readable } from "node:stream";
import { InputError } from "./errors.js";

export interface InputLine {
  /** The line as text (without its newline or a trailing CR). */
  readonly text: string;
  lineNumber: number;
  /** True for a last line that had no newline: the input may have been cut off. */
  unterminated: boolean;
  /**
   * The same line as bytes, when it was read from a byte stream: valid UTF-8 (checked), without
   * its newline or a trailing CR.
   */
  readonly bytes?: Buffer;
}

export interface LineReaderOptions {
  maxLineBytes?: number;
}

/** The lines of an input, by async iteration or, when already read, synchronously. */
export interface LineReader extends AsyncIterableIterator<InputLine> {
  /**
   * The next line if it is already read. Undefined when the next step needs `next()`: waiting
   * for input, the end of the input, or an error to report.
   */
  readyLine(): InputLine | undefined;
}

/** Whether `lines` can also be read synchronously (see `LineReader`). */
export function isLineReader(lines: AsyncIterable<InputLine> | AsyncIterator<InputLine>): lines is LineReader {
  return typeof (lines as Partial<LineReader>).readyLine === "function";
}

export function readLines(input: Readable, options: LineReaderOptions = {}): LineReader {
  return new ChunkLineReader(input, options.maxLineBytes ?? 256 * 1024 * 1024);
}

/** How much of a regular file each read takes. */
const FILE_READ_BYTES = 256 * 1024;

/**
 * The process's standard input. A regular file (`write < messages.jsonl`) is read 256 KiB at a
 * time, where process.stdin reads 64 KiB: a 1M-record write (730 MB) spent 0.6 s of system CPU
 * instead of 0.9 s. Pipes and terminals are process.stdin (a pipe gives at most what its buffer
 * holds anyway).
 */
export function standardInput(): Readable {
  let isFile = false;
  try {
    isFile = fstatSync(0).isFile();
  } catch {
    // No stdin at all (closed descriptor): process.stdin reports it the usual way.
  }
  return isFile ? createReadStream("/dev/stdin", { fd: 0, autoClose: false, highWaterMark: FILE_READ_BYTES }) : process.stdin;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** A line read as bytes; its text is decoded on first use. */
class ByteLine implements InputLine {
  private decoded: string | undefined;

  constructor(
    readonly bytes: Buffer,
    public lineNumber: number,
    public unterminated: boolean,
  ) {}

  get text(): string {
    // The bytes were checked to be UTF-8, so this cannot throw.
    this.decoded ??= decoder.decode(this.bytes);
    return this.decoded;
  }
}

class ChunkLineReader implements LineReader {
  private readonly chunks: AsyncIterator<unknown>;
  /** Lines split from the input but not handed out yet. */
  private ready: InputLine[] = [];
  private readyAt = 0;
  /** An error to report once the lines before it are handed out. */
  private failure: { error: unknown } | undefined;
  private ended = false;
  /** The start of a line not finished by the chunks so far. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  private lineNumber = 0;
  /** Calls to next() run one after another, as an async generator's do. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    input: Readable,
    private readonly maxLineBytes: number,
  ) {
    this.chunks = input[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  readyLine(): InputLine | undefined {
    if (this.readyAt < this.ready.length) return this.ready[this.readyAt++];
    return undefined;
  }

  next(): Promise<IteratorResult<InputLine>> {
    const step = this.queue.then(() => this.step());
    this.queue = step.catch(() => undefined);
    return step;
  }

  async return(): Promise<IteratorResult<InputLine>> {
    this.finish();
    await this.chunks.return?.();
    return { value: undefined, done: true };
  }

  private async step(): Promise<IteratorResult<InputLine>> {
    for (;;) {
      const line = this.readyLine();
      if (line !== undefined) return { value: line, done: false };
      if (this.failure !== undefined) {
        const { error } = this.failure;
        await this.return().catch(() => undefined);
        throw error;
      }
      if (this.ended) return { value: undefined, done: true };
      this.ready = [];
      this.readyAt = 0;
      let chunk: IteratorResult<unknown>;
      try {
        chunk = await this.chunks.next();
      } catch (error) {
        this.finish();
        throw error;
      }
      try {
        if (chunk.done === true) this.split(undefined);
        else this.split(typeof chunk.value === "string" ? Buffer.from(chunk.value) : (chunk.value as Buffer));
      } catch (error) {
        // Reported after the lines split before it.
        this.failure = { error };
      }
    }
  }

  private finish(): void {
    this.ended = true;
    this.ready = [];
    this.readyAt = 0;
    this.parts = [];
  }

  /** Splits one chunk (undefined: the input ended) into `ready`; throws at a bad line. */
  private split(chunk: Buffer | undefined): void {
    if (chunk === undefined) {
      this.ended = true;
      if (this.parts.length > 0) {
        const whole = Buffer.concat(this.parts, this.partBytes);
        this.parts = [];
        this.add(whole, ++this.lineNumber, false, true);
      }
      return;
    }
    let start = 0;
    let nl = chunk.indexOf(10);
    if (nl !== -1 && this.parts.length > 0) {
      // The line that started in an earlier chunk.
      const piece = chunk.subarray(0, nl);
      const whole = Buffer.concat([...this.parts, piece], this.partBytes + piece.length);
      this.parts = [];
      this.partBytes = 0;
      this.lineNumber++;
      if (whole.length > this.maxLineBytes) throw tooLong(this.lineNumber, this.maxLineBytes);
      this.add(whole, this.lineNumber, false, false);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (nl !== -1) {
      // One UTF-8 check for all the lines complete in this chunk (a newline never splits a
      // character); line by line only when it fails, to name the line.
      const checked = isUtf8(chunk.subarray(start, chunk.lastIndexOf(10)));
      for (; nl !== -1; nl = chunk.indexOf(10, start)) {
        this.lineNumber++;
        if (nl - start > this.maxLineBytes) throw tooLong(this.lineNumber, this.maxLineBytes);
        this.add(chunk.subarray(start, nl), this.lineNumber, checked, false);
        start = nl + 1;
      }
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.partBytes += rest.length;
      if (this.partBytes > this.maxLineBytes) throw tooLong(this.lineNumber + 1, this.maxLineBytes);
      // Copied, so that a short rest does not keep the whole chunk alive.
      this.parts.push(Buffer.from(rest));
    }
  }

  /** Queues one line (without its newline) unless it is blank. */
  private add(bytes: Buffer, n: number, checked: boolean, unterminated: boolean): void {
    if (bytes.length > 0 && bytes[bytes.length - 1] === 13) bytes = bytes.subarray(0, bytes.length - 1); // CRLF
    if (!checked && !isUtf8(bytes)) throw notUtf8(n);
    const line = new ByteLine(bytes, n, unterminated);
    if (!isBlank(line)) this.ready.push(line);
  }
}

/** Blank lines are skipped; most lines start with `{`, so only others are decoded to tell. */
function isBlank(l: ByteLine): boolean {
  const first = l.bytes[0];
  if (first === undefined) return true;
  const plainAscii = first < 0x80 && first !== 0x20 && (first < 0x09 || first > 0x0d);
  return !plainAscii && l.text.trim().length === 0;
}

function notUtf8(n: number): InputError {
  return new InputError(`line ${n}: the input is not valid UTF-8. Airbyte messages must be UTF-8 JSON, one per line.`);
}

function tooLong(n: number, max: number): InputError {
  return new InputError(`line ${n}: the line is longer than ${Math.round(max / 1024 / 1024)} MiB; no Airbyte message should be that large.`);
}
