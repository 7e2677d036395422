// Bundles each connector's compiled entry point (dist/main.js, from `tsc -b`) with its dependencies
// into one file, dist/<connector>.mjs, which the connector's bin runs and its image ships.
//
// Why: Node spent 0.1–0.2 s of every start resolving and compiling a few hundred small modules
// (undici, ajv, yargs and ours); one file starts in about half that. Airbyte starts a connector
// for every spec, check, discover and sync. The bundle is not minified, and its source map (chained
// through tsc's, without the sources' text) lets a TRACE error's stack name our .ts files
// (shared/src/runtime/stack-sources.ts).
//
//   node scripts/bundle.mjs                     both connectors
//   node scripts/bundle.mjs source-convex       one
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const CONNECTORS = ["source-convex", "destination-convex"];

const wanted = process.argv.slice(2);
for (const name of wanted) if (!CONNECTORS.includes(name)) throw new Error(`bundle.mjs: unknown connector ${name}; expected one of ${CONNECTORS.join(", ")}`);

for (const name of wanted.length > 0 ? wanted : CONNECTORS) {
  await build({
    entryPoints: [join(ROOT, name, "dist", "main.js")],
    outfile: join(ROOT, name, "dist", `${name}.mjs`),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // The CommonJS dependencies (undici, ajv) call require() for Node's built-in modules, which an
    // ES module lacks: give the bundle one.
    banner: { js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);' },
    legalComments: "eof",
    sourcemap: "linked",
    sourcesContent: false,
    logLevel: "warning",
  });
}
