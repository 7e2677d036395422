/**
 * Static checks of the Docker packaging (Dockerfile.source, Dockerfile.destination, .dockerignore,
 * metadata.yaml), and the final image's file layout rebuilt in a temporary folder and run with the
 * image's exact ENTRYPOINT. The images themselves are built and run by `npm run test:docker`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseOutput } from "../../shared/test/support/protocol.js";
import { CONNECTORS, type Connector, entrypointOf, packageVersion, parseDockerfile, readJson, readRepoFile, repoPath, stageValues } from "./packaging-support.js";

const CODE_DIR = "/airbyte/integration_code";
const DEFINITION_IDS: Record<string, string> = {
  "source-convex": "c332628c-f55c-4017-8222-378cfafda9b2",
  "destination-convex": "3eb4d99c-11fa-4561-a259-fc88e0c2f8f4",
};

interface Metadata {
  metadataSpecVersion: string;
  data: Record<string, unknown> & {
    releases?: { breakingChanges?: Record<string, { message?: string; upgradeDeadline?: string }> };
  };
}
const metadataOf = (c: Connector) => parseYaml(readRepoFile(`${c.name}/metadata.yaml`)) as Metadata;
const dockerfileOf = (c: Connector) => parseDockerfile(readRepoFile(c.dockerfile));

function specOf(connector: string): Record<string, unknown> {
  const stdout = execFileSync(process.execPath, [repoPath(`${connector}/bin/${connector}.js`), "spec"], { encoding: "utf8" });
  const messages = parseOutput(stdout);
  expect(messages).toHaveLength(1);
  return messages[0]!.spec as Record<string, unknown>;
}

describe.each(CONNECTORS)("$dockerfile", (c) => {
  const { globalArgs, stages } = dockerfileOf(c);
  const final = stages.at(-1)!;

  it("takes ARG BASE_IMAGE, defaulting to an exact, pinned official Node 20 slim image", () => {
    const base = globalArgs.find((a) => a.op === "ARG" && a.args.startsWith("BASE_IMAGE="));
    expect(base, "ARG BASE_IMAGE before the first FROM").toBeDefined();
    const image = base!.args.slice("BASE_IMAGE=".length);
    // An exact version (no floating 20 / 20-slim / lts tag), optionally pinned further by digest.
    expect(image).toMatch(/^node:20\.\d+\.\d+-(bookworm|bullseye)-slim(@sha256:[0-9a-f]{64})?$/);
    for (const stage of stages) expect(stage.from).toBe(`\${BASE_IMAGE}`);
  });

  it("is multi-stage: the build happens in earlier stages, the final stage only copies their output", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.slice(0, -1).flatMap((s) => s.instructions);
    expect(build.some((i) => i.op === "RUN" && /npm-install\.sh|npm ci/.test(i.args))).toBe(true);
    expect(build.some((i) => i.op === "RUN" && i.args.includes(`tsc -b ${c.name}`) && i.args.includes(`node scripts/bundle.mjs ${c.name}`))).toBe(true);
    expect(final.instructions.filter((i) => i.op === "RUN")).toEqual([]);
    const copies = final.instructions.filter((i) => i.op === "COPY");
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy.args).toMatch(/^--from=\S+ /);
  });

  it("copies from the build context only files that exist and that .dockerignore lets in", () => {
    const allowed = new Set(
      readRepoFile(".dockerignore")
        .split("\n")
        .filter((l) => l.startsWith("!"))
        .map((l) => l.slice(1)),
    );
    for (const stage of stages) {
      for (const copy of stage.instructions.filter((i) => i.op === "COPY" && !i.args.startsWith("--from="))) {
        const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith("--"));
        for (const src of parts.slice(0, -1)) {
          expect(existsSync(repoPath(src)), `${src} exists`).toBe(true);
          expect(allowed.has(src), `.dockerignore lets in ${src}`).toBe(true);
        }
      }
    }
  });

  it("runs as a non-root numeric user (uid 1000, the platform's rootless uid)", () => {
    const user = final.instructions.filter((i) => i.op === "USER").at(-1);
    expect(user?.args).toBe("1000:1000");
  });

  it("sets ENV AIRBYTE_ENTRYPOINT to exactly the exec-form ENTRYPOINT, which runs the connector's bin", () => {
    const entrypoint = entrypointOf(final);
    expect(stageValues(final, "ENV").get("AIRBYTE_ENTRYPOINT")).toBe(entrypoint.join(" "));
    const bin = readJson<{ bin: Record<string, string> }>(`${c.name}/package.json`).bin[c.name]!;
    expect(entrypoint).toEqual(["node", join(CODE_DIR, bin)]);
  });

  it("caps malloc arenas so that peak memory does not grow with the size of a sync", () => {
    expect(stageValues(final, "ENV").get("MALLOC_ARENA_MAX")).toBe("2");
  });

  it("labels the image with metadata.yaml's dockerRepository and the package version", () => {
    const labels = stageValues(final, "LABEL");
    const meta = metadataOf(c).data;
    expect(labels.get("io.airbyte.name")).toBe(meta.dockerRepository);
    expect(labels.get("io.airbyte.version")).toBe(`\${CONNECTOR_VERSION}`);
    // The build script passes CONNECTOR_VERSION from package.json; the default must agree.
    expect(stageValues(final, "ARG").get("CONNECTOR_VERSION")).toBe(packageVersion(c.name));
    expect(meta.dockerImageTag).toBe(packageVersion(c.name));
  });
});

describe(".dockerignore", () => {
  const rules = readRepoFile(".dockerignore")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  it("starts from nothing and lets in only package files, configs, sources and the build scripts", () => {
    expect(rules[0]).toBe("*");
    for (const rule of rules.filter((r) => r.startsWith("!"))) {
      expect(rule).toMatch(/^!((shared|source-convex|destination-convex|integration_tests)\/)?(package(-lock)?\.json|tsconfig(\.base)?\.json|src|bin)$|^!scripts\/(docker-npm-install\.sh|bundle\.mjs)$/);
      expect(rule.startsWith("!integration_tests/") ? rule : "", "from the test harness, only its package files").not.toMatch(/src|bin/);
    }
  });
  it("keeps node_modules, dist, tests, fixtures and secrets out even inside let-in folders", () => {
    const excluded = rules.slice(rules.findLastIndex((r) => r.startsWith("!")) + 1);
    for (const p of ["**/node_modules", "**/dist", "**/test", "**/fixtures", "**/secrets", "**/*.tsbuildinfo"]) expect(excluded).toContain(p);
  });
});

describe.each(CONNECTORS)("$name/metadata.yaml", (c) => {
  const meta = metadataOf(c);
  const data = meta.data;
  const pkg = readJson<{ version: string; license: string }>(`${c.name}/package.json`);

  it("keeps the Python connector's identity", () => {
    expect(meta.metadataSpecVersion).toBe("1.0");
    expect(data.definitionId).toBe(DEFINITION_IDS[c.name]);
    expect(data.dockerRepository).toBe(`airbyte/${c.name}`);
    expect(data.connectorType).toBe(c.kind);
    expect(data.connectorSubtype).toBe("api");
    expect(data.name).toBe("Convex");
    expect(data.githubIssueLabel).toBe(c.name);
  });

  it("carries the package version, license and the spec's documentation URL", () => {
    expect(data.dockerImageTag).toBe(pkg.version);
    expect(data.license).toBe(pkg.license);
    expect(data.documentationUrl).toBe(specOf(c.name).documentationUrl);
    expect(data.documentationUrl).toBe(`https://docs.airbyte.com/integrations/${c.kind}s/convex`);
  });

  it("has every field the registry requires, with allowed values", () => {
    for (const k of ["connectorType", "connectorSubtype", "definitionId", "dockerRepository", "dockerImageTag", "name", "license", "githubIssueLabel", "documentationUrl", "releaseStage"]) {
      expect(data[k], k).toBeTypeOf("string");
    }
    expect(["alpha", "beta", "generally_available", "custom"]).toContain(data.releaseStage);
    expect(["community", "certified", "enterprise", "archived"]).toContain(data.supportLevel);
    expect(["MIT", "ELv2"]).toContain(data.license);
    expect(data.tags).toContain("language:typescript");
    expect((data.tags as string[]).filter((t) => t.startsWith("language:"))).toHaveLength(1);
    expect(data.registryOverrides).toEqual({ oss: { enabled: true }, cloud: { enabled: true } });
  });

  it("announces the major version's breaking change with a message and an upgrade deadline", () => {
    const major = `${pkg.version.split(".")[0]}.0.0`;
    const change = data.releases?.breakingChanges?.[major];
    expect(change, `releases.breakingChanges.${major}`).toBeDefined();
    expect(change!.message!.length).toBeGreaterThan(100);
    expect(change!.upgradeDeadline).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // Config and state carry over: the message must say so, since that decides whether users reset.
    expect(change!.message).toMatch(/without a reset/);
  });
});

describe.each(CONNECTORS)("the $name image layout, rebuilt outside the repository", (c) => {
  const root = mkdtempSync(join(tmpdir(), `${c.name}-image-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("runs the exact ENTRYPOINT with only package.json, the bin and the bundle: no node_modules", () => {
    const code = join(root, CODE_DIR);
    for (const p of ["package.json", "bin", `dist/${c.name}.mjs`, `dist/${c.name}.mjs.map`]) cpSync(repoPath(`${c.name}/${p}`), join(code, p), { recursive: true });
    const [command, ...args] = entrypointOf(dockerfileOf(c).stages.at(-1)!);
    expect(command).toBe("node");
    const script = args.map((a) => (a.startsWith(CODE_DIR) ? join(code, a.slice(CODE_DIR.length)) : a));
    // cwd and NODE_PATH outside the repository: nothing can be found in its node_modules.
    const stdout = execFileSync(process.execPath, [...script, "spec"], { encoding: "utf8", cwd: dirname(code), env: { PATH: process.env.PATH ?? "", NODE_ENV: "production" } });
    const messages = parseOutput(stdout);
    expect(messages.map((m) => m.type)).toEqual(["SPEC"]);
    expect(messages[0]!.spec).toEqual(specOf(c.name));
  });

  it("reports a failure's stack trace in the TypeScript sources, through the bundle's source map", () => {
    const code = join(root, CODE_DIR);
    const [, ...args] = entrypointOf(dockerfileOf(c).stages.at(-1)!);
    const script = args.map((a) => (a.startsWith(CODE_DIR) ? join(code, a.slice(CODE_DIR.length)) : a));
    const config = join(root, "config.json");
    writeFileSync(config, "{not json");
    const r = spawnSync(process.execPath, [...script, "check", "--config", config], { encoding: "utf8", cwd: dirname(code) });
    expect(r.status).not.toBe(0);
    const errors = parseOutput(r.stdout).filter((m) => m.type === "TRACE");
    expect(errors).toHaveLength(1);
    const stack = (errors[0]!.trace as { error: { stack_trace: string } }).error.stack_trace;
    // The config file is read by the shared runtime: the frame names its .ts file and line, not the bundle.
    expect(stack).toMatch(/shared\/src\/runtime\/files\.ts:\d+:\d+/);
    expect(stack).not.toContain(`${c.name}.mjs`);
  });
});
