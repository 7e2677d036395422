import { describe, expect, it } from "vitest";
import { ConvexEmulator, DocumentGenerator, generateDocuments, seedEmulator } from "../src/index.js";

describe("document generator", () => {
  it("is deterministic per seed and index", () => {
    const a = generateDocuments("users", 20, { seed: 7 });
    const b = generateDocuments("users", 20, { seed: 7 });
    const c = generateDocuments("users", 20, { seed: 8 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new DocumentGenerator({ seed: 7 }).user(5)).toEqual(a[5]);
  });

  it("produces varied types with ~500-byte documents", async () => {
    const emu = new ConvexEmulator();
    seedEmulator(emu, 2000, { seed: 1 });
    const users = emu.readTable("users");
    const sizes = users.map((d) => JSON.stringify(d, (_k, v) => (typeof v === "bigint" ? String(v) : v)).length);
    const avg = sizes.reduce((s, x) => s + x, 0) / sizes.length;
    expect(avg).toBeGreaterThan(250);
    expect(avg).toBeLessThan(900);
    expect(users.some((d) => typeof d.accountNumber === "bigint")).toBe(true);
    expect(users.some((d) => d.avatar instanceof Uint8Array)).toBe(true);
    expect(emu.tables().reduce((s, t) => s + t.count, 0)).toBe(2000);
    expect(emu.tables().some((t) => t.component === "analytics")).toBe(true);
  });

  it("large documents fit just under the 1 MiB limit", () => {
    const emu = new ConvexEmulator();
    const doc = new DocumentGenerator().large(0);
    expect(() => emu.insert("big", [doc])).not.toThrow();
    expect(() => emu.insert("big", [{ ...doc, extra: "x".repeat(4096) }])).toThrow(/Value is too large/);
  });
});
