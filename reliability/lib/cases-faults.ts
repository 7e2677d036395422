/**
 * The fault matrix: every route each connector calls × every fault the emulator injects. The sync
 * either completes with exactly the right data, or fails with transient_error and a committed
 * state from which a resumed sync (faults cleared) completes exactly.
 */
import type { FaultSpec } from "@convex-airbyte/integration-tests";
import { Pipeline } from "./pipeline.js";
import { connectionStatus, runConnector, traceErrors } from "./proc.js";
import { type CaseContext, type CaseSpec, check } from "./runner.js";
import { verifyFailure, verifyTarget } from "./verify.js";
import { type DestMode, World } from "./world.js";

export type Fault = "429" | "500" | "503" | "reset" | "hang" | "truncate";
export const FAULTS: Fault[] = ["429", "500", "503", "reset", "hang", "truncate"];

export const SOURCE_ROUTES = ["json_schemas", "list_snapshot", "document_deltas", "test_streaming_export_connection"] as const;
export const DEST_ROUTES = ["import_airbyte_records", "add_primary_key_indexes", "primary_key_indexes_ready", "clear_tables"] as const;

function spec(route: string, fault: Fault, persistent: boolean): FaultSpec {
  const base = { route, ...(persistent ? { every: true } : { times: 2 }) };
  switch (fault) {
    case "429":
      return { ...base, kind: "status", status: 429, retryAfter: 1 };
    case "500":
      return { ...base, kind: "status", status: 500 };
    case "503":
      return { ...base, kind: "status", status: 503 };
    default:
      return { ...base, kind: fault };
  }
}

/** Which mode exercises a destination route. */
function modeFor(route: string): { destMode: DestMode; syncMode: "incremental" | "full_refresh" } {
  if (route === "clear_tables") return { destMode: "overwrite", syncMode: "full_refresh" };
  return { destMode: "append_dedup", syncMode: "incremental" };
}

/** Routes the source calls outside `read`: `check` calls test_streaming_export_connection, `discover` json_schemas. */
const USES_CHECK = new Set(["test_streaming_export_connection", "json_schemas"]);

async function faultCase(ctx: CaseContext, side: "source" | "destination", route: string, fault: Fault, persistent: boolean): Promise<void> {
  const world = await new World(ctx, { tables: { users: 50, posts: 30 }, ...(side === "destination" ? modeFor(route) : {}) }).start();
  const emulator = side === "source" ? world.source : world.dest;
  const fspec = spec(route, fault, persistent);

  if (route === "json_schemas") {
    emulator.injectFault(fspec);
    const r = await runConnector(ctx, "source", ["discover", "--config", ctx.scratch.file("c.json", world.sourceConfig())], { timeoutMs: 150_000 });
    const fired = emulator.requests.filter((q) => q.faults.length > 0).length;
    check(fired > 0, `the fault on ${route} never fired during discover (routes called: ${[...new Set(emulator.requests.map((q) => q.path))].join(", ")})`);
    const catalog = r.messages.find((m) => m.type === "CATALOG");
    if (r.code === 0) {
      check(catalog !== undefined, "discover exited 0 without a CATALOG");
      const names = ((catalog.catalog as { streams: { name: string }[] }).streams ?? []).map((s) => s.name).sort();
      check(names.join(",") === "posts,users", `discover announced ${names.join(",")} instead of posts,users`);
      ctx.note(`discover completed despite ${fired} ${fault} faults`);
    } else {
      const errs = traceErrors(r.messages);
      check(errs.length === 1 && errs[0]?.failure_type === "transient_error", `discover failed with ${JSON.stringify(errs.map((e) => [e.failure_type, e.message]))} (expected transient_error)`);
      check(persistent || fault === "hang", `discover failed although the fault fired only ${fired} times: ${String(errs[0]?.message)}`);
      ctx.note("discover failed with transient_error");
    }
    emulator.clearFaults();
  } else if (USES_CHECK.has(route)) {
    // `check` is where the source calls this route.
    emulator.injectFault(fspec);
    const r = await runConnector(ctx, "source", ["check", "--config", ctx.scratch.file("c.json", world.sourceConfig())], { timeoutMs: 120_000 });
    const status = connectionStatus(r.messages);
    const fired = emulator.requests.filter((q) => q.faults.length > 0).length;
    check(fired > 0, `the fault on ${route} never fired during check (routes called: ${[...new Set(emulator.requests.map((q) => q.path))].join(", ")})`);
    check(r.code === 0 && status !== undefined, `check exited ${r.code} without CONNECTION_STATUS; errors: ${traceErrors(r.messages).map((e) => String(e.message)).join("; ")}`);
    if (status.status === "FAILED") {
      if (!persistent && fault !== "hang") ctx.note("check does not retry: one transient fault makes it FAILED (retry: \"never\" in source-convex/src/check.ts)");
      check(/convex|connect|time|answer|retry|rate/i.test(status.message ?? ""), `check FAILED with an unhelpful message: ${status.message ?? ""}`);
    }
    ctx.note(`check → ${status.status}`);
    emulator.clearFaults();
  }

  const p = new Pipeline(ctx, world);
  const live = world.syncMode === "incremental" && route === "document_deltas";
  if (live) {
    // document_deltas only runs after the snapshot; commit one sync, then change the source.
    await p.resumeUntilDone(1, { timeoutMs: 60_000 });
    world.mutate(30);
  }
  const lateRoute = route === "import_airbyte_records" || route === "list_snapshot";
  if (lateRoute) {
    const at = ctx.int(1, 40);
    const injectAt = (_: unknown, n: number) => {
      if (n === at) emulator.injectFault(fspec);
    };
    const a = await p.run({ timeoutMs: 150_000, onForward: injectAt });
    await finish(ctx, p, a.ok, emulator, route, fault, persistent);
    return;
  }
  emulator.injectFault(fspec);
  const a = await p.run({ timeoutMs: 150_000 });
  await finish(ctx, p, a.ok, emulator, route, fault, persistent);
}

async function finish(ctx: CaseContext, p: Pipeline, ok: boolean, emulator: World["source"], route: string, fault: Fault, persistent: boolean): Promise<void> {
  const fired = emulator.requests.filter((q) => q.faults.length > 0 && q.faults.some((f) => f !== "latency")).length;
  const a = p.attempts[p.attempts.length - 1]!;
  emulator.clearFaults();
  if (!USES_CHECK.has(route)) check(fired > 0, `the fault on ${route} never fired (routes called: ${[...new Set(emulator.requests.map((q) => q.path))].join(", ")})`);
  if (ok) {
    ctx.note(`completed despite ${fired} injected ${fault} faults`);
  } else {
    verifyFailure(a, ["transient_error"]);
    ctx.note(`failed as expected (${[...a.sourceErrors, ...a.destErrors].map((e) => e.failure_type).join(", ")}), resumed`);
    if (!persistent && fault !== "hang") ctx.note(`note: a fault that fired only ${fired} times failed the sync`);
    await p.resumeUntilDone(2, { timeoutMs: 90_000 });
  }
  verifyTarget(ctx, p);
}

export function faultCases(full: boolean): CaseSpec[] {
  const out: CaseSpec[] = [];
  const shortSet = new Set(["source/list_snapshot/500", "source/document_deltas/reset", "source/json_schemas/429", "destination/import_airbyte_records/truncate", "destination/import_airbyte_records/503", "destination/add_primary_key_indexes/reset", "destination/primary_key_indexes_ready/500", "destination/clear_tables/429"]);
  for (const [side, routes] of [
    ["source", SOURCE_ROUTES],
    ["destination", DEST_ROUTES],
  ] as const) {
    for (const route of routes) {
      for (const fault of FAULTS) {
        const id = `${side}/${route}/${fault}`;
        const short = shortSet.has(id);
        if (!full && !short) continue;
        out.push({ id: `faults/${id}`, category: "faults", short, timeoutMs: 300_000, run: (ctx) => faultCase(ctx, side, route, fault, false) });
      }
      if (full) {
        for (const fault of ["500", "reset"] as Fault[]) {
          const id = `${side}/${route}/${fault}-persistent`;
          out.push({ id: `faults/${id}`, category: "faults", short: false, timeoutMs: 300_000, run: (ctx) => faultCase(ctx, side, route, fault, true) });
        }
      }
    }
  }
  return out;
}
