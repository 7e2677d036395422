import { Writable } from "node:stream";
import { Logger, MessageWriter, parseExact, type RunContext } from "@convex-airbyte/shared";

/** A Logger whose lines are kept as `LEVEL message`. */
export function fakeLogger(): { logger: Logger; lines: string[] } {
  const { ctx, messages } = captureContext();
  const lines: string[] = [];
  const logger = ctx.logger;
  const orig = logger.warn.bind(logger);
  logger.warn = (m: string) => {
    lines.push(`WARN ${m}`);
    return orig(m);
  };
  const info = logger.info.bind(logger);
  logger.info = (m: string) => {
    lines.push(`INFO ${m}`);
    return info(m);
  };
  void messages;
  return { logger, lines };
}

export type Msg = Record<string, unknown> & { type: string };

/** A RunContext writing to memory; `messages()` parses every line written so far (exactly). */
export function captureContext(signal?: AbortSignal): { ctx: RunContext; messages: () => Msg[]; raw: () => string[] } {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const output = new MessageWriter(out);
  const ctx: RunContext = { output, logger: new Logger(output), signal: signal ?? new AbortController().signal };
  const raw = () =>
    chunks
      .join("")
      .split("\n")
      .filter((l) => l !== "");
  return { ctx, raw, messages: () => raw().map((l) => parseExact(l) as Msg) };
}
