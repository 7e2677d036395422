import { ConfigError } from "@convex-airbyte/shared";
import { describe, expect, it } from "vitest";
import { planStart } from "../src/read/sync.js";
import { parseSavedStates, parseStreamState } from "../src/state.js";

describe("state parsing", () => {
  it("reads the Python sample legacy state", () => {
    const m = parseSavedStates({ posts: { snapshot_cursor: "hi", snapshot_has_more: false, delta_cursor: 1 }, users: { snapshot_cursor: null, snapshot_has_more: true, delta_cursor: null } });
    expect(m.get("\u0000posts")).toEqual({ snapshot_cursor: "hi", snapshot_has_more: false, delta_cursor: 1n });
    expect(m.get("\u0000users")).toEqual({ snapshot_cursor: null, snapshot_has_more: true, delta_cursor: null });
  });
  it("reads the abnormal legacy state with extra delta_has_more and int64 cursors", () => {
    const m = parseSavedStates({ posts: { snapshot_cursor: "hi", snapshot_has_more: false, delta_cursor: 2652635567679741986n, delta_has_more: true } });
    expect(m.get("\u0000posts")?.delta_cursor).toBe(2652635567679741986n);
  });
  it("reads the STREAM array with namespaces, GLOBAL and single messages", () => {
    const m = parseSavedStates([
      { type: "STREAM", stream: { stream_descriptor: { name: "a", namespace: "comp" }, stream_state: { snapshot_cursor: null, snapshot_has_more: false, delta_cursor: 9n } }, sourceStats: { recordCount: 1 } },
      { type: "STREAM", stream: { stream_descriptor: { name: "b" }, stream_state: null } },
      { type: "GLOBAL", global: { stream_states: [{ stream_descriptor: { name: "c" }, stream_state: { delta_cursor: "12", snapshot_has_more: false } }] } },
    ]);
    expect(m.get("comp\u0000a")?.delta_cursor).toBe(9n);
    expect(m.has("\u0000b")).toBe(false);
    expect(m.get("\u0000c")).toEqual({ snapshot_cursor: null, snapshot_has_more: false, delta_cursor: 12n });
    expect(parseSavedStates({ type: "STREAM", stream: { stream_descriptor: { name: "x" }, stream_state: { delta_cursor: 3 } } }).get("\u0000x")?.delta_cursor).toBe(3n);
  });
  it("fills missing keys instead of failing (Python KeyError)", () => {
    expect(parseStreamState({ delta_cursor: 5 }, "x")).toEqual({ snapshot_cursor: null, snapshot_has_more: true, delta_cursor: 5n });
    expect(parseStreamState({ snapshot_has_more: false }, "x")).toEqual({ snapshot_cursor: null, snapshot_has_more: false, delta_cursor: null });
    expect(parseStreamState({}, "x")).toBeNull();
    expect(parseStreamState({ __ab_no_cursor_state_message: true }, "x")).toBeNull();
  });
  it("rejects malformed state with a ConfigError naming the stream and the key", () => {
    const cases: [unknown, RegExp][] = [
      [{ posts: { delta_cursor: "abc" } }, /posts.*delta_cursor/],
      [{ posts: { delta_cursor: 1.5 } }, /posts.*delta_cursor/],
      [{ posts: { snapshot_has_more: "yes" } }, /posts.*snapshot_has_more/],
      [{ posts: { snapshot_cursor: 5 } }, /posts.*snapshot_cursor/],
      [{ posts: 7 }, /posts.*not an object/],
      [[{ foo: 1 }], /state\[0\].*none of/],
      [[{ type: "STREAM", stream: { stream_state: {} } }], /stream_descriptor/],
      ["text", /array of state messages/],
    ];
    for (const [input, re] of cases) {
      expect(() => parseSavedStates(input)).toThrow(ConfigError);
      expect(() => parseSavedStates(input)).toThrow(re);
    }
  });
});

describe("planStart", () => {
  it("starts fresh, resumes snapshots, or continues deltas", () => {
    expect(planStart("incremental", undefined).phase).toBe("snapshot");
    expect(planStart("incremental", { snapshot_cursor: "c", snapshot_has_more: true, delta_cursor: 5n }).state.snapshot_cursor).toBe("c");
    expect(planStart("incremental", { snapshot_cursor: null, snapshot_has_more: false, delta_cursor: 5n }).phase).toBe("deltas");
    // Python sent document_deltas without a cursor here (400); we take a fresh snapshot instead.
    const p = planStart("incremental", { snapshot_cursor: null, snapshot_has_more: false, delta_cursor: null });
    expect(p.phase).toBe("snapshot");
    expect(p.warning).toMatch(/delta_cursor/);
    expect(planStart("full_refresh", { snapshot_cursor: null, snapshot_has_more: false, delta_cursor: 5n }).state.delta_cursor).toBeNull();
  });
});
