/**
 * The compiled source is SIGKILLed after a random number of output lines, again and again, while
 * the deployment keeps changing; each run resumes from the last STATE seen per stream. When a run
 * finally completes, the destination-side view equals the source tables.
 */
import { afterEach, describe, expect, it } from "vitest";
import { configuredCatalog, DestinationView, ofType, runBin, StateStore } from "../../source-convex/test/e2e-support.js";
import { ConvexEmulator, encodeValue } from "../src/index.js";

const KEY = "prod:kill-test-1|feedface";
let emu: ConvexEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
});

/** A deterministic PRNG so a failure can be replayed from the seed in the test name. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

describe("kill -9 at random points and resume", () => {
  for (const seed of [1, 2, 3]) {
    it(`loses nothing (seed ${seed})`, async () => {
      const random = rng(seed);
      const e = new ConvexEmulator({ adminKey: KEY, knobs: { snapshotPageSize: 7, deltasPageSize: 5 } });
      emu = e;
      await e.start();
      const tables = ["a", "b", "c"];
      const ids = new Map<string, string[]>();
      for (const t of tables) ids.set(t, e.insert(t, Array.from({ length: 25 }, (_, i) => ({ i, t, s: `${t}-${i}-é` }))));
      const mutate = () => {
        for (let k = 0; k < 3; k++) {
          const t = tables[Math.floor(random() * tables.length)] as string;
          const list = ids.get(t) as string[];
          const r = random();
          if (r < 0.4 || list.length === 0) list.push(...e.insert(t, [{ added: random() }]));
          else if (r < 0.7) e.transaction((tx) => tx.patch(list[Math.floor(random() * list.length)] as string, { patched: random() }));
          else {
            const at = Math.floor(random() * list.length);
            const [id] = list.splice(at, 1);
            e.transaction((tx) => tx.delete(id as string));
          }
        }
      };
      const cat = configuredCatalog([
        { name: "a", mode: "incremental" },
        { name: "b", mode: "incremental" },
        { name: "c", mode: "incremental" },
      ]);
      const view = new DestinationView();
      const states = new StateStore();
      let completed = false;
      for (let attempt = 0; attempt < 40 && !completed; attempt++) {
        mutate();
        const killAfter = attempt < 12 ? 1 + Math.floor(random() * 40) : undefined;
        const r = await runBin("read", { config: { deployment_url: e.url, access_key: KEY }, catalog: cat, state: states.value, killAfterLines: killAfter });
        // The destination commits what precedes the last state it saw; later records are replayed.
        const lastState = r.messages.map((m) => m.type).lastIndexOf("STATE");
        view.apply(r.messages.slice(0, lastState + 1));
        states.apply(r.messages);
        completed = r.code === 0;
        if (completed) view.apply(r.messages);
        for (const l of r.lines) expect(l).not.toContain("feedface");
      }
      expect(completed).toBe(true);
      // A final sync picks up the last mutations.
      const last = await runBin("read", { config: { deployment_url: e.url, access_key: KEY }, catalog: cat, state: states.value });
      expect(last.code).toBe(0);
      view.apply(last.messages);
      for (const t of tables) {
        const src = e.readTable(t);
        const dst = view.table(t);
        expect([...dst.keys()].sort()).toEqual(src.map((d) => String(d._id)).sort());
        for (const doc of src) {
          const clean = JSON.parse(encodeValue(doc, "json")) as Record<string, unknown>;
          const got = dst.get(String(doc._id)) as Record<string, unknown>;
          for (const [k, v] of Object.entries(clean)) expect(got[k]).toEqual(v);
        }
      }
      expect(ofType(last.messages, "STATE").length).toBeGreaterThan(0);
    });
  }
});
