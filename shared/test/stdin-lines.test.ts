import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { InputError } from "../src/runtime/errors.js";
import { type InputLine, readLines } from "../src/runtime/stdin-lines.js";

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
    expect(lines.at(-1)).toEqual({ text: "b", lineNumber: 2, unterminated: true });
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
