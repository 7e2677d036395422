import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { MessageWriter } from "../src/runtime/output.js";
import { SecretMasker } from "../src/runtime/secrets.js";

describe("MessageWriter", () => {
  it("writes one JSON object per line with exact int64", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (d: Buffer) => (text += d.toString()));
    const w = new MessageWriter(out);
    await w.record({ stream: "t", data: { _ts: 1152921504606846977n, a: "x\ny" }, emitted_at: 1 });
    await w.state({ type: "STREAM", stream: { stream_descriptor: { name: "t" }, stream_state: { delta_cursor: 1152921504606846977n } } });
    await w.flush();
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('"_ts":1152921504606846977');
    expect(lines[1]).toContain('"delta_cursor":1152921504606846977');
  });

  it("writes byte lines after the text lines buffered before them, and waits when the pipe is full", async () => {
    const chunks: Buffer[] = [];
    let release: (() => void) | undefined;
    const out = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(Buffer.from(chunk));
        release = cb;
      },
    });
    const w = new MessageWriter(out);
    expect(w.writeLine('{"type":"RECORD","n":1}', "RECORD")).toBeUndefined(); // buffered
    const full = w.writeBytes(Buffer.from('{"type":"RECORD","n":2}\n{"type":"RECORD","n":3}\n'));
    expect(full).toBeInstanceOf(Promise); // over the high-water mark: wait for 'drain'
    for (let i = 0; i < 3 && release; i++) {
      const r = release;
      release = undefined;
      r();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await full;
    const lines = Buffer.concat(chunks).toString().trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l).n)).toEqual([1, 2, 3]);
  });

  it("waits for a slow reader instead of buffering without bound", async () => {
    let pending: (() => void) | undefined;
    let written = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        written += chunk.length;
        pending = cb; // held until the test releases it
      },
    });
    const w = new MessageWriter(slow);
    const big = "z".repeat(70 * 1024);
    const first = w.record({ stream: "t", data: { big }, emitted_at: 1 });
    let done = false;
    void first.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false); // blocked on 'drain'
    expect(slow.writableLength).toBeGreaterThan(0);
    pending?.();
    await first;
    expect(done).toBe(true);
    expect(written).toBeGreaterThan(70 * 1024);
  });

  it("masks secrets in everything but record data", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (d: Buffer) => (text += d.toString()));
    const masker = new SecretMasker();
    masker.add(["prod:secret-deploy-key|abc123"]);
    const w = new MessageWriter(out, masker);
    await w.log("ERROR", "bad key prod:secret-deploy-key|abc123 used");
    await w.log("INFO", `url-encoded ${encodeURIComponent("prod:secret-deploy-key|abc123")}`);
    await w.flush();
    expect(text).not.toContain("abc123");
    expect(text).toContain("**********");
  });
});
