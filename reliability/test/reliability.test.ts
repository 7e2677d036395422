/**
 * The seeded short form of the reliability suite (`npm run reliability` runs the full one): a
 * fault on each side, a crash on each side, live writes, bad input and security, with the suite's
 * invariants (no lost rows, no key leaks, no hangs) checked across all of them.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type CaseResult, runCase } from "../lib/runner.js";
import { suite } from "../lib/suite.js";

const SEED = Number(process.env.RELIABILITY_SEED ?? 20240601);
const results: CaseResult[] = [];

describe.concurrent("reliability (short form)", () => {
  for (const spec of suite(false)) {
    it(spec.id, { timeout: spec.timeoutMs + 10_000 }, async () => {
      const r = await runCase(spec, SEED);
      results.push(r);
      expect(r.reason ?? "").toBe("");
      expect(r.passed).toBe(true);
    });
  }
});

afterAll(() => {
  const sum = (k: "rowsLost" | "keyLeaks" | "hangs") => results.reduce((n, r) => n + r[k], 0);
  expect({ rowsLost: sum("rowsLost"), keyLeaks: sum("keyLeaks"), hangs: sum("hangs") }).toEqual({ rowsLost: 0, keyLeaks: 0, hangs: 0 });
});
