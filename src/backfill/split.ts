/**
 * The stage step's split of a trade file into pieces of one UTC day each, so
 * that no statement of the backfill writes more than 24 hour partitions
 * (Athena's `UNLOAD` writes at most 100 per statement, and Binance's monthly
 * archives span ~744 hours). Pure: bytes in, bytes out through
 * {@link PieceSink}s the caller opens (gzip to S3 in the cloud, plain files
 * locally).
 *
 * A piece is a run of consecutive lines: a line whose trade time can be read
 * ({@link csvLineTimeUs}) goes to the piece of its day, starting a new piece
 * when the day changes; any other line (header, blank, malformed) stays with
 * the piece before it. So every valid trade lies in its day's piece, the
 * pieces of a time-ordered file (Binance's are) are one per day, and a piece's
 * line `k` is line `firstLine + k` of the file (quarantine rows keep the
 * file's line numbers).
 */
import { dateOfDay, dayNumber } from '../core/time.js';
import { csvLineTimeUs } from '../sources/binance-trades/index.js';

/** Where the bytes of one piece go. */
export interface PieceSink {
  /** Appends bytes; resolves when the sink can take more (back-pressure). */
  write(chunk: Uint8Array): Promise<void> | void;
  /** Ends the piece; resolves when it is stored. */
  end(): Promise<void>;
  /** Gives the piece up (the input failed): resolves once nothing of it is pending. */
  abort?(): Promise<void>;
}

/** One piece as split. */
export interface SplitPiece {
  /** Position among the file's pieces (0-based). */
  readonly piece: number;
  /** The UTC day (`yyyy-MM-dd`) of every trade time in the piece; undefined when no line has one. */
  readonly day: string | undefined;
  /** Lines of the file before the piece's first line. */
  readonly firstLine: number;
  readonly lines: number;
  readonly bytes: number;
}

/**
 * Pieces one file may be split into: a month is 31, a year 366. More means the
 * lines go back and forth between days (not a time-ordered trade file).
 */
export const MAX_PIECES_PER_FILE = 400;

const NEWLINE = 10;

/**
 * Splits the bytes of a CSV trade file into day pieces, writing each through
 * the sink `open` returns for it (one piece open at a time).
 * @param nowUs processing clock: times past it (+ the allowed skew) are not trade times
 */
export async function splitByDay(
  input: AsyncIterable<Uint8Array>,
  nowUs: number,
  open: (piece: number, day: string | undefined) => PieceSink | Promise<PieceSink>,
): Promise<SplitPiece[]> {
  const ctx = { nowUs };
  const pieces: SplitPiece[] = [];
  let sink: PieceSink | undefined;
  let current: { day: string | undefined; firstLine: number; lines: number; bytes: number } | undefined;
  let lineNo = 0;
  let lastDayNumber = Number.NaN;
  let lastDay: string | undefined;

  const close = async () => {
    if (!current || !sink) return;
    await sink.end();
    pieces.push({ piece: pieces.length, ...current });
    sink = undefined;
    current = undefined;
  };
  const start = async (day: string | undefined) => {
    await close();
    if (pieces.length >= MAX_PIECES_PER_FILE)
      throw new Error(`more than ${MAX_PIECES_PER_FILE} day pieces: the lines go back and forth between days; sort the file by time`);
    current = { day, firstLine: lineNo, lines: 0, bytes: 0 };
    sink = await open(pieces.length, day);
  };
  /** Writes `bytes` (whole lines, `lines` of them) to the open piece. */
  const emit = async (bytes: Uint8Array, lines: number) => {
    if (bytes.length === 0 || !current || !sink) return;
    current.lines += lines;
    current.bytes += bytes.length;
    await sink.write(bytes);
  };
  /** The day of a line (bytes `[from, to)` of `buf`, newline excluded), if its time can be read. */
  const dayOf = (buf: Uint8Array, from: number, to: number): string | undefined => {
    const timeUs = csvLineTimeUs(Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString('latin1'), ctx);
    if (timeUs === undefined) return undefined;
    const d = dayNumber(timeUs);
    if (d !== lastDayNumber) {
      lastDayNumber = d;
      lastDay = dateOfDay(d);
    }
    return lastDay;
  };

  try {
    await splitLines();
  } catch (e) {
    await sink?.abort?.();
    throw e;
  }
  return pieces;

  async function splitLines() {
    let carry: Uint8Array = new Uint8Array(0);
    for await (const chunk of input) {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      // `pending` is where the bytes not yet written to the open piece begin, `lines` how many lines they hold.
      let pending = 0;
      let lines = 0;
      let from = 0;
      for (let nl = buf.indexOf(NEWLINE, from); nl >= 0; nl = buf.indexOf(NEWLINE, from)) {
        const day = dayOf(buf, from, nl);
        if (!current) {
          await start(day);
        } else if (day !== undefined && day !== current.day) {
          if (current.day === undefined) {
            // A header (or junk) before the first trade belongs to the first day.
            current.day = day;
          } else {
            await emit(buf.subarray(pending, from), lines);
            pending = from;
            lines = 0;
            await start(day);
          }
        }
        lines++;
        lineNo++;
        from = nl + 1;
      }
      await emit(buf.subarray(pending, from), lines);
      carry = buf.subarray(from);
      // The carried bytes must outlive the chunk (a stream may reuse its buffer).
      if (carry.length > 0 && carry.buffer === chunk.buffer) carry = Uint8Array.from(carry);
    }
    if (carry.length > 0) {
      // A last line without a newline.
      const day = dayOf(carry, 0, carry.length);
      if (!current) await start(day);
      else if (day !== undefined && day !== current.day) {
        if (current.day === undefined) current.day = day;
        else await start(day);
      }
      lineNo++;
      await emit(carry, 1);
    }
    // An empty file is one empty piece: publishing it replaces an earlier publication of the file with nothing.
    if (!current && pieces.length === 0) await start(undefined);
    await close();
  }
}

/**
 * The UTC day of a time-ordered file whose first and last readable trade lines
 * fall on the same day, from its head and tail only (undefined otherwise): such
 * a file is one piece, so nothing needs to read it whole to find its pieces.
 * @param head the file's first bytes, as text; @param tail its last bytes
 */
export function oneDayFromEnds(head: string, tail: string, nowUs: number): string | undefined {
  const ctx = { nowUs };
  const timeOf = (lines: string[]) => {
    for (const l of lines) {
      const t = csvLineTimeUs(l, ctx);
      if (t !== undefined) return t;
    }
    return undefined;
  };
  // The head's last line and the tail's first may be cut: only whole lines count.
  const first = timeOf(head.split('\n').slice(0, -1));
  const last = timeOf(tail.split('\n').slice(1).reverse());
  if (first === undefined || last === undefined) return undefined;
  const d = dayNumber(first);
  return d === dayNumber(last) ? dateOfDay(d) : undefined;
}
