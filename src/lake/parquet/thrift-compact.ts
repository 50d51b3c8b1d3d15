/**
 * Just enough of the Thrift compact protocol to write Parquet's metadata
 * structs (file footer and page headers): field headers with id deltas, zigzag
 * varints, binaries, lists and nested structs. Writing only — readers of these
 * files are DuckDB, Athena/Trino, Glue and hyparquet.
 */
import type { ByteSink } from './byte-sink.js';

/** Compact-protocol type ids. */
enum CType {
  True = 1,
  False = 2,
  I32 = 5,
  I64 = 6,
  Binary = 8,
  List = 9,
  Struct = 12,
}

export class CompactWriter {
  private lastField = 0;
  private readonly stack: number[] = [];

  constructor(readonly sink: ByteSink) {}

  private header(id: number, type: number): void {
    const delta = id - this.lastField;
    if (delta > 0 && delta <= 15) this.sink.u8((delta << 4) | type);
    else {
      this.sink.u8(type);
      this.sink.zigzag(id);
    }
    this.lastField = id;
  }

  i32(id: number, v: number): this {
    this.header(id, CType.I32);
    this.sink.zigzag(v);
    return this;
  }

  i64(id: number, v: number): this {
    this.header(id, CType.I64);
    this.sink.zigzag(v);
    return this;
  }

  bool(id: number, v: boolean): this {
    this.header(id, v ? CType.True : CType.False);
    return this;
  }

  binary(id: number, v: string | Uint8Array): this {
    this.header(id, CType.Binary);
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    this.sink.varint(b.length);
    this.sink.bytes(b);
    return this;
  }

  /** A nested struct field whose fields `body` writes. */
  struct(id: number, body: (w: this) => void): this {
    this.header(id, CType.Struct);
    this.beginStruct();
    body(this);
    this.endStruct();
    return this;
  }

  /** A list of i32 (Parquet enums). */
  i32List(id: number, values: readonly number[]): this {
    this.listHeader(id, CType.I32, values.length);
    for (const v of values) this.sink.zigzag(v);
    return this;
  }

  /** A list of strings. */
  stringList(id: number, values: readonly string[]): this {
    this.listHeader(id, CType.Binary, values.length);
    for (const v of values) {
      const b = Buffer.from(v, 'utf8');
      this.sink.varint(b.length);
      this.sink.bytes(b);
    }
    return this;
  }

  /** A list of structs, each written by `body`. */
  structList<T>(id: number, items: readonly T[], body: (w: this, item: T) => void): this {
    this.listHeader(id, CType.Struct, items.length);
    for (const item of items) {
      this.beginStruct();
      body(this, item);
      this.endStruct();
    }
    return this;
  }

  /** Writes a top-level struct (a page header or the file footer). */
  root(body: (w: this) => void): void {
    this.beginStruct();
    body(this);
    this.endStruct();
  }

  private listHeader(id: number, elem: number, size: number): void {
    this.header(id, CType.List);
    if (size < 15) this.sink.u8((size << 4) | elem);
    else {
      this.sink.u8(0xf0 | elem);
      this.sink.varint(size);
    }
  }

  private beginStruct(): void {
    this.stack.push(this.lastField);
    this.lastField = 0;
  }

  private endStruct(): void {
    this.sink.u8(0);
    this.lastField = this.stack.pop() ?? 0;
  }
}
