/** Shared checks: the target equals the source, and a failed attempt failed the right way. */
import { compareWorld } from "./compare.js";
import { type Attempt, describeAttempt, type Pipeline } from "./pipeline.js";
import { type CaseContext, check } from "./runner.js";

/** Compares target and source; adds lost rows and duplicates to the case's figures. */
export function verifyTarget(ctx: CaseContext, p: Pipeline): void {
  const c = compareWorld(p.world);
  ctx.rowsLost += c.lost;
  ctx.duplicates += c.duplicates;
  if (c.tombstones > 0) ctx.note(`${c.tombstones} tombstone rows kept in the target`);
  check(c.lost === 0, `${c.lost} source documents missing or stale in the target: ${c.details.join("; ")}`);
  check(c.extra === 0, `${c.extra} extra target rows: ${c.details.join("; ")}`);
  if (p.world.destMode === "append_dedup") check(c.duplicates === 0, `${c.duplicates} duplicate rows in a deduplicated table`);
}

/** A failed attempt must carry one TRACE ERROR with the expected failure type and a useful message. */
export function verifyFailure(a: Attempt, expected: string[]): void {
  const errors = [...a.sourceErrors, ...a.destErrors];
  check(!a.timedOut, `attempt hung: ${describeAttempt(a)}`);
  check(errors.length > 0, `attempt failed without a TRACE ERROR: ${describeAttempt(a)}`);
  for (const e of errors) {
    check(expected.includes(String(e.failure_type)), `failure_type ${String(e.failure_type)} (expected ${expected.join(" or ")}): ${String(e.message).slice(0, 300)}`);
    check(typeof e.message === "string" && e.message.length > 20, `error message too short: ${String(e.message)}`);
  }
  const failedSource = a.sourceCode !== 0 && a.sourceSignal === null;
  const failedDest = a.destCode !== 0 && a.destSignal === null;
  if (failedSource) check(a.sourceErrors.length > 0, `source exited ${a.sourceCode} without a TRACE ERROR`);
  if (failedDest) check(a.destErrors.length > 0, `destination exited ${a.destCode} without a TRACE ERROR`);
}
