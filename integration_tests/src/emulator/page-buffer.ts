/**
 * Builds an export page as UTF-8 bytes, writing each piece (a document's stored bytes, its `_ts`)
 * straight into one buffer. Joining texts into one string first and encoding that is several
 * times slower: the pieces become a cons string to flatten, and one two-byte document makes the
 * whole page a two-byte string.
 */
export class PageBuffer {
  private buf: Buffer;
  private pos = 0;

  constructor(capacity = 1 << 20) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  text(s: string): void {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    const need = this.pos + s.length * 3;
    if (need > this.buf.length) this.grow(need);
    this.pos += this.buf.write(s, this.pos);
  }

  /** Appends `src[start, end)`. */
  range(src: Buffer, start: number, end: number): void {
    const need = this.pos + end - start;
    if (need > this.buf.length) this.grow(need);
    src.copy(this.buf, this.pos, start, end);
    this.pos = need;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.grow(this.pos + 1);
    this.buf[this.pos++] = c;
  }

  /** The bytes written so far (a view: write nothing more afterwards). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
