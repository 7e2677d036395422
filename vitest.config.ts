import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources; spawned connector processes run the compiled dist.
    alias: {
      "@convex-airbyte/shared": here("./shared/src/index.ts"),
      "source-convex": here("./source-convex/src/index.ts"),
      "destination-convex": here("./destination-convex/src/index.ts"),
    },
  },
  test: {
    include: ["*/test/**/*.test.ts", "bench/test/**/*.test.ts", "reliability/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "./scripts/vitest-summary-reporter.ts"],
  },
});
