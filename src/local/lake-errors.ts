/** Lake read errors in a user's words. */

/**
 * An engine error about a lake file, with what to do when the file is not readable Parquet (copied in by hand, a
 * damaged disk: the lake's own writers put whole files only). DuckDB names the file in its message.
 */
export function explainLakeError(message: string): string {
  const hint = 'a file of the lake is not readable Parquet: move it out of the lake folder and run again';
  return /No magic bytes|too small to be a Parquet file|Footer length error|not a parquet file/i.test(message) && !message.includes(hint)
    ? `${message} (${hint})`
    : message;
}
