import { describe, expect, it } from "vitest";
import type { Batch } from "../src/batcher.js";
import { Pipeline } from "../src/pipeline.js";

function batch(table: string, records: number, tag: number): Batch {
  return { table, body: String(tag), records, bytes: 1, firstLine: tag, lastLine: tag };
}

const tick = () => new Promise<void>((r) => setTimeout(r, Math.random() * 5));

describe("Pipeline", () => {
  it("keeps each table's batches in order and bounds requests in flight", async () => {
    const log: string[] = [];
    let inFlight = 0;
    let maxSeen = 0;
    const p = new Pipeline({
      maxInFlight: 3,
      send: async (b) => {
        inFlight++;
        maxSeen = Math.max(maxSeen, inFlight);
        await tick();
        log.push(`${b.table}:${b.body}`);
        inFlight--;
      },
      emitState: async () => {},
    });
    for (let i = 0; i < 60; i++) {
      p.noteRecord(`t${i % 5}`);
      p.submit(batch(`t${i % 5}`, 1, i));
      await p.waitForCapacity();
    }
    await p.idle();
    expect(maxSeen).toBeLessThanOrEqual(3);
    expect(maxSeen).toBeGreaterThan(1);
    for (let t = 0; t < 5; t++) {
      const seq = log.filter((l) => l.startsWith(`t${t}:`)).map((l) => Number(l.split(":")[1]));
      expect(seq).toEqual([...seq].sort((a, b) => a - b));
      expect(seq.length).toBe(12);
    }
  });

  it("writes a state only after every record before it is committed, in arrival order", async () => {
    const committed: string[] = [];
    const emitted: { line: string; committed: string[] }[] = [];
    const gates = new Map<string, () => void>();
    const p = new Pipeline({
      maxInFlight: 4,
      send: (b) =>
        new Promise<void>((resolve) => {
          gates.set(b.body, () => {
            committed.push(b.body);
            resolve();
          });
        }),
      emitState: async (line) => {
        emitted.push({ line, committed: [...committed] });
      },
    });
    p.pushState("s0"); // nothing pending: written at once
    p.noteRecord("a");
    p.submit(batch("a", 1, 1));
    p.noteRecord("b");
    p.submit(batch("b", 1, 2));
    p.pushState("s1");
    p.noteRecord("b");
    p.submit(batch("b", 1, 3));
    p.pushState("s2");
    await tick();
    gates.get("2")?.();
    await tick();
    expect(emitted.map((e) => e.line)).toEqual(["s0"]);
    gates.get("1")?.();
    await tick();
    expect(emitted.map((e) => e.line)).toEqual(["s0", "s1"]);
    gates.get("3")?.();
    await p.idle();
    expect(emitted.map((e) => e.line)).toEqual(["s0", "s1", "s2"]);
    expect(emitted[1]?.committed).toEqual(expect.arrayContaining(["1", "2"]));
    expect(emitted[2]?.committed).toEqual(expect.arrayContaining(["1", "2", "3"]));
  });

  it("after a failure sends nothing more and writes no state beyond what was committed", async () => {
    const sent: string[] = [];
    const emitted: string[] = [];
    const p = new Pipeline({
      maxInFlight: 1,
      send: async (b) => {
        await tick();
        if (b.body === "2") throw new Error("boom");
        sent.push(b.body);
      },
      emitState: async (line) => {
        emitted.push(line);
      },
    });
    for (let i = 1; i <= 4; i++) {
      p.noteRecord("t");
      p.submit(batch("t", 1, i));
      p.pushState(`after${i}`);
    }
    await p.idle();
    expect(sent).toEqual(["1"]);
    expect(emitted).toEqual(["after1"]);
    expect(p.failure?.error).toEqual(new Error("boom"));
    expect(p.pendingStates).toBe(3);
  });

  it("stop() lets in-flight batches settle and writes no further state", async () => {
    const emitted: string[] = [];
    let release: () => void = () => {};
    const p = new Pipeline({
      maxInFlight: 2,
      send: () => new Promise<void>((r) => (release = r)),
      emitState: async (line) => {
        emitted.push(line);
      },
    });
    p.noteRecord("t");
    p.submit(batch("t", 1, 1));
    p.pushState("s");
    await tick();
    p.stop();
    release();
    await p.idle();
    expect(emitted).toEqual([]);
  });
});
