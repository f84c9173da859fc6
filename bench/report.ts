/** One line of the bench table; `met` only where the issue sets a target. */
export interface Row {
  part: string;
  measure: string;
  value: number | string;
  target?: string;
  met?: boolean;
}

/** Prints the rows as an aligned table on stdout. */
export function printTable(rows: readonly Row[]) {
  const cells = [
    ['part', 'measure', 'value', 'target', ''],
    ...rows.map((r) => [r.part, r.measure, String(r.value), r.target ?? '', r.met === undefined ? '' : r.met ? 'met' : 'MISSED']),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  process.stdout.write(`${line(cells[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.slice(1).map(line).join('\n')}\n`);
}
