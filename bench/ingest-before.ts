import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheDir } from './corpus.ts';
import { benchIngest, type IngestCase } from './ingest.ts';
import { round } from './measure.ts';
import type { SheetFormat } from './spreadsheets.ts';

const repo = join(import.meta.dirname, '..');

/**
 * A detached worktree of `commit` outside the repository (vitest and git status never see it), sharing
 * this one's node_modules and generated spreadsheets. `git worktree add` only touches .git/worktrees.
 */
function worktreeOf(commit: string): string {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${commit}^{commit}`], { cwd: repo, encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `catalog-importer-${sha.slice(0, 12)}`);
  if (!existsSync(join(dir, 'package.json'))) {
    execFileSync('git', ['worktree', 'add', '--detach', '--force', dir, sha], { cwd: repo, stdio: 'ignore' });
  }
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'bench', 'cache'), { recursive: true });
  mkdirSync(join(cacheDir, 'sheets'), { recursive: true });
  if (!existsSync(join(dir, 'bench', 'cache', 'sheets'))) symlinkSync(join(cacheDir, 'sheets'), join(dir, 'bench', 'cache', 'sheets'));
  return dir;
}

export interface IngestComparison {
  before: { commit: string; cases: IngestCase[] };
  ours: IngestCase[];
  /** Per case: our best time over the earlier commit's best time (1.10 = 10% slower). */
  ratios: Array<{ format: SheetFormat; products: number; ratio: number; ours: number; before: number }>;
}

/**
 * Our ingest against `commit`'s, interleaved case by case in this one run (the machine's load moves
 * both alike): each case runs before/ours/ours/before, or once each for the sizes in `once`, and each
 * side keeps its fastest run (noise only slows a run down). The earlier commit runs from its own
 * worktree with its own bench code, migrations and import (bench/ingest.ts has not changed since).
 */
export async function compareIngest(commit: string, sizes: readonly number[], once: readonly number[], formats: readonly SheetFormat[] = ['csv', 'xlsx']): Promise<IngestComparison> {
  const dir = worktreeOf(commit);
  const earlier = (await import(pathToFileURL(join(dir, 'bench', 'ingest.ts')).href)) as { benchIngest: typeof benchIngest };
  const best = { before: new Map<string, IngestCase>(), ours: new Map<string, IngestCase>() };
  const keep = (side: keyof typeof best, c: IngestCase) => {
    const key = `${c.format}-${c.products}`;
    const seen = best[side].get(key);
    if (!seen || (c.status === seen.status && c.seconds < seen.seconds)) best[side].set(key, c);
  };
  for (const products of sizes) {
    for (const format of formats) {
      const order: Array<keyof typeof best> = once.includes(products) ? ['before', 'ours'] : ['before', 'ours', 'ours', 'before'];
      for (const side of order) {
        const run = side === 'before' ? await earlier.benchIngest([products], [format]) : await benchIngest([products], [format]);
        keep(side, run.cases[0]!);
      }
    }
  }
  const ours = [...best.ours.values()];
  const before = [...best.before.values()];
  return {
    before: { commit, cases: before },
    ours,
    ratios: ours.map((c) => {
      const b = best.before.get(`${c.format}-${c.products}`)!;
      return { format: c.format, products: c.products, ratio: round(c.seconds / b.seconds), ours: c.seconds, before: b.seconds };
    }),
  };
}
