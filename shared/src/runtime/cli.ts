/**
 * The connector process: parses the protocol command line, reads and validates the input files,
 * runs the command, and turns any failure into one TRACE ERROR and a non-zero exit (except that a
 * failed `check` is a CONNECTION_STATUS FAILED with exit 0, as the platform expects).
 */
import type { Readable, Writable } from "node:stream";
import yargs from "yargs";
import { parseConfiguredCatalog } from "../protocol/catalog.js";
import type {
  AirbyteCatalog,
  AirbyteConnectionStatus,
  ConfiguredAirbyteCatalog,
  ConnectorSpecification,
} from "../protocol/messages.js";
import { validateConfig } from "./config.js";
import { asConnectorError, ConfigError, type ConnectorError, InputError, InterruptedError } from "./errors.js";
import { readJsonFile } from "./files.js";
import { Logger, MessageWriter } from "./output.js";
import { collectSecrets, SecretMasker } from "./secrets.js";
import { mapStackToSources } from "./stack-sources.js";
import { type InputLine, readLines, standardInput } from "./stdin-lines.js";

export interface RunContext {
  output: MessageWriter;
  logger: Logger;
  /** Aborted on SIGTERM/SIGINT: stop reading, let in-flight work settle, emit no further state. */
  signal: AbortSignal;
}

interface Common<C> {
  /** The executable's name, used in usage text. */
  name: string;
  spec(): ConnectorSpecification;
  check(config: C, ctx: RunContext): Promise<AirbyteConnectionStatus>;
}

export interface SourceDefinition<C> extends Common<C> {
  kind: "source";
  discover(config: C, ctx: RunContext): Promise<AirbyteCatalog>;
  read(config: C, catalog: ConfiguredAirbyteCatalog, state: unknown, ctx: RunContext): Promise<void>;
}

export interface DestinationDefinition<C> extends Common<C> {
  kind: "destination";
  write(config: C, catalog: ConfiguredAirbyteCatalog, input: AsyncIterable<InputLine>, ctx: RunContext): Promise<void>;
}

export type ConnectorDefinition<C> = SourceDefinition<C> | DestinationDefinition<C>;

export interface ProcessIo {
  stdout: Writable;
  stdin: Readable;
  /** Aborts the run as SIGTERM would; the process entry point wires the real signals. */
  signal?: AbortSignal;
}

interface Parsed {
  command: string;
  config?: string;
  catalog?: string;
  state?: string;
}

function parseArgs(def: ConnectorDefinition<unknown>, argv: string[]): Parsed {
  const commands = def.kind === "source" ? ["spec", "check", "discover", "read"] : ["spec", "check", "write"];
  let parsed: Parsed | undefined;
  const y = yargs(argv)
    .scriptName(def.name)
    .exitProcess(false)
    .help(false)
    .version(false)
    .strictCommands()
    .option("debug", { type: "boolean", describe: "verbose logs" })
    .fail((msg, err) => {
      throw new ConfigError(`Invalid command line: ${msg ?? err?.message ?? "unknown problem"}. Usage: ${def.name} ${commands.join("|")} [--config FILE] [--catalog FILE] [--state FILE].`);
    });
  const needs: Record<string, string[]> = { spec: [], check: ["config"], discover: ["config"], read: ["config", "catalog"], write: ["config", "catalog"] };
  for (const cmd of commands) {
    y.command(
      cmd,
      `${cmd} command`,
      (b) =>
        b
          .option("config", { type: "string", demandOption: needs[cmd]?.includes("config") ? "--config FILE is required" : false })
          .option("catalog", { type: "string", demandOption: needs[cmd]?.includes("catalog") ? "--catalog FILE is required" : false })
          .option("state", { type: "string" }),
      (args) => {
        parsed = { command: cmd, config: args.config, catalog: args.catalog, state: args.state };
      },
    );
  }
  y.demandCommand(1, `a command is required: one of ${commands.join(", ")}`);
  y.parseSync();
  if (!parsed) throw new ConfigError(`Unknown command '${argv[0] ?? ""}'. ${def.name} accepts: ${commands.join(", ")}.`);
  return parsed;
}

/**
 * Runs one protocol command and returns the exit code. The caller (the bin) exits with it.
 */
export async function runConnector<C>(def: ConnectorDefinition<C>, argv: string[], io: ProcessIo): Promise<number> {
  const masker = new SecretMasker();
  const output = new MessageWriter(io.stdout, masker);
  const logger = new Logger(output);
  const controller = new AbortController();
  const onAbort = () => controller.abort(io.signal?.reason ?? "SIGTERM");
  io.signal?.addEventListener("abort", onAbort, { once: true });
  const ctx: RunContext = { output, logger, signal: controller.signal };
  let command = "";
  try {
    const args = parseArgs(def as ConnectorDefinition<unknown>, argv);
    command = args.command;
    const spec = def.spec();
    if (command === "spec") {
      await output.write({ type: "SPEC", spec });
      return 0;
    }
    if (process.env.NODE_TLS_REJECT_UNAUTHORIZED === "0") {
      // The Convex client always verifies certificates; say so rather than ignore the setting silently.
      await logger.warn("NODE_TLS_REJECT_UNAUTHORIZED=0 is set in the environment; it is ignored: the connector always verifies TLS certificates. For a private CA, set NODE_EXTRA_CA_CERTS to its certificate file instead.");
    }
    const rawConfig = await readJsonFile(args.config as string, "--config");
    masker.add(collectSecrets(spec.connectionSpecification, rawConfig));
    let config: C;
    try {
      if (rawConfig === null || typeof rawConfig !== "object" || Array.isArray(rawConfig)) {
        throw new ConfigError(`Config validation error: the --config file '${args.config}' must hold a JSON object.`);
      }
      config = validateConfig<C>(spec.connectionSpecification, rawConfig);
    } catch (err) {
      if (command === "check" && err instanceof ConfigError) {
        await output.write({ type: "CONNECTION_STATUS", connectionStatus: { status: "FAILED", message: err.message } });
        return 0;
      }
      throw err;
    }
    if (command === "check") {
      let status: AirbyteConnectionStatus;
      try {
        status = await def.check(config, ctx);
      } catch (err) {
        const e = asConnectorError(err);
        if (e.failureType === "system_error") throw e;
        status = { status: "FAILED", message: e.message };
      }
      await output.write({ type: "CONNECTION_STATUS", connectionStatus: status });
      return 0;
    }
    if (def.kind === "source" && command === "discover") {
      const catalog = await def.discover(config, ctx);
      await output.write({ type: "CATALOG", catalog });
      return 0;
    }
    const catalog = parseConfiguredCatalog(await readJsonFile(args.catalog as string, "--catalog"), `--catalog '${args.catalog}'`);
    if (def.kind === "source" && command === "read") {
      const state = args.state === undefined ? undefined : await readJsonFile(args.state, "--state");
      await def.read(config, catalog, state, ctx);
    } else if (def.kind === "destination" && command === "write") {
      await def.write(config, catalog, readLines(io.stdin), ctx);
    }
    if (controller.signal.aborted) throw new InterruptedError(String(controller.signal.reason));
    await output.flush();
    return 0;
  } catch (err) {
    const e = controller.signal.aborted && !(err instanceof InputError) ? new InterruptedError(String(controller.signal.reason)) : asConnectorError(err);
    await emitFailure(output, e);
    return e instanceof InterruptedError ? 143 : 1;
  } finally {
    io.signal?.removeEventListener("abort", onAbort);
  }
}

async function emitFailure(output: MessageWriter, e: ConnectorError): Promise<void> {
  const error = {
    message: e.message,
    internal_message: e.internal ?? `${e.name}: ${e.message}`,
    stack_trace: mapStackToSources(e.stack ?? ""),
    failure_type: e.failureType,
    ...(e.stream ? { stream_descriptor: e.stream.namespace ? { name: e.stream.name, namespace: e.stream.namespace } : { name: e.stream.name } } : {}),
  };
  try {
    await output.write({ type: "TRACE", trace: { type: "ERROR", emitted_at: Date.now(), error } });
  } catch {
    // stdout is gone; stderr is all that is left.
    process.stderr.write(`${output.masker.mask(e.message)}\n`);
  }
}

/**
 * The process entry point for a bin: wires stdout/stdin and signals, keeps library output off
 * stdout, and exits with the command's code.
 */
export function main<C>(def: ConnectorDefinition<C>): void {
  // Nothing but Airbyte messages may reach stdout: console output goes to stderr.
  for (const k of ["log", "info", "debug", "warn"] as const) {
    console[k] = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(" ")}\n`);
  }
  const controller = new AbortController();
  let stopping = false;
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.on(sig, () => {
      if (stopping) process.exit(sig === "SIGINT" ? 130 : 143);
      stopping = true;
      controller.abort(sig);
      // In-flight requests get a bounded time to settle.
      setTimeout(() => process.exit(sig === "SIGINT" ? 130 : 143), 30_000).unref();
    });
  }
  process.stdout.on("error", () => {
    /* reported by the writer */
  });
  runConnector(def, process.argv.slice(2), { stdout: process.stdout, stdin: standardInput(), signal: controller.signal }).then(
    (code) => {
      // The HTTP agent keeps sockets alive; leave once stdout has drained.
      if (process.stdout.writableLength === 0) process.exit(code);
      process.stdout.once("drain", () => process.exit(code));
    },
    (err: unknown) => {
      process.stderr.write(`fatal: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(70);
    },
  );
}
