import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { buildCsv } from '../helpers/spreadsheets.ts';

describe('CLI: an import that fails or makes no product is not a success', () => {
  let dataDir: string;

  const cli = (...args: string[]) => runCli(dataDir, args);

  const reason = 'all 21 rows were rejected: first error on row 2: SKU is empty';
  let rejectedImport: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-cli-outcomes-'));
    // A store export whose SKU column is empty on every row.
    const rows = [['SKU', 'Title', 'Image'], ...Array.from({ length: 21 }, (_, i) => ['', `Product ${i + 1}`, `https://img.example.test/${i}.jpg`])];
    await writeFile(join(dataDir, 'no-skus.csv'), buildCsv(rows));
    await writeFile(join(dataDir, 'latin1.csv'), Buffer.from('SKU,Name\nL-1,Caf\xe9\n', 'latin1'));
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('upload --now exits non-zero with one line saying why, for a rejected and for a failed import', { timeout: 180_000 }, async () => {
    const rejected = await cli('upload', join(dataDir, 'no-skus.csv'), '--supplier', 'acme', '--now', '--json');
    expect(rejected.code).toBe(1);
    const uploaded = JSON.parse(rejected.stdout) as { importId: number; imports: Array<{ importId: number; status: string; error: string }> };
    expect(uploaded.imports).toEqual([expect.objectContaining({ importId: uploaded.importId, status: 'rejected', error: reason })]);
    expect(rejected.stderr.trim().split('\n')).toEqual([`catalog-importer: import #${uploaded.importId} rejected: ${reason}`]);
    rejectedImport = uploaded.importId;

    const failed = await cli('upload', join(dataDir, 'latin1.csv'), '--supplier', 'bmce', '--now');
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim().split('\n').at(-1)).toMatch(/^catalog-importer: import #\d+ failed: the file is not valid UTF-8 text: byte 16 \(line 2\) is 0xe9/);
  });

  it("report starts with the import's own status and reason, human and JSON", { timeout: 180_000 }, async () => {
    const human = await cli('report', String(rejectedImport));
    expect(human.code).toBe(0);
    expect(human.stderr.trim().split('\n')).toEqual([`import #${rejectedImport} (acme, no-skus.csv): rejected, 0/21 rows imported, 21 rejected: ${reason}`]);
    expect(human.stdout.split('\r\n').slice(0, 2)).toEqual(['row,column,severity,message', '2,SKU,error,SKU is empty']);

    const json = await cli('report', String(rejectedImport), '--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { import: unknown; rowErrors: unknown[] };
    expect(report.import).toEqual({
      importId: rejectedImport,
      supplier: 'acme',
      fileName: 'no-skus.csv',
      status: 'rejected',
      error: reason,
      rowsTotal: 21,
      rowsImported: 0,
      rowsFailed: 21,
    });
    expect(report.rowErrors).toHaveLength(21);

    const missing = await cli('report', '999');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('catalog-importer: import 999 does not exist');
  });
});
