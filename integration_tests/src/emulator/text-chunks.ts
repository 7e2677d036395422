/**
 * Where stored document texts live: their UTF-8 bytes, appended to large shared buffers. A
 * revision points at its bytes (chunk, start, end) instead of holding a string: no object per
 * document, one byte per character of ASCII and about half the memory of a two-byte string
 * otherwise, and export pages copy the bytes as they are. Written bytes never change, so
 * chunks can be shared by every emulator of the process; a chunk is freed once no revision
 * points into it.
 */

/**
 * A new chunk's size. V8 starts a full collection (marking every live object) each time the
 * memory held by buffers grows by 64 MiB, so small chunks would make filling a million documents
 * cost a dozen of them. One large chunk counts once, and its pages take memory only once written.
 */
const CHUNK_SIZE = 1 << 30;
/** Where smaller chunks stop when a large one cannot be had (a system that commits memory up front). */
const CHUNK_MIN = 8 << 20;

class TextChunks {
  /** The chunk being filled, and where its free space starts. */
  buf: Buffer = Buffer.alloc(0);
  pos = 0;

  /** Makes room for `n` more bytes at `pos` (in a new chunk when this one is full). */
  room(n: number): void {
    if (this.pos + n > this.buf.length) {
      this.buf = newChunk(n);
      this.pos = 0;
    }
  }

  /** Appends the UTF-8 of `s`: it is `buf[start, pos)` afterwards. Returns `start`. */
  append(s: string): number {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    this.room(3 * s.length);
    const start = this.pos;
    this.pos += this.buf.write(s, start, "utf8");
    return start;
  }
}

/** A chunk of at least `n` bytes: the largest of CHUNK_SIZE, halved down to CHUNK_MIN, that can be allocated. */
function newChunk(n: number): Buffer {
  for (let size = CHUNK_SIZE; ; size /= 2) {
    try {
      return Buffer.allocUnsafe(Math.max(size, n));
    } catch (e) {
      if (size <= CHUNK_MIN || size <= n) throw e;
    }
  }
}

export const textChunks = new TextChunks();
