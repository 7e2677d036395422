/**
 * Crashes: SIGKILL the source at a random moment of a read, or the destination during a write,
 * then resume from the states the destination committed. The target must equal the source with
 * zero rows lost; duplicates are allowed (and counted) only in append mode.
 */
import { Pipeline } from "./pipeline.js";
import { type CaseContext, type CaseSpec, check } from "./runner.js";
import { verifyTarget } from "./verify.js";
import { type DestMode, World } from "./world.js";

async function crashCase(ctx: CaseContext, victim: "source" | "destination", destMode: DestMode, withChanges: boolean): Promise<void> {
  const world = await new World(ctx, { tables: { users: ctx.int(40, 90), posts: ctx.int(20, 60) }, destMode, destConfig: { batch_max_records: ctx.int(5, 30) } }).start();
  const p = new Pipeline(ctx, world);
  if (withChanges) {
    // A first complete sync, then changes, so the crash hits the change log (document_deltas).
    await p.resumeUntilDone(2);
    world.mutate(ctx.int(20, 60));
  }
  const total = world.tables.reduce((n, t) => n + world.source.readTable(t).length, 0) + 10;
  const at = ctx.int(0, total);
  const a = await p.run(victim === "source" ? { killSourceAfter: Math.max(1, at) } : { killDestAfter: Math.max(1, at) });
  ctx.note(`killed the ${victim} after ${a.forwarded} lines; ${a.statesEchoed} states committed before`);
  // The killed attempt may also have finished before the kill point; either way resume.
  check(!a.timedOut, "the killed attempt hung");
  await p.resumeUntilDone(2);
  verifyTarget(ctx, p);
}

export function crashCases(full: boolean, count: number): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const victim of ["source", "destination"] as const) {
    for (let i = 0; i < count; i++) {
      const destMode: DestMode = i % 4 === 3 ? "append" : "append_dedup";
      const withChanges = i % 2 === 1;
      out.push({
        id: `crashes/${victim}/${i}-${destMode}${withChanges ? "-deltas" : "-snapshot"}`,
        category: "crashes",
        short: !full,
        timeoutMs: 120_000,
        run: (ctx) => crashCase(ctx, victim, destMode, withChanges),
      });
    }
  }
  return out;
}
