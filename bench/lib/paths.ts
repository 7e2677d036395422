/** Where the compiled connectors, the emulator and the bench's own child scripts live. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** bench/dist/lib when compiled. */
const here = dirname(fileURLToPath(import.meta.url));

/** The repository root (bench/dist/lib → ../../..). */
export const REPO_ROOT = resolve(here, "..", "..", "..");

export const BIN = {
  source: join(REPO_ROOT, "source-convex", "bin", "source-convex.js"),
  destination: join(REPO_ROOT, "destination-convex", "bin", "destination-convex.js"),
  emulator: join(REPO_ROOT, "integration_tests", "bin", "convex-emulator.js"),
};

/** The bench's child scripts, next to this module in bench/dist/lib. */
export const CHILD = {
  sourceBaseline: join(here, "source-baseline.js"),
  destinationBaseline: join(here, "destination-baseline.js"),
  rusageHook: join(here, "rusage-hook.js"),
};

export const TIME_BIN = "/usr/bin/time";
export const HAS_GNU_TIME = existsSync(TIME_BIN);
