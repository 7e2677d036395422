import { describe, expect, it } from "vitest";
import { recordDataSpan } from "../src/record-text.js";

function dataText(line: string): string | undefined {
  const span = recordDataSpan(line);
  return span === undefined ? undefined : line.slice(span[0], span[1]);
}

/** The span must hold exactly the value JSON.parse gives for record.data. */
function agrees(line: string): void {
  const parsed = (JSON.parse(line) as { record?: { data?: unknown } }).record?.data;
  const text = dataText(line);
  if (parsed === undefined) expect(text).toBeUndefined();
  else expect(JSON.parse(text as string)).toEqual(parsed);
}

describe("recordDataSpan", () => {
  it("finds the data of a usual RECORD line, as it is written (big integers keep their digits)", () => {
    const line = '{"type":"RECORD","record":{"stream":"s","data":{"_ts":1795442349408543211,"a":[1,{"b":"}"}]},"emitted_at":1}}';
    expect(dataText(line)).toBe('{"_ts":1795442349408543211,"a":[1,{"b":"}"}]}');
  });

  it("handles any member order, whitespace, and scalar data", () => {
    for (const line of [
      '{"record":{"data":{"x":1},"stream":"s"},"type":"RECORD"}',
      ' { "type" : "RECORD" , "record" : { "emitted_at" : 5 , "data" : [ 1 , "]" ] , "namespace" : null } } ',
      '{"type":"RECORD","record":{"stream":"s","data":"text \\" with } and ]"}}',
      '{"type":"RECORD","record":{"stream":"s","data":-1.5e3}}',
      '{"type":"RECORD","record":{"stream":"s","data":null}}',
      '{"type":"RECORD","record":{"stream":"s","data":{}}}',
    ]) {
      agrees(line);
    }
  });

  it("is not fooled by data-like text inside strings or nested objects", () => {
    for (const line of [
      '{"type":"RECORD","record":{"stream":"\\"data\\":{\\"x\\":1}","meta":{"data":{"wrong":1}},"data":{"right":2}}}',
      '{"note":"\\"record\\":{\\"data\\":1}","record":{"data":{"ok":true},"x":"\\\\"}}',
      '{"type":"RECORD","record":{"stream":"s","data":{"s":"\\\\\\"}{["}}}',
    ]) {
      agrees(line);
    }
  });

  it("takes the last member when a key repeats, as JSON.parse does", () => {
    agrees('{"type":"RECORD","record":{"stream":"s","data":{"first":1},"data":{"last":2}}}');
    agrees('{"record":{"data":{"first":1}},"record":{"stream":"s","data":{"last":2}}}');
    agrees('{"record":{"data":{"first":1}},"record":{"stream":"s"}}');
    agrees('{"record":{"data":{"first":1}},"record":5}');
  });

  it("decodes escaped keys", () => {
    agrees('{"type":"RECORD","\\u0072ecord":{"stream":"s","d\\u0061ta":{"x":1},"data\\u0000":{"y":2}}}');
  });

  it("returns undefined without a record or data", () => {
    expect(recordDataSpan('{"type":"STATE","state":{}}')).toBeUndefined();
    expect(recordDataSpan('{"type":"RECORD","record":{"stream":"s"}}')).toBeUndefined();
    expect(recordDataSpan('{"type":"RECORD","record":[{"data":1}]}')).toBeUndefined();
    expect(recordDataSpan("{}")).toBeUndefined();
  });

  it("agrees with JSON.parse on random messages", () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const strings = ["", "data", '"data":{', "}", "]", "\\", '\\"', "é❤️", "record", "\u2028", "{[", "\u0000"];
    const value = (depth: number): unknown => {
      switch (rand(depth > 3 ? 4 : 6)) {
        case 0:
          return strings[rand(strings.length)];
        case 1:
          return rand(2) === 0 ? rand(1000) - 500 : rand(100000) / 7;
        case 2:
          return rand(2) === 0 ? null : rand(2) === 0;
        case 3:
          return `s${rand(10)}`;
        case 4:
          return Array.from({ length: rand(4) }, () => value(depth + 1));
        default:
          return Object.fromEntries(Array.from({ length: rand(4) }, () => [strings[rand(strings.length)] as string, value(depth + 1)]));
      }
    };
    const ws = () => [" ", "", "\t", ""][rand(4)] as string;
    for (let n = 0; n < 500; n++) {
      const members: [string, string][] = [["stream", JSON.stringify(`s${n}`)]];
      if (rand(2) === 0) members.push(["data", JSON.stringify(value(0))]);
      if (rand(3) === 0) members.push(["meta", JSON.stringify(value(0))]);
      if (rand(4) === 0) members.push(["data", JSON.stringify(value(0))]);
      members.push(["emitted_at", String(rand(1e9))]);
      if (rand(2) === 0) members.reverse();
      const record = `{${members.map(([k, v]) => `${ws()}${JSON.stringify(k)}${ws()}:${ws()}${v}${ws()}`).join(",")}}`;
      const line = rand(2) === 0 ? `{"type":"RECORD",${ws()}"record":${ws()}${record}}` : `{"record":${record},"type":"RECORD"}`;
      agrees(line);
    }
  });
});
