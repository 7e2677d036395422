import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { InputError } from "../src/runtime/errors.js";
import { type InputLine, isLineReader, readLines } from "../src/runtime/stdin-lines.js";

async function collect(chunks: (string | Buffer)[], maxLineBytes?: number): Promise<InputLine[]> {
  const out: InputLine[] = [];
  for await (const line of readLines(Readable.from(chunks), maxLineBytes ? { maxLineBytes } : {})) out.push(line);
  return out;
}

describe("readLines", () => {
  it("splits lines across chunk boundaries and numbers them", async () => {
    const lines = await collect(['{"a":', '1}\n{"b"', ":2}\n", '{"c":3}\n']);
    expect(lines.map((l) => [l.lineNumber, l.text])).toEqual([
      [1, '{"a":1}'],
      [2, '{"b":2}'],
      [3, '{"c":3}'],
    ]);
  });

  it("tolerates CRLF and blank lines but keeps counting them", async () => {
    const lines = await collect(["one\r\n\r\n\ntwo\r\n"]);
    expect(lines.map((l) => [l.lineNumber, l.text])).toEqual([
      [1, "one"],
      [4, "two"],
    ]);
  });

  it("flags a last line without a newline", async () => {
    const lines = await collect(["a\nb"]);
    const last = lines.at(-1);
    expect([last?.text, last?.lineNumber, last?.unterminated]).toEqual(["b", 2, true]);
    expect(lines[0]?.unterminated).toBe(false);
  });

  it("reports invalid UTF-8 with the line number", async () => {
    await expect(collect([Buffer.from("ok\n"), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a])])).rejects.toThrow(/line 2: .*UTF-8/);
  });

  it("keeps multi-byte characters split across chunks", async () => {
    const bytes = Buffer.from('{"k":"héllo ✓"}\n');
    const lines = await collect([bytes.subarray(0, 8), bytes.subarray(8, 9), bytes.subarray(9)]);
    expect(lines[0]?.text).toBe('{"k":"héllo ✓"}');
  });

  it("reads a 64 MiB line and refuses one over the limit", async () => {
    const big = "x".repeat(64 * 1024 * 1024);
    const chunks: string[] = [];
    for (let i = 0; i < big.length; i += 1 << 20) chunks.push(big.slice(i, i + (1 << 20)));
    chunks.push("\nnext\n");
    const lines = await collect(chunks);
    expect(lines[0]?.text.length).toBe(big.length);
    expect(lines[1]?.text).toBe("next");
    const err = await collect(["ok\n", "y".repeat(2048), "\n"], 1024).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String((err as Error).message)).toMatch(/^line 2: .*longer than/);
  });
});

describe("readLines as bytes", () => {
  it("gives each line's bytes, and the same text decoded from them", async () => {
    const lines = await collect(['{"k":"héllo ✓"}\r\n{"b"', ":2}\n\n", "last"]);
    expect(lines.map((l) => [l.lineNumber, l.text, Buffer.from(l.bytes ?? []).toString("utf8")])).toEqual([
      [1, '{"k":"héllo ✓"}', '{"k":"héllo ✓"}'],
      [2, '{"b":2}', '{"b":2}'],
      [4, "last", "last"],
    ]);
  });

  it("skips lines that are only whitespace, Unicode spaces included, and drops a byte-order mark from the text", async () => {
    const lines = await collect(["\u00a0\u2003\n \t\n\ufeff\n\ufeff{}\n"]);
    expect(lines.map((l) => [l.lineNumber, l.text])).toEqual([[4, "{}"]]);
  });

  it("hands out the lines already read without waiting (readyLine)", async () => {
    const reader = readLines(Readable.from(["a\nb\nc\n", "d\n"]));
    expect(reader.readyLine()).toBeUndefined();
    const first = await reader.next();
    expect(first.value?.text).toBe("a");
    expect([reader.readyLine()?.text, reader.readyLine()?.text, reader.readyLine()]).toEqual(["b", "c", undefined]);
    expect((await reader.next()).value?.text).toBe("d");
    expect(await reader.next()).toEqual({ value: undefined, done: true });
    expect(isLineReader(reader)).toBe(true);
  });

  it("reports invalid UTF-8 only after the good lines before it in the same chunk", async () => {
    const chunk = Buffer.concat([Buffer.from("one\ntwo\n"), Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d, 0x0a]), Buffer.from("four\n")]);
    const got: string[] = [];
    const err = await (async () => {
      for await (const l of readLines(Readable.from([chunk]))) got.push(l.text);
    })().catch((e: unknown) => e);
    expect(got).toEqual(["one", "two"]);
    expect(err).toBeInstanceOf(InputError);
    expect(String((err as Error).message)).toMatch(/^line 3: .*UTF-8/);
  });

  it("reports invalid UTF-8 in a line split across chunks, and in a last line without newline", async () => {
    await expect(collect(["ok\n{", Buffer.from([0xc3]), Buffer.from([0x28, 0x7d, 0x0a])])).rejects.toThrow(/line 2: .*UTF-8/);
    await expect(collect(["ok\n", Buffer.from([0x7b, 0xff])])).rejects.toThrow(/line 2: .*UTF-8/);
  });

  it("stops on return()", async () => {
    const reader = readLines(Readable.from(["a\nb\n", "c\n"]));
    expect((await reader.next()).value?.text).toBe("a");
    await reader.return?.();
    expect(reader.readyLine()).toBeUndefined();
    expect(await reader.next()).toEqual({ value: undefined, done: true });
  });
});

describe("standardInput", () => {
  // A child reads its stdin through standardInput and prints the size of each chunk it got.
  const script = `import { standardInput } from ${JSON.stringify(new URL("../dist/runtime/stdin-lines.js", import.meta.url).href)};
const sizes = []; for await (const c of standardInput()) sizes.push(c.length);
process.stdout.write(JSON.stringify(sizes));`;
  const lines = Array.from({ length: 20_000 }, (_, i) => `{"line":${i}}`).join("\n");

  it("reads a regular file 256 KiB at a time, and a pipe as process.stdin does, whole either way", () => {
    const dir = mkdtempSync(join(tmpdir(), "stdin-"));
    try {
      const file = join(dir, "in.jsonl");
      writeFileSync(file, lines);
      const fd = openSync(file, "r");
      const fromFile = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { stdio: [fd, "pipe", "pipe"], encoding: "utf8" })) as number[];
      closeSync(fd);
      expect(fromFile[0]).toBe(256 * 1024);
      expect(fromFile.reduce((a, b) => a + b, 0)).toBe(Buffer.byteLength(lines));
      const fromPipe = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { input: lines, encoding: "utf8" })) as number[];
      expect(Math.max(...fromPipe)).toBeLessThanOrEqual(64 * 1024);
      expect(fromPipe.reduce((a, b) => a + b, 0)).toBe(Buffer.byteLength(lines));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
