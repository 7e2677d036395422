/** Fills an emulator with generated documents across a few tables and one component table. */
import type { ConvexEmulator } from "../emulator/emulator.js";
import { type DocKind, DocumentGenerator, type GeneratorOptions } from "./documents.js";

export interface SeedPlanEntry {
  table: string;
  component: string;
  kind: DocKind;
  count: number;
}

/** How `total` documents are spread: users 30%, messages 50%, events in component "analytics" 20%. */
export function seedPlan(total: number): SeedPlanEntry[] {
  const users = Math.floor(total * 0.3);
  const events = Math.floor(total * 0.2);
  return [
    { table: "users", component: "", kind: "users", count: users },
    { table: "messages", component: "", kind: "messages", count: total - users - events },
    { table: "events", component: "analytics", kind: "events", count: events },
  ];
}

/** Inserts the plan in transactions of `batch` documents; returns the plan. */
export function seedEmulator(emulator: ConvexEmulator, total: number, opts: GeneratorOptions & { batch?: number } = {}): SeedPlanEntry[] {
  const g = new DocumentGenerator(opts);
  const batch = opts.batch ?? 10_000;
  const plan = seedPlan(total);
  for (const p of plan) {
    for (let from = 0; from < p.count; from += batch) {
      const n = Math.min(batch, p.count - from);
      emulator.transaction((tx) => {
        for (let i = 0; i < n; i++) tx.insert(p.table, g.doc(p.kind, from + i), { component: p.component });
      });
    }
  }
  return plan;
}
