import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cliPath = new URL('../../src/cli.ts', import.meta.url).pathname;

/** A port free right now, so both demo runs serve (and write into the file) the same CDN URLs. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

interface DemoSummary {
  importId: number;
  products: number;
  images: Record<'pending' | 'queued' | 'processing' | 'done' | 'failed', number>;
  failuresByKind: Array<{ kind: string; count: number }>;
  rowErrors: Array<{ rowNumber: number; column: string | null; message: string }>;
  processedThisRun: number;
  sample: Array<{ sku: string; imageUrls: string[] }>;
}

/** `npm start` as a new user runs it, twice, on a fresh embedded stack. */
describe('demo (npm start)', () => {
  let dataDir: string;
  let cdnPort: number;

  const demo = () =>
    new Promise<{ code: number; summary: DemoSummary; stderr: string }>((resolve) => {
      const { DATABASE_URL: _shared, ...env } = process.env;
      execFile(
        process.execPath,
        [cliPath, 'demo', '--json'],
        { env: { ...env, DATA_DIR: dataDir, LOCAL_AWS_PORT: '0', DEMO_CDN_PORT: String(cdnPort) }, cwd: dataDir },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, summary: stdout ? JSON.parse(stdout) : undefined, stderr }),
      );
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-demo-'));
    cdnPort = await freePort();
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs the whole story, then a second run changes nothing and downloads nothing', { timeout: 240_000 }, async () => {
    const first = await demo();
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary.products).toBe(51);
    expect(first.summary.images).toMatchObject({ pending: 0, queued: 0, processing: 0, failed: 3 });
    expect(first.summary.images.done).toBeGreaterThan(100);
    expect(first.summary.failuresByKind).toEqual([
      { kind: 'http_4xx', count: 2 },
      { kind: 'not_an_image', count: 1 },
    ]);
    expect(first.summary.rowErrors.map((e) => e.column)).toEqual(['Item Number', 'Main Image', 'Item Number']);
    expect(first.summary.processedThisRun).toBe(first.summary.images.done! + 3);
    expect(first.summary.sample[0]!.imageUrls[0]).toMatch(/\/catalog-media\/images\/[0-9a-f]{2}\/[0-9a-f]{64}\.webp$/);

    const second = await demo();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`same file as #${first.summary.importId}`);
    expect(second.summary.processedThisRun).toBe(0);
    expect(second.summary.images).toEqual(first.summary.images);
    expect(second.summary.sample).toEqual(first.summary.sample);
  });
});
