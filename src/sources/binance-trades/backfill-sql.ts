/**
 * Backfill SQL: Binance historical trade CSV lines -> validated `trades` rows,
 * `quarantine` rows with the same reason codes as the stream parser
 * (src/sources/binance-trades/binance.ts), and `bar_partials`. Written once for DuckDB and
 * Athena (dialect differences in dialect.ts); the input is a relation of raw
 * lines `(line VARCHAR, line_no BIGINT)` so every line, however broken, is
 * either a trade or a quarantine row with its original text.
 */
import { MICROS_THRESHOLD } from './binance.js';
import { MAX_FUTURE_SKEW_US, MIN_TRADE_TIME_US, QUOTE_QTY_REL_TOL } from './validate.js';
import { sqlString, type SqlDialect } from '../../sql/dialect.js';

const DECIMAL = '\\d{1,20}(\\.\\d{1,18})?';
const BOOLS = "('True','true','TRUE','False','false','FALSE')";
const BOOL_RE = '(True|true|TRUE|False|false|FALSE)';
/** A line every field of which is well formed (then only ranges remain to check). */
const LINE = `\\d{1,16},${DECIMAL},${DECIMAL},(${DECIMAL})?,\\d{1,17},${BOOL_RE},${BOOL_RE}\\r?`;

export interface BackfillContext {
  readonly symbol: string;
  /** Processing clock, µs (trade times beyond it + 24 h are rejected, as in the stream). */
  readonly nowUs: number;
  /** Names the source in quarantine rows (stream_name / shard_id columns). */
  readonly sourceName: string;
  /** Lines of the file before the first of these lines (a day piece of a larger file): added to quarantine line numbers. */
  readonly lineOffset?: number;
}

/** Lines with their 1-based line numbers: `(line, line_no)`. */
export function numberedLinesSql(lines: string, d: SqlDialect): string {
  return `SELECT line, ${d.lineNumber} AS line_no FROM ${lines}`;
}

/**
 * Each line split into text fields and typed values. Header lines are dropped,
 * or with `keepHeaders` kept and flagged (`is_header`), so that a table built
 * from the result keeps one row per line of the file, in file order.
 */
function fieldsSql(numbered: string, d: SqlDialect, keepHeaders = false): string {
  return `SELECT line, line_no, is_header, n_fields, well_formed,
    id_text, price_text, qty_text, quote_text, time_text, maker_text, best_text,
    TRY_CAST(price_text AS DOUBLE) AS price,
    TRY_CAST(qty_text AS DOUBLE) AS qty,
    TRY_CAST(quote_text AS DOUBLE) AS quote_qty,
    CASE WHEN TRY_CAST(time_text AS BIGINT) >= ${MICROS_THRESHOLD} THEN TRY_CAST(time_text AS BIGINT) ELSE TRY_CAST(time_text AS BIGINT) * 1000 END AS time_us
  FROM (
    SELECT line, line_no, substr(line, 1, 8) = 'id,price' AS is_header, ${d.length('f')} AS n_fields, ${d.fullMatch('line', LINE)} AS well_formed,
      ${d.item('f', 1)} AS id_text, ${d.item('f', 2)} AS price_text, ${d.item('f', 3)} AS qty_text,
      coalesce(${d.item('f', 4)}, '') AS quote_text, ${d.item('f', 5)} AS time_text, ${d.item('f', 6)} AS maker_text,
      rtrim(${d.item('f', 7)}, chr(13)) AS best_text
    FROM (SELECT line, line_no, ${d.split('line', ',')} AS f FROM ${numbered}) AS split_lines
    ${keepHeaders ? '' : "WHERE substr(line, 1, 8) <> 'id,price'"}
  ) AS fields`;
}

function rules(ctx: BackfillContext) {
  const tol = `1e-8 + ${QUOTE_QTY_REL_TOL} * price * qty`;
  const inRange = `time_us >= ${MIN_TRADE_TIME_US} AND time_us <= ${ctx.nowUs + MAX_FUTURE_SKEW_US}`;
  /** The common case: one regular expression over the line, then ranges. */
  const ok = `(well_formed AND price > 0 AND qty > 0 AND (quote_text = '' OR abs(quote_qty - price * qty) <= ${tol}) AND ${inRange})`;
  return { tol, inRange, ok };
}

/**
 * One pass over the lines: whether each is a valid trade, with its typed values
 * (the detailed reason of the few invalid ones is worked out separately).
 */
export function checkedLinesSql(numbered: string, d: SqlDialect, ctx: BackfillContext): string {
  const { ok } = rules(ctx);
  return `SELECT line_no, coalesce(${ok}, false) AS ok,${checkedColumns}
  FROM (${fieldsSql(numbered, d)}) AS f`;
}

/**
 * {@link checkedLinesSql} for an engine that numbers the rows of a table it
 * builds in input order (DuckDB's `rowid`): every line of `lines` (a relation
 * of `line`) gives one row, headers flagged by `is_header`, and only the lines
 * that are not valid trades keep their text (`line`, NULL otherwise). Line
 * numbers then come from the row order, so the lines need not be stored first.
 */
export function checkedFileLinesSql(lines: string, d: SqlDialect, ctx: BackfillContext): string {
  const { ok } = rules(ctx);
  return `SELECT ok AND NOT is_header AS ok, is_header, CASE WHEN ok THEN NULL ELSE line END AS line,${checkedColumns}
  FROM (SELECT *, coalesce(${ok}, false) AS ok FROM (${fieldsSql(`(SELECT line, NULL AS line_no FROM ${lines}) AS unnumbered`, d, true)}) AS f0) AS f`;
}

/** The typed trade values a checked line carries. */
const checkedColumns = `
    TRY_CAST(id_text AS BIGINT) AS trade_id, price, qty,
    CASE WHEN quote_text = '' THEN price * qty ELSE quote_qty END AS quote_quantity,
    time_us,
    maker_text IN ('True', 'true', 'TRUE') AS is_buyer_maker`;

/**
 * The reason code of each line, in the same order of checks as `parseCsvTrade`
 * (NULL for a valid trade). Meant for the lines that failed {@link checkedLinesSql}.
 */
export function classifiedLinesSql(numbered: string, d: SqlDialect, ctx: BackfillContext): string {
  const { tol, inRange, ok } = rules(ctx);
  return `SELECT line, line_no,
  CASE
    WHEN ${ok} THEN NULL
    WHEN ${d.fullMatch('line', '\\s*')} THEN 'EMPTY_PAYLOAD'
    WHEN n_fields <> 7 THEN 'MALFORMED_CSV'
    WHEN NOT ${d.fullMatch('id_text', '\\d{1,16}')} THEN 'BAD_TRADE_ID'
    WHEN NOT ${d.fullMatch('price_text', DECIMAL)} THEN 'BAD_NUMBER'
    WHEN NOT ${d.fullMatch('qty_text', DECIMAL)} THEN 'BAD_NUMBER'
    WHEN price <= 0 THEN 'NON_POSITIVE_PRICE'
    WHEN qty <= 0 THEN 'NON_POSITIVE_QUANTITY'
    WHEN quote_text <> '' AND NOT ${d.fullMatch('quote_text', DECIMAL)} THEN 'BAD_NUMBER'
    WHEN quote_text <> '' AND abs(quote_qty - price * qty) > ${tol} THEN 'QUOTE_QTY_MISMATCH'
    WHEN NOT ${d.fullMatch('time_text', '\\d{1,17}')} THEN 'BAD_NUMBER'
    WHEN NOT (${inRange}) THEN 'TIME_OUT_OF_RANGE'
    WHEN maker_text NOT IN ${BOOLS} THEN 'WRONG_TYPE'
    WHEN best_text NOT IN ${BOOLS} THEN 'WRONG_TYPE'
    ELSE 'MALFORMED_CSV'
  END AS reason_code
FROM (${fieldsSql(numbered, d)}) AS f`;
}

/** `trades` rows (data columns + dt/hour) of the valid lines of a {@link checkedLinesSql} relation. */
export function validTradesSql(checked: string, d: SqlDialect, ctx: BackfillContext): string {
  const ts = d.timestampFromMicros('time_us');
  return `SELECT
  ${sqlString(ctx.symbol)} AS symbol,
  trade_id,
  price,
  qty AS quantity,
  quote_quantity,
  is_buyer_maker,
  ${ts} AS trade_time,
  ${ts} AS event_time,
  ${d.isoDayOfWeek(ts)} AS day_of_week,
  CAST(minute(${ts}) AS INTEGER) AS minute,
  ${d.timestampLiteral(ctx.nowUs)} AS ingest_time,
  'binance-csv' AS source,
  -- A DATE partition value is written yyyy-MM-dd in the path (dt=2026-11-02) by both engines; no string per row.
  CAST(${ts} AS DATE) AS dt,
  CAST(hour(${ts}) AS INTEGER) AS hour
FROM ${checked}
WHERE ok`;
}

const MESSAGES: Record<string, string> = {
  EMPTY_PAYLOAD: 'line is empty',
  MALFORMED_CSV: 'expected 7 comma-separated fields',
  BAD_TRADE_ID: 'id is not a non-negative integer',
  BAD_NUMBER: 'price, qty, quote_qty or time is not a decimal number',
  NON_POSITIVE_PRICE: 'price is not a positive finite number',
  NON_POSITIVE_QUANTITY: 'quantity is not a positive finite number',
  QUOTE_QTY_MISMATCH: 'quote_qty differs from price x qty',
  TIME_OUT_OF_RANGE: 'trade time is before 2017-07-01 or more than 24 h after the processing clock',
  WRONG_TYPE: 'is_buyer_maker / is_best_match is not True/False',
};

/** `quarantine` rows (data columns + dt/hour) of the invalid lines. */
export function quarantineSql(classified: string, d: SqlDialect, ctx: BackfillContext): string {
  const msg = `CASE reason_code ${Object.entries(MESSAGES)
    .map(([k, v]) => `WHEN ${sqlString(k)} THEN ${sqlString(v)}`)
    .join(' ')} ELSE reason_code END`;
  const now = d.timestampLiteral(ctx.nowUs);
  return `SELECT
  'binance-csv' AS source,
  reason_code,
  ${msg} || ': ' || substr(line, 1, 200) AS reason_message,
  line AS raw_payload,
  'backfill' AS stream_name,
  ${sqlString(ctx.sourceName)} AS shard_id,
  CAST(${ctx.lineOffset ? `line_no + ${ctx.lineOffset}` : 'line_no'} AS VARCHAR) AS sequence_number,
  ${sqlString(ctx.symbol)} AS partition_key,
  ${now} AS arrival_time,
  ${now} AS ingest_time,
  substr(CAST(${now} AS VARCHAR), 1, 10) AS dt,
  CAST(hour(${now}) AS INTEGER) AS hour
FROM ${classified}
WHERE reason_code IS NOT NULL`;
}
