import { createRequire } from "node:module";

/** The product version: every workspace's package.json carries the root's version (a test checks). */
const require = createRequire(import.meta.url);
export const VERSION: string = (require("../package.json") as { version: string }).version;
