/**
 * The Docker suite (`npm run test:docker`): builds nothing itself (scripts/docker-test.sh builds the
 * images first) and fails at once, saying why, when Docker or the images are missing.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("../.."),
  test: {
    include: ["integration_tests/docker/**/*.test.ts"],
    globalSetup: [here("./global-setup.ts")],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One file at a time: each starts containers and emulators, and the images share one engine.
    fileParallelism: false,
    reporters: ["default", here("../../scripts/vitest-summary-reporter.ts")],
  },
});
