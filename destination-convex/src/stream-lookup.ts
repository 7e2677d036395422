/**
 * Finds a stream from the bytes of its name and namespace in a RECORD line without decoding them
 * for every record: the streams seen last are compared byte by byte, and any other is decoded and
 * looked up once, then remembered.
 */
import { spanIs } from "@convex-airbyte/shared";

/** Streams compared before decoding; a sync with more streams than this still works, just slower. */
const RECENT = 16;

interface Recent<S> {
  name: Uint8Array;
  /** Undefined: no namespace. */
  namespace: Uint8Array | undefined;
  stream: S;
}

/** Keeps a leading U+FEFF, which is part of the JSON string (the default decoder drops it). */
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

export class StreamsByBytes<S> {
  private readonly recent: Recent<S>[] = [];

  /** `lookup` finds a stream by name and namespace (undefined: none), or gives undefined. */
  constructor(private readonly lookup: (name: string, namespace: string | undefined) => S | undefined) {}

  /** The stream named by the UTF-8 bytes `b[nameStart, nameEnd)` and `b[nsStart, nsEnd)` (`nsStart` -1: none). */
  find(b: Uint8Array, nameStart: number, nameEnd: number, nsStart: number, nsEnd: number): S | undefined {
    const recent = this.recent;
    for (let i = 0; i < recent.length; i++) {
      const r = recent[i] as Recent<S>;
      if (!spanIs(b, nameStart, nameEnd, r.name)) continue;
      if (nsStart < 0 ? r.namespace === undefined : r.namespace !== undefined && spanIs(b, nsStart, nsEnd, r.namespace)) {
        // Most recent first: records of one stream usually come in runs.
        if (i > 0) {
          recent.splice(i, 1);
          recent.unshift(r);
        }
        return r.stream;
      }
    }
    // Copies (a Buffer's `slice` would share the line's memory).
    const name = Uint8Array.from(b.subarray(nameStart, nameEnd));
    const namespace = nsStart < 0 ? undefined : Uint8Array.from(b.subarray(nsStart, nsEnd));
    const stream = this.lookup(decoder.decode(name), namespace === undefined ? undefined : decoder.decode(namespace));
    if (stream !== undefined) {
      recent.unshift({ name, namespace, stream });
      if (recent.length > RECENT) recent.pop();
    }
    return stream;
  }
}
