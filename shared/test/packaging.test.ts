import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VERSION } from "../src/version.js";
import { parseOutput } from "./support/protocol.js";

const root = new URL("../../", import.meta.url);
const pkg = (p: string) => JSON.parse(readFileSync(new URL(p, root), "utf8")) as { version: string };

describe("one version", () => {
  it("every workspace carries the root package version", () => {
    const version = pkg("package.json").version;
    for (const ws of ["shared", "source-convex", "destination-convex", "integration_tests"]) {
      expect(pkg(`${ws}/package.json`).version, ws).toBe(version);
    }
    expect(VERSION).toBe(version);
  });
});

describe("the executables", () => {
  for (const bin of ["source-convex", "destination-convex"]) {
    it(`${bin} spec prints one valid SPEC message`, () => {
      const stdout = execFileSync(process.execPath, [new URL(`${bin}/bin/${bin}.js`, root).pathname, "spec"], { encoding: "utf8" });
      const messages = parseOutput(stdout);
      expect(messages).toHaveLength(1);
      expect(messages[0]?.type).toBe("SPEC");
    });
  }
});
