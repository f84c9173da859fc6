import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const hook = new URL('../../src/cli/esm-format-cache.ts', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;

/** Runs `source` as an ES module in a child Node with the CLI's resolve hook; its stdout. */
function runWithHook(source: string, cwd: string): string {
  const child = spawnSync(process.execPath, ['--import', hook, '--input-type=module', '-e', source], { cwd, encoding: 'utf8' });
  expect(child.stderr).toBe('');
  return child.stdout.trim();
}

describe('the CLI resolve hook (package type looked up once per directory)', () => {
  it('loads the ESM and CommonJS packages the CLI uses as Node alone does', () => {
    const source = `
      const pgCore = await import('drizzle-orm/pg-core');
      const { z } = await import('zod');
      const pg = (await import('pg')).default;
      const { Command } = await import('commander');
      console.log([typeof pgCore.pgTable, typeof z.object, typeof pg.Pool, typeof Command].join(','));`;
    expect(runWithHook(source, root)).toBe('function,function,function,function');
  });

  it('follows the nearest package.json: a CommonJS folder inside an ESM package stays CommonJS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esm-format-'));
    const pkg = join(dir, 'node_modules', 'mixed');
    mkdirSync(join(pkg, 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'mixed', type: 'module', exports: './index.js' }));
    writeFileSync(join(pkg, 'index.js'), "import answer from './lib/answer.js';\nimport { twice } from './twice.js';\nexport default twice(answer);\n");
    writeFileSync(join(pkg, 'twice.js'), 'export const twice = (n) => n * 2;\n');
    writeFileSync(join(pkg, 'lib', 'package.json'), JSON.stringify({ type: 'commonjs' }));
    writeFileSync(join(pkg, 'lib', 'answer.js'), 'module.exports = 21;\n');
    expect(runWithHook("console.log((await import('mixed')).default)", dir)).toBe('42');
  });
});
