/** Checks a configured catalog's shape before any connector logic reads it. */
import { InputError } from "../runtime/errors.js";
import type { ConfiguredAirbyteCatalog, ConfiguredAirbyteStream } from "./messages.js";

export function parseConfiguredCatalog(value: unknown, file = "catalog"): ConfiguredAirbyteCatalog {
  if (value === null || typeof value !== "object" || !Array.isArray((value as { streams?: unknown }).streams)) {
    throw new InputError(`The ${file} file is not a configured catalog: it needs a "streams" array.`);
  }
  const streams = (value as { streams: unknown[] }).streams;
  for (const [i, s] of streams.entries()) checkStream(s, i);
  return value as ConfiguredAirbyteCatalog;
}

function checkStream(s: unknown, i: number): asserts s is ConfiguredAirbyteStream {
  const where = `catalog streams[${i}]`;
  if (s === null || typeof s !== "object") throw new InputError(`${where} is not an object.`);
  const cs = s as Record<string, unknown>;
  const stream = cs.stream as Record<string, unknown> | undefined;
  if (!stream || typeof stream !== "object" || typeof stream.name !== "string") {
    throw new InputError(`${where} has no "stream" object with a "name".`);
  }
  const label = `catalog stream '${stream.name}'`;
  if (cs.sync_mode !== "full_refresh" && cs.sync_mode !== "incremental") {
    throw new InputError(`${label} has sync_mode ${JSON.stringify(cs.sync_mode)}; expected "full_refresh" or "incremental".`);
  }
  const dsm = cs.destination_sync_mode ?? "append";
  if (typeof dsm !== "string") throw new InputError(`${label} has an invalid destination_sync_mode.`);
  cs.destination_sync_mode = dsm;
  if (cs.primary_key !== undefined && cs.primary_key !== null) {
    const pk = cs.primary_key;
    if (!Array.isArray(pk) || !pk.every((p) => Array.isArray(p) && p.every((x) => typeof x === "string"))) {
      throw new InputError(`${label} has a primary_key that is not a list of field paths (e.g. [["id"]]).`);
    }
  }
}
