import type { Column } from '../header-mapping.ts';
import { Severity, type RowIssue, type SheetRow } from '../row-validation.ts';

/** A header that names pictures (`Image 3`, `Variant Image`, `swatch_image`, `Fotos`)… */
const imageWord = /(?:^|[^a-z])(?:images?|img|pictures?|pics?|photos?|fotos?|gallery|thumbnails?|swatch)(?:[^a-z]|$)/i;
/** …but not something about them (`Image Alt Text`, `base_image_label`, `Image Position`, `Delete existing images`). */
const aboutImages = /alt|label|text|position|count|caption|title|description|role|hide|hidden|delete|width|height|size/i;
/** A cell starting with an image URL or path (`https://…/a.jpg`, `/m/b/a.jpg`, `a.png, b.png`). */
const imageValue = /^(?:https?:\/\/[^\s,|;]+|\/?[\w.-]+(?:\/[\w.-]+)*)\.(?:jpe?g|png|gif|webp|avif|bmp|tiff?|svg)(?:\?[^\s,|;]*)?(?:$|[\s,|;])/i;

/** Data rows whose cells are looked at: enough to see a column's kind, cheap on a 200k-row file. */
const sniffedRows = 100;

/**
 * Watches the columns not read as images for image URLs or paths, so none is dropped without a
 * word: a column whose header names images is reported at once, one whose cells in the first
 * rows hold image URLs or paths when seen. Each is reported once, as a warning on the header row.
 */
export function watchUnusedImageColumns(
  header: SheetRow,
  candidates: readonly Column[],
  hint: string,
  report: (issue: RowIssue) => void,
): (row: SheetRow) => void {
  let watched = candidates.slice();
  const warn = (column: Column, seen: string) => {
    report({
      rowNumber: header.rowNumber,
      column: column.header,
      severity: Severity.warning,
      message: `column ${JSON.stringify(column.header)} ${seen}, but no mapping reads it as images: its cells are kept as a field and not downloaded${hint}`,
    });
    watched = watched.filter((c) => c !== column);
  };
  for (const column of candidates) {
    if (imageWord.test(column.header) && !aboutImages.test(column.header)) warn(column, 'looks like an image column');
  }
  let rowsLeft = sniffedRows;
  return (row) => {
    if (rowsLeft === 0 || watched.length === 0) return;
    rowsLeft -= 1;
    for (const column of watched) {
      const value = row.cells[column.index] ?? '';
      if (imageValue.test(value)) {
        warn(column, `holds image URLs or paths (row ${row.rowNumber}: ${JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value)})`);
      }
    }
  };
}
