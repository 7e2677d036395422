/** The two images as built: labels, user, entrypoints, read-only root, size, and `spec`. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseOutput } from "../../shared/test/support/protocol.js";
import { IMAGES, inspect, localRun, ROOT, runImage, withoutTimes } from "./docker.js";

const CONNECTORS = [
  { kind: "source", name: "source-convex", image: IMAGES.source },
  { kind: "destination", name: "destination-convex", image: IMAGES.destination },
] as const;

/** What an image may add over its base, in bytes: the compiled code and a handful of small packages. */
const MAX_ADDED_BYTES = 20e6;

describe.each(CONNECTORS)("$image", (c) => {
  const info = inspect(c.image);
  const meta = (parseYaml(readFileSync(join(ROOT, `${c.name}/metadata.yaml`), "utf8")) as { data: { dockerRepository: string; dockerImageTag: string } }).data;

  it("carries the io.airbyte labels of metadata.yaml", () => {
    expect(info.Config.Labels["io.airbyte.name"]).toBe(meta.dockerRepository);
    expect(info.Config.Labels["io.airbyte.version"]).toBe(meta.dockerImageTag);
  });

  it("sets AIRBYTE_ENTRYPOINT to its ENTRYPOINT", () => {
    const env = info.Config.Env.find((e) => e.startsWith("AIRBYTE_ENTRYPOINT="));
    expect(env?.slice("AIRBYTE_ENTRYPOINT=".length)).toBe(info.Config.Entrypoint.join(" "));
  });

  it("runs as uid 1000, not root, and cannot write outside /tmp", async () => {
    expect(info.Config.User).toBe("1000:1000");
    const script = 'id -u; id -g; touch /tmp/ok && echo tmp-writable; touch /airbyte/integration_code/x 2>/dev/null || echo code-read-only; touch /x 2>/dev/null || echo root-read-only';
    const r = await runImageShell(c.image, script);
    expect(r.split("\n").filter(Boolean)).toEqual(["1000", "1000", "tmp-writable", "code-read-only", "root-read-only"]);
  });

  it("ships only package.json, the bin and the bundled connector with its source map", async () => {
    const listing = await runImageShell(c.image, "cd /airbyte/integration_code && ls -A . bin dist");
    expect(listing.split("\n").filter(Boolean)).toEqual([".:", "bin", "dist", "package.json", "bin:", `${c.name}.js`, "dist:", `${c.name}.mjs`, `${c.name}.mjs.map`]);
  });

  it(`adds little over its base (at most ${MAX_ADDED_BYTES / 1e6} MB)`, () => {
    const added = addedBytes(c.image);
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThan(MAX_ADDED_BYTES);
  });

  it("prints the same SPEC as the local executable, through ENTRYPOINT and through AIRBYTE_ENTRYPOINT", async () => {
    const local = localRun(c.name, ["spec"]);
    const direct = await runImage(c.image, ["spec"]);
    expect(direct.code).toBe(0);
    expect(parseOutput(direct.stdout).map((m) => m.type)).toEqual(["SPEC"]);
    expect(direct.stdout).toBe(local);
    const viaEnv = await runImage(c.image, ["spec"], { viaEnv: true });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toBe(local);
  });

  it("fails an unknown command the same way through both entrypoints", async () => {
    const direct = await runImage(c.image, ["nonsense"]);
    const viaEnv = await runImage(c.image, ["nonsense"], { viaEnv: true });
    expect(direct.code).not.toBe(0);
    expect(viaEnv.code).toBe(direct.code);
    expect(withoutTimes(viaEnv.stdout)).toBe(withoutTimes(direct.stdout));
  });
});

async function runImageShell(image: string, script: string): Promise<string> {
  const r = await runImage(image, ["-c", script], { flags: ["--entrypoint", "sh"] });
  if (r.code !== 0) throw new Error(`sh -c failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Bytes in the layers the final stage created (newest first, down to its first instruction). */
function addedBytes(image: string): number {
  const history = execFileSync("docker", ["history", "--no-trunc", "--human=false", "--format", "{{.Size}}\t{{.CreatedBy}}", image], { encoding: "utf8" });
  let added = 0;
  for (const line of history.trim().split("\n")) {
    const [size, createdBy] = line.split("\t");
    added += Number(size);
    if (createdBy?.includes("ARG CONNECTOR_VERSION")) return added;
  }
  throw new Error(`no ARG CONNECTOR_VERSION layer in the history of ${image}`);
}
