/** `--json`: one JSON document on stdout. Otherwise human lines on stderr, keeping stdout for data. */
export function emit(json: boolean, value: unknown, human: () => string): void {
  if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stderr.write(`${human()}\n`);
}

/** A plain aligned table for terminals. */
export function table(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '(none)';
  const headers = Object.keys(rows[0]!);
  const cells = rows.map((row) => headers.map((h) => String(row[h] ?? '')));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
