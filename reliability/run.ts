/**
 * `npm run reliability`: the full suite. Writes reliability/report.json and exits non-zero unless
 * every case passed and rowsLost, keyLeaks and hangs are 0.
 *   RELIABILITY_SEED=<n>     seed (default 20240601)
 *   RELIABILITY_FILTER=<re>  only cases whose id matches
 *   RELIABILITY_PARALLEL=<n> cases at once (default 4)
 *   RELIABILITY_SHORT=1      the short form
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { runAudit } from "./lib/cases-security.js";
import { ROOT } from "./lib/proc.js";
import { runAll, summarize } from "./lib/runner.js";
import { suite } from "./lib/suite.js";

const seed = Number(process.env.RELIABILITY_SEED ?? 20240601);
const full = process.env.RELIABILITY_SHORT !== "1";
const filter = process.env.RELIABILITY_FILTER === undefined ? undefined : new RegExp(process.env.RELIABILITY_FILTER);
const parallel = Number(process.env.RELIABILITY_PARALLEL ?? Math.min(4, Math.max(1, cpus().length - 1)));
const specs = suite(full).filter((c) => filter === undefined || filter.test(c.id));
const out = (s: string) => process.stdout.write(`${s}\n`);

out(`reliability: ${specs.length} cases, seed ${seed}, ${parallel} at once`);
const started = Date.now();
const results = await runAll(specs, seed, parallel, (r) => out(`${r.passed ? "PASS" : "FAIL"} ${r.id} (${(r.ms / 1000).toFixed(1)} s)${r.passed ? "" : `: ${r.reason}`}`));
const audit = filter === undefined ? runAudit() : { result: "not run: filtered run", passed: undefined };
if (audit.passed !== undefined) {
  results.push({ id: "security/npm-audit", category: "security", passed: audit.passed, ...(audit.passed ? {} : { reason: audit.result }), ms: 0, rowsLost: 0, duplicates: 0, keyLeaks: 0, hangs: 0, notes: [audit.result] });
}
const report = summarize(results, seed, full ? "full" : "short", audit.result);
const path = join(ROOT, "reliability/report.json");
writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
out(`\nnpm audit --omit=dev: ${audit.result}`);
out(`${report.passed}/${report.cases} passed, rowsLost ${report.rowsLost}, duplicates ${report.duplicates}, keyLeaks ${report.keyLeaks}, hangs ${report.hangs} in ${Math.round((Date.now() - started) / 1000)} s`);
for (const [cat, c] of Object.entries(report.byCategory)) out(`  ${cat}: ${c.passed}/${c.cases}`);
out(`report: ${path}`);
const ok = report.passed === report.cases && report.rowsLost === 0 && report.keyLeaks === 0 && report.hangs === 0;
process.exit(ok ? 0 : 1);
