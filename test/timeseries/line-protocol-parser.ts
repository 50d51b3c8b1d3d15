/**
 * A small, independent InfluxDB line protocol parser for tests. It follows the
 * server's reading of escapes: a backslash escapes the next character only if
 * that character is special where it stands (comma or space in a measurement;
 * comma, equals sign or space in tag keys, tag values and field keys; double
 * quote or backslash inside a string field value); any other backslash is a
 * literal backslash.
 */
export interface ParsedLine {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | bigint | boolean | string>;
  timestamp: bigint | undefined;
}

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  get done() {
    return this.i >= this.s.length;
  }
  peek() {
    return this.s[this.i];
  }
}

function readToken(c: Cursor, stops: string, escapable: string): string {
  let out = '';
  while (!c.done) {
    const ch = c.peek()!;
    if (ch === '\\' && c.i + 1 < c.s.length && escapable.includes(c.s[c.i + 1]!)) {
      out += c.s[c.i + 1];
      c.i += 2;
      continue;
    }
    if (stops.includes(ch)) break;
    if (ch === '\n') throw new Error(`newline inside a token at ${c.i}`);
    out += ch;
    c.i++;
  }
  return out;
}

function expect(c: Cursor, ch: string): void {
  if (c.peek() !== ch) throw new Error(`expected ${JSON.stringify(ch)} at ${c.i}, found ${JSON.stringify(c.peek())} in ${JSON.stringify(c.s)}`);
  c.i++;
}

function readFieldValue(c: Cursor): number | bigint | boolean | string {
  if (c.peek() === '"') {
    c.i++;
    let out = '';
    for (;;) {
      if (c.done) throw new Error('unterminated string');
      const ch = c.peek()!;
      if (ch === '\\' && (c.s[c.i + 1] === '"' || c.s[c.i + 1] === '\\')) {
        out += c.s[c.i + 1];
        c.i += 2;
        continue;
      }
      if (ch === '"') {
        c.i++;
        return out;
      }
      out += ch;
      c.i++;
    }
  }
  const raw = readToken(c, ', ', '');
  if (/^-?\d+i$/.test(raw)) return BigInt(raw.slice(0, -1));
  if (/^(t|T|true|True|TRUE)$/.test(raw)) return true;
  if (/^(f|F|false|False|FALSE)$/.test(raw)) return false;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`bad field value ${JSON.stringify(raw)}`);
  return Number(raw);
}

export function parseLine(line: string): ParsedLine {
  const c = new Cursor(line);
  const measurement = readToken(c, ', ', ', ');
  if (measurement === '') throw new Error('missing measurement');
  const tags: Record<string, string> = {};
  while (c.peek() === ',') {
    c.i++;
    const k = readToken(c, '=, ', ',= ');
    expect(c, '=');
    const v = readToken(c, '=, ', ',= ');
    if (c.peek() === '=') throw new Error(`unescaped "=" in tag value at ${c.i}`);
    if (k === '' || v === '') throw new Error('empty tag key or value');
    if (k in tags) throw new Error(`duplicate tag ${k}`);
    tags[k] = v;
  }
  expect(c, ' ');
  const fields: ParsedLine['fields'] = {};
  for (;;) {
    const k = readToken(c, '=, ', ',= ');
    expect(c, '=');
    if (k === '') throw new Error('empty field key');
    if (k in fields) throw new Error(`duplicate field ${k}`);
    fields[k] = readFieldValue(c);
    if (c.peek() !== ',') break;
    c.i++;
  }
  let timestamp: bigint | undefined;
  if (!c.done) {
    expect(c, ' ');
    const t = c.s.slice(c.i);
    if (!/^-?\d+$/.test(t)) throw new Error(`bad timestamp ${JSON.stringify(t)}`);
    timestamp = BigInt(t);
  }
  return { measurement, tags, fields, timestamp };
}
