import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { buildCsv } from '../helpers/spreadsheets.ts';

describe('CLI admin commands, as separate processes on one DATA_DIR', () => {
  let dataDir: string;

  const cli = (...args: string[]) => runCli(dataDir, args);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-cli-'));
    const csv = buildCsv([
      ['SKU', 'Product Name', 'Image 1'],
      ['C-1', 'One', 'https://img.example.test/1.jpg'],
      ['', 'Missing SKU, "quoted"', 'https://img.example.test/2.jpg'],
    ]);
    await writeFile(join(dataDir, 'acme.csv'), csv);
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('upload --now --json, then imports --json and report: one JSON document each, state shared', { timeout: 120_000 }, async () => {
    const upload = await cli('upload', join(dataDir, 'acme.csv'), '--supplier', 'acme', '--now', '--json');
    expect(upload.code).toBe(0);
    const uploaded = JSON.parse(upload.stdout) as { importId: number; imports: Array<{ rowsImported: number }> };
    expect(uploaded.imports[0]!.rowsImported).toBe(1);

    const imports = await cli('imports', '--json');
    expect(imports.code).toBe(0);
    expect(JSON.parse(imports.stdout)).toEqual([
      expect.objectContaining({ importId: uploaded.importId, supplier: 'acme', rowsFailed: 1, images: expect.objectContaining({ total: 1, queued: 1 }) }),
    ]);

    const report = await cli('report', String(uploaded.importId));
    expect(report.code).toBe(0);
    expect(report.stdout.split('\r\n')[0]).toBe('row,column,severity,message');
    expect(report.stdout).toMatch(/\r\n3,/);
  });

  it('schedule pause in one process is what the next process sees', { timeout: 120_000 }, async () => {
    const paused = await cli('schedule', 'pause', '--json');
    expect(paused.code).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({ backend: 'local', enabled: false });
    const status = await cli('schedule', 'status', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ enabled: false, expression: 'rate(2 hours)', nextRunAt: null });
  });

  it('refusals exit non-zero with one line on stderr and nothing on stdout', { timeout: 120_000 }, async () => {
    // One refusal from the operation itself (after the stack started), two from argument parsing.
    for (const args of [['requeue', '--json'], ['requeue', '--ids', '1,x'], ['bogus']]) {
      const result = await cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
