import { planColumns } from '../header-mapping.ts';
import type { FormatReaderFactory } from './format-reader.ts';
import { readPlannedRows } from './planned-rows.ts';

/** Any other layout: header synonyms and the supplier's column mapping (see `planColumns`). */
export const readGeneric: FormatReaderFactory = (columns, settings, output) =>
  readPlannedRows(
    planColumns(
      columns.map((c) => c.header),
      settings.columnMapping,
    ),
    columns,
    output,
  );
