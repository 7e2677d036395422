import { SourceMap } from "node:module";
import { describe, expect, it } from "vitest";
import { mapStackToSources } from "../src/runtime/stack-sources.js";

// Generated line 1 maps to ../src/write.ts line 1, generated line 2 (column 4 on) to
// ../../shared/src/runtime/files.ts line 21, column 3.
const MAP = new SourceMap({ version: 3, file: "dest.mjs", sources: ["../src/write.ts", "../../shared/src/runtime/files.ts"], names: [], mappings: "AAAA;ICoBE", sourceRoot: "", sourcesContent: [] });
const BUNDLE = "file:///opt/code/dist/dest.mjs";

describe("mapStackToSources", () => {
  it("maps bundle frames to source paths from the repository root, with 1-based lines and columns", () => {
    const stack = `InputError: bad\n    at readJsonFile (${BUNDLE}:2:5)\n    at ${BUNDLE}:1:1\n    at node:internal/x:3:4`;
    expect(mapStackToSources(stack, () => MAP)).toBe(
      "InputError: bad\n    at readJsonFile (shared/src/runtime/files.ts:21:3)\n    at dest/src/write.ts:1:1\n    at node:internal/x:3:4",
    );
  });

  it("keeps a frame as it is without a map, or where the map has nothing on that line", () => {
    const stack = `Error: x\n    at f (${BUNDLE}:9:1)\n    at g (file:///elsewhere/lib.mjs:2:5)`;
    expect(mapStackToSources(stack, (url) => (url === BUNDLE ? MAP : null))).toBe(stack);
  });

  it("loads each module's map once", () => {
    let loads = 0;
    mapStackToSources(`at a (${BUNDLE}:1:1)\nat b (${BUNDLE}:2:5)`, () => {
      loads++;
      return MAP;
    });
    expect(loads).toBe(1);
  });
});
