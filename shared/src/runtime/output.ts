/**
 * The one stdout writer. One JSON object per line, written in chunks; when the reader is slow the
 * writer waits for 'drain' so memory stays bounded. Everything except record data is passed
 * through the secret masker.
 */
import type { Writable } from "node:stream";
import { stringifyExact } from "../json/exact-json.js";
import type {
  AirbyteMessage,
  AirbyteRecord,
  AirbyteStateMessage,
  LogLevel,
  StreamDescriptor,
  StreamStatus,
} from "../protocol/messages.js";
import { TransientError } from "./errors.js";
import { SecretMasker } from "./secrets.js";

const CHUNK_BYTES = 64 * 1024;

/** Waits for 'drain' (or 'close'), removing both listeners afterwards so none accumulate. */
function drainOrClose(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("close", done);
      resolve();
    };
    out.on("drain", done);
    out.on("close", done);
  });
}

export class MessageWriter {
  readonly masker: SecretMasker;
  private readonly out: Writable;
  private chunk = "";
  private broken: Error | undefined;

  constructor(out: Writable = process.stdout, masker: SecretMasker = new SecretMasker()) {
    this.out = out;
    this.masker = masker;
    out.on("error", (err: Error) => {
      this.broken = err;
    });
  }

  /** Writes any message; non-record messages are masked. */
  async write(message: AirbyteMessage): Promise<void> {
    const line = stringifyExact(message);
    await this.writeLine(message.type === "RECORD" ? line : this.masker.mask(line), message.type);
  }

  /**
   * Writes a pre-serialized message line (the record hot path and verbatim state echo). Returns a
   * promise only when the line caused a flush, so the per-record path stays synchronous:
   * `const p = writer.writeLine(line, "RECORD"); if (p) await p;`.
   */
  writeLine(line: string, type = "RAW"): Promise<void> | undefined {
    this.assertOpen();
    this.chunk += `${line}\n`;
    // States, logs and traces go out at once so the platform sees them promptly.
    if (this.chunk.length >= CHUNK_BYTES || type !== "RECORD") return this.flush();
    return undefined;
  }

  /**
   * Writes pre-serialized lines as bytes (a page of records, each ending in a newline), after
   * whatever is buffered. Returns a promise only when the pipe is full.
   */
  writeBytes(lines: Uint8Array): Promise<void> | undefined {
    this.assertOpen();
    if (this.chunk.length > 0) {
      this.out.write(this.chunk);
      this.chunk = "";
    }
    return this.out.write(lines) ? undefined : drainOrClose(this.out);
  }

  async record(record: AirbyteRecord): Promise<void> {
    await this.writeLine(stringifyExact({ type: "RECORD", record }), "RECORD");
  }

  async state(state: AirbyteStateMessage): Promise<void> {
    await this.write({ type: "STATE", state });
  }

  async log(level: LogLevel, message: string, stackTrace?: string): Promise<void> {
    await this.write({ type: "LOG", log: stackTrace ? { level, message, stack_trace: stackTrace } : { level, message } });
  }

  async streamStatus(stream: StreamDescriptor, status: StreamStatus): Promise<void> {
    await this.write({ type: "TRACE", trace: { type: "STREAM_STATUS", emitted_at: Date.now(), stream_status: { stream_descriptor: stream, status } } });
  }

  async estimate(stream: StreamDescriptor, rows: number, bytes?: number): Promise<void> {
    const estimate = { name: stream.name, type: "STREAM" as const, row_estimate: rows, ...(stream.namespace !== undefined ? { namespace: stream.namespace } : {}), ...(bytes !== undefined ? { byte_estimate: bytes } : {}) };
    await this.write({ type: "TRACE", trace: { type: "ESTIMATE", emitted_at: Date.now(), estimate } });
  }

  private assertOpen(): void {
    if (this.broken) throw new TransientError("The output pipe closed before the connector finished; the platform stopped reading.", { internal: this.broken.message });
  }

  /** Sends buffered lines, waiting for the reader when the pipe is full. */
  async flush(): Promise<void> {
    if (this.chunk.length === 0) return;
    const data = this.chunk;
    this.chunk = "";
    if (this.broken) throw new TransientError("The output pipe closed before the connector finished.", { internal: this.broken.message });
    if (!this.out.write(data)) await drainOrClose(this.out);
  }

  /** Writes synchronously what is buffered; used on the way out of the process. */
  flushSync(): void {
    if (this.chunk.length === 0 || this.broken) return;
    const data = this.chunk;
    this.chunk = "";
    this.out.write(data);
  }
}

/** A logger that speaks Airbyte LOG messages through the writer. */
export class Logger {
  constructor(private readonly writer: MessageWriter) {}
  debug(message: string): Promise<void> {
    return process.env.LOG_LEVEL?.toLowerCase() === "debug" ? this.writer.log("DEBUG", message) : Promise.resolve();
  }
  info(message: string): Promise<void> {
    return this.writer.log("INFO", message);
  }
  warn(message: string): Promise<void> {
    return this.writer.log("WARN", message);
  }
  error(message: string, stackTrace?: string): Promise<void> {
    return this.writer.log("ERROR", message, stackTrace);
  }
}
