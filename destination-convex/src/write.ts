/**
 * The `write` command: stdin → validated records → per-table batches → ordered, bounded
 * concurrent imports, with each STATE echoed once everything before it is committed. Setup
 * (clearing tables, primary-key indexes) runs while the first batches are read; nothing is sent
 * before it is done.
 *
 * Any stop (end of input, a refused record, a malformed line, a failed batch) first commits what
 * came before it when it can and writes the states that became committed, so the platform resumes
 * from the latest safe point. On SIGTERM nothing new is sent and no further state is written.
 */
import {
  type ConfiguredAirbyteCatalog,
  ConfigError,
  ConnectorError,
  DEFAULT_RETRY_POLICY,
  InputError,
  type InputLine,
  isLineReader,
  isRetryable,
  type RunContext,
  streamKey,
  withRetry,
} from "@convex-airbyte/shared";
import { type Batch, Batcher, batchTarget } from "./batcher.js";
import { Pipeline } from "./pipeline.js";
import { type CheckedRecord, isObject, RecordIntake, type StreamContext } from "./record-intake.js";
import { createClient, type DestinationDeps, resolveSettings } from "./settings.js";
import { planStreams, runSetup, type StreamPlan } from "./setup.js";
import type { DestinationConfig } from "./spec.js";
import { CheckpointCounter, withDestinationStats } from "./state.js";
import { SyncSummary } from "./summary.js";

export { SERVER_REQUEST_LIMIT } from "./record-intake.js";
const IMPORT_ROUTE = "/api/streaming_import/import_airbyte_records";
/** Individual WARNs for skipped records; after that only the count (in the final LOG). */
const MAX_SKIP_WARNINGS = 100;

const KNOWN_IGNORED = new Set(["LOG", "SPEC", "CONNECTION_STATUS", "CATALOG", "CONTROL", "DESTINATION_CATALOG"]);

type Json = Record<string, unknown>;

export async function writeToConvex(
  config: DestinationConfig,
  catalog: ConfiguredAirbyteCatalog,
  input: AsyncIterable<InputLine>,
  ctx: RunContext,
  deps: DestinationDeps = {},
): Promise<void> {
  const { logger, output, signal } = ctx;
  const now = deps.now ?? Date.now;
  const settings = resolveSettings(config);
  const warnings: string[] = [];
  const plan = planStreams(catalog, (m) => warnings.push(m));
  for (const w of warnings) await logger.warn(w);
  // No client-wide abort signal: on SIGTERM, import requests in flight are left to finish.
  const client = createClient(config, settings, deps, { onWarning: (m) => void logger.warn(m) });
  try {
    // Setup (clearing tables, building primary-key indexes) runs while the input is read and
    // batched; the pipeline sends nothing and writes no state until it is done (see `ready`).
    const setup = runSetup(
      {
        clearTables: (t) => client.clearTables(t, { signal }),
        addPrimaryKeyIndexes: (i) => client.addPrimaryKeyIndexes(i, { signal }),
        primaryKeyIndexesReady: (t) => client.primaryKeyIndexesReady(t, { signal }),
      },
      plan,
      logger,
      { indexReadyTimeoutMs: settings.indexReadyTimeoutMs, sleep: deps.sleep ?? DEFAULT_RETRY_POLICY.sleep, now, signal },
    );

    const summary = new SyncSummary(now());
    const counter = new CheckpointCounter();
    const byTable = new Map<string, StreamPlan>();
    const contexts = new Map<string, StreamContext>();
    for (const [k, sp] of plan.streams) {
      byTable.set(sp.table, sp);
      const target = batchTarget(sp.table, sp.primaryKey, sp.jsonSchemaText);
      contexts.set(k, { plan: sp, target, counters: summary.stream(sp.table, sp.label), checkpoints: counter.entry(sp.name, sp.namespace) });
    }
    const intake = new RecordIntake(contexts);
    const policy = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
    const batcher = new Batcher({ maxRecords: settings.maxRecords, maxBytes: settings.maxBytes });
    // Open batches of many tables together may hold this much before the largest is sent early.
    // With at most `maxInFlight` sealed batches waiting or in flight (see waitForCapacity), the
    // buffered request bodies stay under (maxInFlight + 2) × batch_max_bytes whatever the input
    // (plus the batcher's two spare buffers, each at most batch_max_bytes).
    const bufferCap = settings.maxBytes * 2;

    const send = async (batch: Batch): Promise<void> => {
      const sp = byTable.get(batch.table) as StreamPlan;
      const c = summary.stream(sp.table, sp.label);
      const dedup = sp.primaryKey !== null;
      let retried = false;
      const attempt = withRetry(() => client.importAirbyteRecords(batch.body, { retry: "never" }), {
        method: "POST",
        route: IMPORT_ROUTE,
        // Dedup upserts replay harmlessly; an append replay may duplicate rows, which is still
        // better than failing (the platform's own retry would resend even more). Warned below.
        mode: "safe",
        policy,
        signal,
        onRetry: (info) => {
          retried = true;
          c.retries++;
          const unsure = !dedup && !isRetryable(info.error, "if-not-applied");
          const what = `Import of ${batch.records} records (input lines ${batch.firstLine}–${batch.lastLine}) into table ${sp.table} failed (attempt ${info.attempt} of ${info.maxAttempts}): ${info.error.message} Retrying in ${(info.delayMs / 1000).toFixed(1)} s.`;
          const dup = unsure
            ? " The stream is in append mode and the failed attempt may have been partly applied, so this retry can duplicate some of these rows."
            : "";
          void logger.warn(what + dup).catch(() => undefined);
        },
      });
      try {
        await attempt;
      } catch (err) {
        if (err instanceof ConnectorError) {
          err.message = `Writing ${batch.records} records of stream '${sp.label}' (input lines ${batch.firstLine}–${batch.lastLine}) to table ${sp.table} failed: ${err.message} Checkpoints up to the last committed batch were saved, so the next attempt resumes from there.`;
        }
        throw err;
      }
      // After a retry an earlier attempt's request might still be reading the body; otherwise
      // the request is over and its buffer can hold a later batch.
      if (!retried) batcher.recycle(batch);
      c.records += batch.records;
      c.bytes += batch.bytes;
      c.batches++;
      c.lastCommitAt = now();
    };
    const pipeline = new Pipeline({
      maxInFlight: settings.maxInFlight,
      ready: setup,
      send,
      emitState: async (line) => {
        await output.writeLine(line, "STATE");
      },
    });

    let stopping = false;
    const timer = setInterval(
      () => {
        if (stopping || pipeline.failure !== undefined) return;
        for (const b of batcher.sealOpenedBefore(now() - settings.flushIntervalMs)) pipeline.submit(b);
      },
      Math.min(settings.flushIntervalMs, 1000),
    );

    let fatal: unknown;
    let skipWarnings = 0;
    const warnedTypes = new Set<string>();
    /** Any message but a RECORD. */
    const otherMessage = async (msg: Json, line: InputLine): Promise<void> => {
      const type = msg.type;
      if (type === "STATE") {
        if (!isObject(msg.state)) {
          throw new InputError(`line ${line.lineNumber}: the STATE message has no "state" object.`);
        }
        pipeline.pushState(withDestinationStats(line.text, counter.take(msg.state)));
      } else if (type === "TRACE") {
        noteTrace(msg, plan.streams, summary);
      } else if (typeof type !== "string") {
        throw new InputError(`line ${line.lineNumber}: the message has no "type" (expected RECORD, STATE or TRACE).`);
      } else if (!warnedTypes.has(type)) {
        warnedTypes.add(type);
        if (KNOWN_IGNORED.has(type)) await logger.debug(`Ignoring ${type} messages on the input.`);
        else await logger.warn(`Ignoring messages of unknown type "${type.slice(0, 50)}" on the input (first on line ${line.lineNumber}).`);
      }
    };
    // SIGTERM must end the loop even while stdin is idle; no state is written after it. (Not
    // Promise.race with one long-lived promise: each race leaves a reaction on it that keeps the
    // line it resolved with alive, so memory would grow with the input.)
    let wakeOnAbort: ((v: "aborted") => void) | undefined;
    const onAbort = () => {
      pipeline.stop();
      wakeOnAbort?.("aborted");
    };
    if (signal.aborted) pipeline.stop();
    else signal.addEventListener("abort", onAbort, { once: true });
    const lines = input[Symbol.asyncIterator]();
    // Lines already read are taken without a promise each; only waiting for input goes through one.
    const reader = isLineReader(lines) ? lines : undefined;
    const nextLine = (): Promise<IteratorResult<InputLine> | "aborted"> =>
      new Promise((resolve, reject) => {
        if (signal.aborted) return resolve("aborted");
        wakeOnAbort = resolve;
        lines.next().then(resolve, reject);
      });
    try {
      for (;;) {
        let line = signal.aborted ? undefined : reader?.readyLine();
        if (line === undefined) {
          const next = await nextLine();
          wakeOnAbort = undefined;
          if (next === "aborted" || next.done) break;
          line = next.value;
        }
        if (pipeline.failure !== undefined) break;
        // RECORD lines the fast path takes skip parsing; every other line is parsed.
        let record: CheckedRecord | undefined = intake.fast(line);
        if (record === undefined) {
          const msg = parseLine(line);
          const type = msg.type;
          if (type === "RECORD") record = intake.parsed(msg, line);
          else {
            await otherMessage(msg, line);
            continue;
          }
        }
        const { plan: sp, target, counters: c } = record.stream;
        if (record.reason !== undefined) {
          if (settings.invalidRecords === "skip") {
            record.stream.checkpoints.rejected++;
            c.skipped++;
            if (skipWarnings++ < MAX_SKIP_WARNINGS) {
              await logger.warn(`Skipped the record on input line ${line.lineNumber} of stream '${sp.label}': ${record.reason}.${skipWarnings === MAX_SKIP_WARNINGS ? " Further skipped records are only counted." : ""}`);
            }
            continue;
          }
          fatal = new ConfigError(
            `Stream '${sp.label}', input line ${line.lineNumber}: Convex would refuse this record: ${record.reason}. Every record before it was committed and its checkpoints saved. Fix the record in the source, or set "invalid_records" to "skip" in the destination settings to skip such records with a warning.`,
            { stream: { name: sp.name, namespace: sp.namespace } },
          );
          break;
        }
        record.stream.checkpoints.accepted++;
        pipeline.noteRecord(sp.table);
        const at = now();
        c.firstRecordAt ??= at;
        if (record.marker !== undefined) {
          // A key-only upsert first, so that the delete removes a row instead of inserting one.
          // Counted like a record: state barriers compare appended and committed counts.
          pipeline.noteRecord(sp.table);
          for (const b of batcher.add(target, record.marker, Buffer.byteLength(record.marker, "utf8"), line.lineNumber, at, record.key)) pipeline.submit(b);
        }
        for (const b of batcher.add(target, record.data, record.dataBytes, line.lineNumber, at, record.key)) pipeline.submit(b);
        while (batcher.bufferedBytes > bufferCap) {
          const b = batcher.sealLargest();
          if (b === undefined) break;
          pipeline.submit(b);
        }
        if (!pipeline.hasCapacity) await pipeline.waitForCapacity();
      }
    } catch (err) {
      fatal = err;
    }

    signal.removeEventListener("abort", onAbort);
    if (signal.aborted) void lines.return?.()?.catch(() => undefined);
    // Commit what came before the stop, unless the connector is being stopped.
    stopping = true;
    clearInterval(timer);
    if (signal.aborted) pipeline.stop();
    else if (pipeline.failure === undefined) for (const b of batcher.sealAll()) pipeline.submit(b);
    await pipeline.idle();

    const failure = pipeline.failure;
    const outcome = signal.aborted ? "stopped" : failure !== undefined || fatal !== undefined ? "failed" : "finished";
    const notWritten = pipeline.pendingStates;
    let text = summary.format(now(), outcome);
    if (notWritten > 0) text += `\n  ${notWritten} checkpoint(s) were not saved because the records before them were not all committed.`;
    await logger.info(text);
    if (failure !== undefined) throw failure.error;
    if (fatal !== undefined) throw fatal;
  } finally {
    await client.close().catch(() => undefined);
  }
}

function parseLine(line: InputLine): Json {
  let msg: unknown;
  try {
    // Plain JSON.parse: record data is sent from the text (see recordDataSpan), and states are
    // echoed from the text, so no parsed number needs to be exact.
    msg = JSON.parse(line.text);
  } catch (err) {
    const why = line.unterminated
      ? "the input ended in the middle of a message (the last line is cut off and is not complete JSON)"
      : `it is not valid JSON (${(err as Error).message})`;
    throw new InputError(`line ${line.lineNumber}: ${why}. Each input line must be one Airbyte message.`);
  }
  if (!isObject(msg)) {
    throw new InputError(`line ${line.lineNumber}: expected a JSON object (an Airbyte message), got ${Array.isArray(msg) ? "an array" : msg === null ? "null" : `a ${typeof msg}`}.`);
  }
  return msg;
}

/** Records the platform's STREAM_STATUS COMPLETE for the summary. */
function noteTrace(msg: Json, streams: Map<string, StreamPlan>, summary: SyncSummary): void {
  const trace = msg.trace;
  if (!isObject(trace) || trace.type !== "STREAM_STATUS" || !isObject(trace.stream_status)) return;
  const status = trace.stream_status;
  const d = status.stream_descriptor;
  if (!isObject(d) || typeof d.name !== "string") return;
  const sp = streams.get(streamKey(d.name, typeof d.namespace === "string" ? d.namespace : undefined));
  if (sp !== undefined && status.status === "COMPLETE") summary.stream(sp.table, sp.label).complete = true;
}
