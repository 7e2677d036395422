/**
 * Loaded with `node --import` when /usr/bin/time is missing: writes the process's resource usage
 * to the file named by BENCH_RUSAGE_FILE when it exits.
 */
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_RUSAGE_FILE;
if (file !== undefined && file !== "") {
  process.on("exit", () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: u.maxRSS, userSeconds: u.userCPUTime / 1e6, systemSeconds: u.systemCPUTime / 1e6 }));
  });
}
