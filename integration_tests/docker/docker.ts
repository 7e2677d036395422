/** Running the connector images the way the platform and users do, against emulated deployments. */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConvexEmulator } from "../src/emulator/index.js";

export const IMAGES = { source: "airbyte/source-convex:dev", destination: "airbyte/destination-convex:dev" } as const;
export const ROOT = new URL("../../", import.meta.url).pathname;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Host folder mounted read-only at /secrets. */
  secrets?: string;
  /** Written to the container's stdin (and `-i` passed). */
  stdin?: string;
  /** Run `sh -c 'eval "$AIRBYTE_ENTRYPOINT <args>"'` instead of the ENTRYPOINT, as the platform does. */
  viaEnv?: boolean;
  /** Extra `docker run` flags, before the image. */
  flags?: string[];
}

/** The flags every run gets: host network (to reach the emulator), read-only root, writable /tmp. */
export const BASE_FLAGS = ["--rm", "--network", "host", "--read-only", "--tmpfs", "/tmp"];

export function dockerRunArgs(image: string, args: string[], opts: RunOptions = {}): string[] {
  const flags = [...BASE_FLAGS, ...(opts.flags ?? [])];
  if (opts.secrets) flags.push("-v", `${opts.secrets}:/secrets:ro`);
  if (opts.stdin !== undefined) flags.push("-i");
  if (opts.viaEnv) {
    // The platform's launcher: it ignores ENTRYPOINT and evals the environment variable.
    return ["run", ...flags, "--entrypoint", "sh", image, "-c", `eval "$AIRBYTE_ENTRYPOINT ${args.join(" ")}"`];
  }
  return ["run", ...flags, image, ...args];
}

export function runImage(image: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", dockerRunArgs(image, args, opts), { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? "");
  });
}

/** `docker run -i SOURCE read … | docker run -i DESTINATION write …`, through a real OS pipe. */
export function runPipeline(left: string[], right: string[]): Promise<RunResult & { leftCode: number }> {
  const q = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
  const script = `docker ${left.map(q).join(" ")} | docker ${right.map(q).join(" ")}; r=$?; exit $(( \${PIPESTATUS[0]} * 16 + r ))`;
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code === null ? null : code % 16, leftCode: Math.floor((code ?? 0) / 16), stdout, stderr }));
  });
}

/** A temporary folder the container's uid 1000 can read, for configs, catalogs and states. */
export class Secrets {
  readonly dir: string;
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "convex-docker-"));
    chmodSync(this.dir, 0o755);
  }
  write(name: string, value: unknown): string {
    const path = join(this.dir, name);
    writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
    chmodSync(path, 0o644);
    return `/secrets/${name}`;
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An emulated deployment with a deploy key distinctive enough to find in any output. */
export async function startDeployment(): Promise<{ emulator: ConvexEmulator; key: string; config: { deployment_url: string; access_key: string } }> {
  const key = `prod:emulated-${randomBytes(4).toString("hex")}|${randomBytes(24).toString("hex")}`;
  const emulator = new ConvexEmulator({ adminKey: key, host: "127.0.0.1" });
  await emulator.start();
  return { emulator, key, config: { deployment_url: emulator.url, access_key: key } };
}

export const readRepoJson = <T>(p: string): T => JSON.parse(readFileSync(join(ROOT, p), "utf8")) as T;

/** Stdout lines as JSON messages (every line must be JSON). */
export function messages(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export const ofType = (msgs: Record<string, unknown>[], type: string) => msgs.filter((m) => m.type === type);

/** The local executable's output, for comparison with the image's. */
export function localRun(connector: string, args: string[]): string {
  return execFileSync(process.execPath, [join(ROOT, `${connector}/bin/${connector}.js`), ...args], { encoding: "utf8" });
}

export function inspect(image: string): { Config: { User: string; Env: string[]; Entrypoint: string[]; Labels: Record<string, string> }; Size: number } {
  return (JSON.parse(execFileSync("docker", ["image", "inspect", image], { encoding: "utf8" })) as ReturnType<typeof inspect>[])[0]!;
}

/** The seeded fields of documents, for comparing tables across deployments. */
export function projectRows(rows: Record<string, unknown>[], keys: string[]): Record<string, unknown>[] {
  return rows
    .map((r) => Object.fromEntries(keys.filter((k) => k in r).map((k) => [k, r[k]])))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Stdout with every `emitted_at` zeroed, to compare two runs' messages. */
export function withoutTimes(stdout: string): string {
  return stdout.replace(/"emitted_at":\d+(\.\d+)?/g, '"emitted_at":0');
}
