import { describe, expect, it } from "vitest";
import type { Batch } from "../src/batcher.js";
import { keyHashes } from "../src/key-hashes.js";
import { Pipeline } from "../src/pipeline.js";

/** The key texts each test batch was given, by tag. */
const keyTexts = new Map<number, readonly string[]>();

/** A batch identified by `tag` (its body's text and its line numbers); `keys` as in Batch, as texts. */
function batch(table: string, records: number, tag: number, keys?: readonly string[]): Batch {
  const b: Batch = { table, body: Buffer.from(String(tag)), records, bytes: 1, firstLine: tag, lastLine: tag };
  if (keys !== undefined) {
    b.keys = keyHashes(keys);
    keyTexts.set(tag, keys);
  }
  return b;
}

function tagOf(b: Batch): string {
  return Buffer.from(b.body).toString();
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
        log.push(`${b.table}:${tagOf(b)}`);
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
          gates.set(tagOf(b), () => {
            committed.push(tagOf(b));
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
        if (tagOf(b) === "2") throw new Error("boom");
        sent.push(tagOf(b));
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

  it("sends nothing and writes no state before `ready` resolves, while batches are handed over", async () => {
    const sent: string[] = [];
    const emitted: string[] = [];
    let open: () => void = () => {};
    const p = new Pipeline({
      maxInFlight: 2,
      ready: new Promise<void>((r) => (open = r)),
      send: async (b) => void sent.push(tagOf(b)),
      emitState: async (line) => void emitted.push(line),
    });
    p.pushState("before any record");
    p.noteRecord("t");
    p.submit(batch("t", 1, 1));
    p.pushState("s1");
    await tick();
    expect(sent).toEqual([]);
    expect(emitted).toEqual([]);
    expect(p.hasCapacity).toBe(true); // one of two handed over: the reader goes on
    p.noteRecord("t");
    p.submit(batch("t", 1, 2));
    expect(p.hasCapacity).toBe(false);
    open();
    await p.idle();
    expect(sent).toEqual(["1", "2"]);
    expect(emitted).toEqual(["before any record", "s1"]);
  });

  it("fails with `ready`'s error, sending nothing and writing no state; idle waits for it", async () => {
    const sent: string[] = [];
    const emitted: string[] = [];
    let reject: (e: Error) => void = () => {};
    const p = new Pipeline({
      maxInFlight: 1,
      ready: new Promise<void>((_r, j) => (reject = j)),
      send: async (b) => void sent.push(tagOf(b)),
      emitState: async (line) => void emitted.push(line),
    });
    p.pushState("s0");
    p.noteRecord("t");
    p.submit(batch("t", 1, 1));
    const waiting = p.waitForCapacity();
    const idle = p.idle();
    reject(new Error("indexes not ready"));
    await waiting; // a waiting reader is woken, and sees the failure
    await idle;
    expect(p.failure?.error).toEqual(new Error("indexes not ready"));
    expect(sent).toEqual([]);
    expect(emitted).toEqual([]);
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

  /** A pipeline whose sends wait until released by tag; records what is in flight. */
  function gated(maxInFlight: number) {
    const gates = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
    const started: string[] = [];
    const emitted: string[] = [];
    const p = new Pipeline({
      maxInFlight,
      send: (b) =>
        new Promise<void>((resolve, reject) => {
          started.push(tagOf(b));
          gates.set(tagOf(b), { resolve, reject });
        }),
      emitState: async (line) => {
        emitted.push(line);
      },
    });
    const settle = async (tag: number, error?: Error) => {
      const g = gates.get(String(tag));
      if (g === undefined) throw new Error(`batch ${tag} was not started`);
      if (error === undefined) g.resolve();
      else g.reject(error);
      await tick();
    };
    return { p, started, emitted, settle };
  }

  function submit(p: Pipeline, b: Batch): void {
    for (let i = 0; i < b.records; i++) p.noteRecord(b.table);
    p.submit(b);
  }

  it("runs a table's batches with disjoint keys at the same time", async () => {
    const { p, started, settle } = gated(4);
    submit(p, batch("t", 2, 1, ["a", "b"]));
    submit(p, batch("t", 2, 2, ["c", "d"]));
    submit(p, batch("t", 1, 3, ["e"]));
    await tick();
    expect(started).toEqual(["1", "2", "3"]);
    expect(p.peakInFlight).toBe(3);
    for (const t of [2, 1, 3]) await settle(t);
    await p.idle();
  });

  it("holds a batch that shares a key with one in flight, and the table's later batches behind it", async () => {
    const { p, started, settle } = gated(4);
    submit(p, batch("t", 2, 1, ["a", "b"]));
    submit(p, batch("t", 1, 2, ["b"])); // a later write of "b": must wait for batch 1
    submit(p, batch("t", 1, 3, ["z"])); // disjoint, but may not overtake batch 2
    submit(p, batch("u", 1, 4, ["b"])); // another table: keys are per table
    await tick();
    expect(started).toEqual(["1", "4"]);
    await settle(1);
    expect(started).toEqual(["1", "4", "2", "3"]);
    for (const t of [2, 3, 4]) await settle(t);
    await p.idle();
  });

  it("runs a batch without keys alone within its table", async () => {
    const { p, started, settle } = gated(4);
    submit(p, batch("t", 1, 1, ["a"]));
    submit(p, batch("t", 1, 2)); // unknown keys: waits for 1
    submit(p, batch("t", 1, 3, ["q"])); // waits for 2
    await tick();
    expect(started).toEqual(["1"]);
    await settle(1);
    expect(started).toEqual(["1", "2"]);
    await settle(2);
    expect(started).toEqual(["1", "2", "3"]);
    await settle(3);
    await p.idle();
  });

  it("lets append batches (empty key lists) of one table overlap, up to the limit", async () => {
    const { p, started, settle } = gated(2);
    for (let i = 1; i <= 4; i++) submit(p, batch("t", 1, i, []));
    await tick();
    expect(started).toEqual(["1", "2"]);
    await settle(2);
    expect(started).toEqual(["1", "2", "3"]);
    for (const t of [1, 3]) await settle(t);
    expect(started).toEqual(["1", "2", "3", "4"]);
    await settle(4);
    await p.idle();
    expect(p.peakInFlight).toBe(2);
  });

  it("writes a state only when every batch before it is committed, even when later ones commit first", async () => {
    const { p, emitted, settle } = gated(4);
    submit(p, batch("t", 2, 1, ["a", "b"]));
    p.pushState("s1");
    submit(p, batch("t", 3, 2, ["c"]));
    p.pushState("s2");
    submit(p, batch("t", 1, 3, ["d"]));
    p.pushState("s3");
    await tick();
    await settle(3);
    await settle(2);
    expect(emitted).toEqual([]);
    await settle(1);
    await p.idle();
    expect(emitted).toEqual(["s1", "s2", "s3"]);
  });

  it("after a failure of one of several batches in flight, writes only the states before the failed one", async () => {
    const { p, emitted, settle } = gated(4);
    submit(p, batch("t", 1, 1, ["a"]));
    p.pushState("s1");
    submit(p, batch("t", 1, 2, ["b"]));
    p.pushState("s2");
    submit(p, batch("t", 1, 3, ["c"]));
    p.pushState("s3");
    submit(p, batch("t", 1, 4, ["c"])); // waits for 3
    p.pushState("s4");
    await tick();
    await settle(3); // batch 4 starts
    await settle(2, new Error("boom"));
    await settle(1);
    await settle(4); // in flight when 2 failed: it settles, but nothing after 2 counts
    await p.idle();
    expect(emitted).toEqual(["s1"]);
    expect(p.failure?.error).toEqual(new Error("boom"));
    expect(p.pendingStates).toBe(3);
  });

  it("never has two in-flight batches of a table sharing a key (randomized)", async () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const inFlight = new Map<number, readonly string[]>();
    const order: number[] = [];
    const p = new Pipeline({
      maxInFlight: 5,
      send: async (b) => {
        const keys = keyTexts.get(b.firstLine) ?? [];
        for (const other of inFlight.values()) for (const k of keys) expect(other).not.toContain(k);
        if (b.keys === undefined) expect(inFlight.size).toBe(0);
        inFlight.set(b.firstLine, keys);
        await new Promise((r) => setTimeout(r, rand(4)));
        inFlight.delete(b.firstLine);
        order.push(b.firstLine);
      },
      emitState: async () => {},
    });
    /** The batch that last wrote each key must commit before the next one that writes it. */
    const lastWriter = new Map<string, number>();
    const mustFollow: [number, number][] = [];
    for (let i = 1; i <= 200; i++) {
      const keys = Array.from({ length: 1 + rand(3) }, () => `k${rand(40)}`);
      const b = rand(10) === 0 ? batch("t", 1, i) : batch("t", 1, i, keys);
      for (const k of keys) {
        const prev = lastWriter.get(k);
        if (prev !== undefined && prev !== i) mustFollow.push([prev, i]);
        lastWriter.set(k, i);
      }
      submit(p, b);
      await p.waitForCapacity();
    }
    await p.idle();
    expect(order.length).toBe(200);
    const at = new Map(order.map((tag, i) => [tag, i]));
    for (const [before, after] of mustFollow) expect(at.get(before)).toBeLessThan(at.get(after) as number);
    expect(p.peakInFlight).toBeGreaterThan(1);
  });
});
