/** The whole suite, full or short (seeded, for `npm test`). */
import { badInputCases } from "./cases-badinput.js";
import { crashCases } from "./cases-crashes.js";
import { faultCases } from "./cases-faults.js";
import { liveCases } from "./cases-live.js";
import { securityCases } from "./cases-security.js";
import type { CaseSpec } from "./runner.js";

/** The short form: one or two cases of each kind, small enough for `npm test` (~60 s on 2 cores). */
export const SHORT_IDS = [
  "faults/source/list_snapshot/500",
  "faults/destination/import_airbyte_records/truncate",
  "crashes/source/1-append_dedup-deltas",
  "crashes/destination/0-append_dedup-snapshot",
  "live-writes/append_dedup/deltas",
  "bad-input/config/source/url-ftp-scheme",
  "bad-input/config/destination/key-whitespace",
  "bad-input/catalog/unsupported-destination-mode",
  "bad-input/state/legacy-python-form",
  "bad-input/stdin/malformed-json",
  "bad-input/stdin/over-limit-document",
  "security/redirect/source/302",
  "security/tls-never-disabled-in-code",
];

export function suite(full: boolean): CaseSpec[] {
  const all = [...faultCases(true), ...crashCases(true, 20), ...liveCases(true), ...badInputCases(true), ...securityCases(true)];
  if (full) return all;
  const byId = new Map(all.map((c) => [c.id, c]));
  return SHORT_IDS.map((id) => {
    const c = byId.get(id);
    if (c === undefined) throw new Error(`short form names an unknown case ${id}`);
    return { ...c, short: true };
  });
}
