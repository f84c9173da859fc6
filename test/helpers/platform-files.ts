import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createProductAssembler, type SupplierImportSettings } from '../../src/catalog/assemble-products.ts';
import { readCsvRows } from '../../src/catalog/read-csv.ts';
import type { ProductRow, RowIssue, SheetRow } from '../../src/catalog/row-validation.ts';

/** The bytes of `test/fixtures/platforms/<name>`: small files in each platform's published column layout. */
export function platformFixture(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`../fixtures/platforms/${name}`, import.meta.url)));
}

export const defaultSettings: SupplierImportSettings = { supplierCode: 'acme', format: 'auto', columnMapping: {}, imageBaseUrl: null };

/**
 * Runs rows through a product assembler the way an import does (the first row is the header) and
 * returns everything it emitted.
 */
export async function assembleRows(rows: AsyncIterable<SheetRow> | Iterable<SheetRow>, settings: Partial<SupplierImportSettings> = {}) {
  const products: ProductRow[] = [];
  const issues: RowIssue[] = [];
  const sink = { product: (p: ProductRow) => products.push(p), issue: (i: RowIssue) => issues.push(i) };
  let assembler: ReturnType<typeof createProductAssembler> | undefined;
  for await (const row of rows) {
    if (assembler) assembler.push(row);
    else assembler = createProductAssembler(row, { ...defaultSettings, ...settings }, sink);
  }
  assembler!.end();
  return { products, issues, counts: { ...assembler!.counts }, description: assembler!.describe() };
}

/** `assembleRows` over a fixture file read by the real CSV reader. */
export function assembleFixture(name: string, settings: Partial<SupplierImportSettings> = {}) {
  const bytes = platformFixture(name);
  return assembleRows(
    readCsvRows(
      (async function* () {
        yield bytes;
      })(),
      'utf-8',
    ),
    settings,
  );
}

/** Rows as a spreadsheet shows them, header on row 1. */
export function sheet(rows: ReadonlyArray<ReadonlyArray<string>>): SheetRow[] {
  return rows.map((cells, i) => ({ rowNumber: i + 1, cells }));
}
