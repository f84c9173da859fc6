import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUpload } from '../../src/catalog/index.ts';
import { runTick } from '../../src/scheduled/run-tick.ts';
import { startTestEnvironment, type TestEnvironment } from '../helpers/environment.ts';
import { buildCsv } from '../helpers/spreadsheets.ts';

describe('a tick near its deadline', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(() => env?.stop());

  it('claims no further upload or image past it; the next tick picks up the rest', async () => {
    const { ctx } = env;
    for (const supplier of ['late-a', 'late-b']) {
      const csv = buildCsv([['SKU', 'Image'], [`${supplier}-1`, `https://img.example.test/${supplier}.jpg`]]);
      await registerUpload(ctx, { supplierCode: supplier, fileName: `${supplier}.csv`, body: Buffer.from(csv) });
    }
    const late = await runTick(ctx, 'schedule', { deadline: Date.now() - 1 });
    expect(late.imports).toHaveLength(1); // the one under way when time ran out still makes progress
    expect(late.enqueued).toBe(0);
    const { rows } = await ctx.pool.query<{ status: string }>(`SELECT status FROM imports ORDER BY id`);
    expect(rows.map((r) => r.status)).toEqual(['done', 'uploaded']);

    const next = await runTick(ctx, 'schedule');
    expect(next.imports.map((i) => i.status)).toEqual(['done']);
    expect(next.enqueued).toBe(2);
  });
});
