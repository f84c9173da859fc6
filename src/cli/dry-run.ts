import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { previewSpreadsheet, type SpreadsheetPreview } from '../catalog/preview-spreadsheet.ts';
import { emit, table } from './output.ts';
import { withSession } from './session.ts';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The dry run as a terminal reads it: what is read how, what would change, then the first products and issues. */
export function describePreview(p: SpreadsheetPreview): string {
  const mapping = Object.entries(p.mapping)
    .filter(([, columns]) => columns.length > 0)
    .map(([field, columns]) => `  ${field.padEnd(8)} ← ${columns.join(', ')}`);
  const { links } = p.images;
  return [
    `dry run: ${p.file.name} for supplier ${p.supplier.code}${p.supplier.known ? '' : ' (new supplier)'}; nothing was written`,
    `format:   ${p.format} (${p.detected ? 'detected from the headers' : "the supplier's setting"})`,
    'mapping:',
    ...mapping,
    `rows:     ${p.rows.total}: ${plural(p.rows.products, 'product')}, ${p.rows.rejected} rejected, ${p.rows.merged} merged`,
    `products: ${p.products.new} new, ${p.products.changed} changed, ${p.products.unchanged} unchanged`,
    `images:   ${links.new} new links, ${links.changed} changed, ${links.removed} removed, ${links.unchanged} unchanged; ${plural(p.images.downloads, 'download')}`,
    p.sameFileAs ? `same file as import #${p.sameFileAs}: importing it again would change nothing` : '',
    '',
    table(
      p.sample.map((s) => ({
        row: s.rowNumber,
        sku: s.sku,
        title: s.title ?? '',
        change: s.change + (s.galleryChanged && s.change === 'unchanged' ? ' (images)' : ''),
        images: s.imageUrls.length,
        fields: Object.keys(s.fields).length,
      })),
    ),
    '',
    `${plural(p.issues.errors, 'row error')}, ${plural(p.issues.warnings, 'warning')}${p.issues.errors + p.issues.warnings > p.issues.first.length ? ` (first ${p.issues.first.length})` : ''}`,
    ...p.issues.first.map((i) => `  row ${i.rowNumber}${i.column ? ` [${i.column}]` : ''} ${i.severity}: ${i.message}`),
  ]
    .filter((line, i, lines) => line !== '' || lines[i - 1] !== '')
    .join('\n');
}

/** `upload <file> --supplier S --dry-run`: the preview of importing it; stores and writes nothing. */
export async function dryRunUpload(file: string, options: { supplier: string; now?: boolean; json?: boolean }): Promise<void> {
  if (options.now) throw new InvalidArgumentError('--dry-run writes nothing, so it cannot import --now: pick one');
  const body = await readFile(file);
  await withSession(async ({ ctx }) => {
    const preview = await previewSpreadsheet(ctx, { supplierCode: options.supplier, fileName: basename(file), body });
    emit(Boolean(options.json), preview, () => describePreview(preview));
  }, { aws: false, longRunning: true });
}
