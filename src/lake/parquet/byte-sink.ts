/**
 * A growable little-endian byte buffer with the primitive writes Parquet pages
 * and Thrift compact metadata need. Integers arrive as JS numbers (safe
 * integers: ids and microsecond timestamps stay below 2^53), so 64-bit values
 * are split arithmetically instead of going through BigInt, which costs more
 * than the write itself on the hot path.
 */
const TWO_32 = 4294967296;

export class ByteSink {
  buf: Buffer;
  pos = 0;

  constructor(initial = 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }

  /** Unsigned LEB128 varint of a non-negative safe integer. */
  varint(v: number): void {
    this.reserve(8);
    const b = this.buf;
    while (v >= 0x80) {
      b[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[this.pos++] = v;
  }

  /** Zigzag varint (Thrift compact i16/i32/i64) of a safe integer. */
  zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  i32le(v: number): void {
    this.reserve(4);
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
  }

  i64le(v: number): void {
    this.reserve(8);
    const hi = Math.floor(v / TWO_32);
    this.buf.writeUInt32LE(v - hi * TWO_32, this.pos);
    this.buf.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** The bytes written so far (a view, not a copy). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
