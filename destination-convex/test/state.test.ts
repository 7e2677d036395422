import { parseExact } from "@convex-airbyte/shared";
import { describe, expect, it } from "vitest";
import { CheckpointCounter, withDestinationStats } from "../src/state.js";

describe("withDestinationStats", () => {
  it("keeps every field byte for byte, including id, unknown keys and big integers", () => {
    const line =
      '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},"stream_state":{"cursor":1234567890123456789,"s":"a}\\"{"}},"sourceStats":{"recordCount":500.0},"id":17,"x-unknown":[1,{"y":null}]},"extra":true}';
    const out = withDestinationStats(line, { recordCount: 500 });
    expect(out).toBe(line.replace(',"x-unknown":[1,{"y":null}]}', ',"x-unknown":[1,{"y":null}],"destinationStats":{"recordCount":500}}'));
    const parsed = parseExact(out) as { state: { stream: { stream_state: { cursor: bigint } } } };
    expect(parsed.state.stream.stream_state.cursor).toBe(1234567890123456789n);
  });

  it("replaces destinationStats already present and handles spaces and empty objects", () => {
    expect(withDestinationStats('{ "type" : "STATE" , "state" : { "destinationStats" : {"recordCount": 9} , "id": 1 } }', { recordCount: 2 })).toBe(
      '{ "type" : "STATE" , "state" : { "destinationStats" : {"recordCount":2} , "id": 1 } }',
    );
    expect(withDestinationStats('{"type":"STATE","state":{}}', { recordCount: 0, rejectedRecordCount: 1 })).toBe(
      '{"type":"STATE","state":{"destinationStats":{"recordCount":0,"rejectedRecordCount":1}}}',
    );
  });

  it("is not fooled by keys named state inside strings or nested objects", () => {
    const line = '{"note":"\\"state\\":{}","nested":{"state":{"a":1}},"type":"STATE","state":{"type":"GLOBAL","global":{"stream_states":[]}}}';
    const out = withDestinationStats(line, { recordCount: 3 });
    const parsed = JSON.parse(out) as { nested: { state: unknown }; state: { destinationStats: unknown } };
    expect(parsed.nested.state).toEqual({ a: 1 });
    expect(parsed.state.destinationStats).toEqual({ recordCount: 3 });
  });
});

describe("CheckpointCounter", () => {
  it("counts per stream for STREAM states and everything for GLOBAL/LEGACY", () => {
    const c = new CheckpointCounter();
    c.accepted("a");
    c.accepted("a");
    c.accepted("b", "ns");
    c.rejected("b", "ns");
    expect(c.take({ type: "STREAM", stream: { stream_descriptor: { name: "a" } } })).toEqual({ recordCount: 2 });
    expect(c.take({ type: "STREAM", stream: { stream_descriptor: { name: "a" } } })).toEqual({ recordCount: 0 });
    c.accepted("a");
    expect(c.take({ type: "GLOBAL", global: { stream_states: [] } })).toEqual({ recordCount: 2, rejectedRecordCount: 1 });
    c.accepted("a");
    expect(c.take({ data: {} })).toEqual({ recordCount: 1 });
  });
});
