/**
 * A BYTE_ARRAY column built directly in Parquet's PLAIN layout (4-byte
 * little-endian length, then the bytes) as rows arrive.
 *
 * Why: the raw landing table stores every payload of a batch. Decoding each
 * base64 payload straight into this layout means the payload is written once,
 * the file writer compresses the buffer as it is, and the batch does not keep
 * 10,000 payload strings alive until it is encoded (which showed as garbage
 * collection time on the stream handler's path).
 */
import { isUtf8 } from 'node:buffer';
import { ByteSink } from './byte-sink.js';

export class PlainByteArrays {
  readonly sink = new ByteSink(256 * 1024);
  /** Number of values. */
  length = 0;

  /**
   * Appends the payload a base64 string encodes and returns it as text. Bytes
   * that are not valid UTF-8 are stored as the text shows them (U+FFFD), so the
   * column always holds valid UTF-8.
   */
  appendBase64(base64: string): string {
    const s = this.sink;
    s.reserve(4 + Math.ceil(base64.length / 4) * 3);
    const start = s.pos + 4;
    let n = s.buf.write(base64, start, 'base64');
    const text = s.buf.toString('utf8', start, start + n);
    // A one-byte (ASCII/Latin-1) string cannot hold U+FFFD: the usual case costs nothing.
    if (text.indexOf('\uFFFD') >= 0 && !isUtf8(s.buf.subarray(start, start + n))) {
      s.reserve(4 + text.length * 3);
      n = s.buf.write(text, start, 'utf8');
    }
    this.finish(n);
    return text;
  }

  /** Appends a string as UTF-8. */
  appendText(text: string): void {
    const s = this.sink;
    s.reserve(4 + text.length * 3);
    this.finish(s.buf.write(text, s.pos + 4, 'utf8'));
  }

  private finish(n: number): void {
    const s = this.sink;
    s.buf.writeInt32LE(n, s.pos);
    s.pos += 4 + n;
    this.length++;
  }

  /** The PLAIN-encoded values (a view, valid until the next append). */
  bytes(): Uint8Array {
    return this.sink.view();
  }
}
