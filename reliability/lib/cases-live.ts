/**
 * Live writes: inserts, updates and deletes land on the source while it is being read (between
 * pages, from the forwarding hook), then an incremental sync; the target must equal the source.
 */
import { Pipeline } from "./pipeline.js";
import type { CaseContext, CaseSpec } from "./runner.js";
import { verifyTarget } from "./verify.js";
import { type DestMode, World } from "./world.js";

async function liveCase(ctx: CaseContext, destMode: DestMode, phase: "snapshot" | "deltas"): Promise<void> {
  const world = await new World(ctx, { tables: { users: 80, posts: 50 }, destMode, snapshotPageSize: 15, deltasPageSize: 10 }).start();
  const p = new Pipeline(ctx, world);
  if (phase === "deltas") {
    await p.resumeUntilDone(1);
    world.mutate(60);
  }
  let changes = 0;
  await p.resumeUntilDone(1, {
    onForward: (_msg, n) => {
      if (n % 7 === 3) {
        const s = world.mutate(ctx.int(1, 6));
        changes += s.inserts + s.updates + s.deletes;
      }
    },
  });
  ctx.note(`${changes} changes during the read`);
  // The incremental sync that follows picks up what the read did not see.
  await p.resumeUntilDone(1);
  verifyTarget(ctx, p);
}

export function liveCases(full: boolean): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const destMode of ["append_dedup", "append"] as DestMode[]) {
    for (const phase of ["snapshot", "deltas"] as const) {
      out.push({ id: `live-writes/${destMode}/${phase}`, category: "live-writes", short: destMode === "append_dedup" || full, timeoutMs: 120_000, run: (ctx) => liveCase(ctx, destMode, phase) });
    }
  }
  return out;
}
