import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { benchConversion } from './conversion.ts';
import { loadCorpus, loadLargePhotos } from './corpus.ts';
import { benchEndToEnd } from './end-to-end.ts';
import { benchEnqueue } from './enqueue.ts';
import { benchIngest } from './ingest.ts';
import { round } from './measure.ts';
import { printTable, type Row } from './report.ts';
import { benchWorkerMemory } from './worker-memory.ts';

const parts = ['conversion', 'e2e', 'ingest', 'enqueue', 'memory'] as const;
type Part = (typeof parts)[number];

const usage = `npm run bench -- [--quick] [--only ${parts.join(',')}] [--images N]
  --quick    smaller runs (e2e 200 images, ingest up to 10k products, enqueue 20k, one conversion round)
  --only     run only these parts (comma-separated)
  --images   end-to-end image count (default 1000, quick 200)
Uses the PostgreSQL named by DATABASE_URL (a scratch database is created), else embedded PGlite.`;

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, images: { type: 'string' }, help: { type: 'boolean' } },
});
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const chosen = new Set<Part>((values.only?.split(',') as Part[] | undefined) ?? parts);
const unknown = [...chosen].filter((part) => !parts.includes(part));
if (unknown.length > 0) {
  process.stderr.write(`unknown part ${unknown.join(', ')}\n${usage}\n`);
  process.exit(2);
}
const quick = values.quick;
// Defaults, as deployed: the parts build their own environments from these, not from the shell.
const config = loadConfig({});
// Only the database comes from the environment (startTestEnvironment makes a scratch database there).
const databaseUrl = loadConfig().databaseUrl;

const started = Date.now();
const say = (message: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
const results: Record<string, unknown> = {
  when: new Date().toISOString(),
  quick,
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    loadAverageAtStart: loadavg().map((l) => round(l)),
  },
  database: databaseUrl ? 'PostgreSQL from DATABASE_URL (scratch database per part)' : 'embedded PGlite (DATABASE_URL unset)',
  settings: {
    workerConcurrency: config.worker.concurrency,
    localBatchSize: config.local.batchSize,
    localMaxConcurrency: config.local.maxConcurrency,
    webp: { quality: config.image.quality, effort: config.image.effort, maxDimension: config.image.maxDimension },
    enqueueChunkSize: config.enqueue.chunkSize,
  },
};
const rows: Row[] = [];
say(`database: ${results.database as string}`);

if (chosen.has('conversion') || chosen.has('e2e')) {
  say('corpus: wallpapers from Debian packages (apt-get download into bench/cache) and rendered product shots');
  const corpus = await loadCorpus();
  results.corpus = { files: corpus.images.length, sources: corpus.sources };
  for (const source of corpus.sources) say(`  ${source}`);

  if (chosen.has('conversion')) {
    say(`conversion: ${corpus.images.length} files, ours vs raw sharp (interleaved), then ImageMagick`);
    const conversion = await benchConversion(config, corpus, quick ? 1 : 3);
    results.conversion = conversion;
    rows.push(
      { part: 'conversion', measure: 'ours, images/s', value: conversion.ours.imagesPerSecond },
      { part: 'conversion', measure: 'raw sharp, images/s', value: conversion.rawSharp.imagesPerSecond },
      { part: 'conversion', measure: 'ours / raw sharp, throughput (best round)', value: conversion.oursVsRawSharp },
      { part: 'conversion', measure: 'ours / raw sharp, CPU time (all rounds)', value: conversion.oursVsRawSharpCpu, target: '≥ 0.95', met: conversion.oursVsRawSharpCpu >= 0.95 },
    );
    if ('unavailable' in conversion.imageMagick) {
      rows.push({ part: 'conversion', measure: 'ImageMagick', value: `unavailable: ${conversion.imageMagick.unavailable}` });
    } else {
      rows.push(
        { part: 'conversion', measure: 'ImageMagick, images/s', value: conversion.imageMagick.imagesPerSecond },
        { part: 'conversion', measure: 'ours / ImageMagick', value: conversion.oursVsImageMagick!, target: '≥ 5', met: conversion.oursVsImageMagick! >= 5 },
      );
    }
  }

  if (chosen.has('e2e')) {
    const count = Number(values.images ?? (quick ? 200 : 1000));
    // Mixed sizes as suppliers send them: product-sized photos and shots, and full-size JPEG photos.
    const pool = corpus.images.filter((image) => image.kind === 'product' || image.name.endsWith('.jpg'));
    say(`end to end: ${count} images (${pool.length} distinct files) CDN → worker process → S3 + Postgres, vs raw sharp`);
    const e2e = await benchEndToEnd(pool, count);
    results.endToEnd = e2e;
    rows.push(
      { part: 'end to end', measure: `worker, images/s (${e2e.done}/${e2e.images} done)`, value: e2e.worker.imagesPerSecond },
      { part: 'end to end', measure: 'raw sharp, same files, images/s', value: e2e.rawSharp.imagesPerSecond },
      { part: 'end to end', measure: 'worker / raw sharp', value: e2e.ratio, target: '≥ 0.9', met: e2e.ratio >= 0.9 && e2e.done === e2e.images },
      { part: 'end to end', measure: 'worker CPU ms per image', value: e2e.worker.cpuMsPerImage },
      // The worker process's own CPU against raw sharp's: what the pipeline adds per image, free of the
      // emulator, CDN and Postgres that share these two cores during the worker run (not in production).
      { part: 'end to end', measure: 'raw sharp CPU / worker CPU per image', value: round(e2e.rawSharp.cpuMsPerImage / e2e.worker.cpuMsPerImage) },
    );
  }
}

if (chosen.has('ingest')) {
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  say(`ingest: ${sizes.join(', ')} products × 10 images, csv and xlsx (generated once into bench/cache/sheets)`);
  const ingest = await benchIngest(sizes);
  results.ingest = ingest;
  for (const c of ingest.cases) {
    const ok = c.status === 'done' && c.rows === c.products;
    const tenK = c.products === 10_000;
    rows.push(
      {
        part: 'ingest',
        measure: `${c.format} ${c.products / 1000}k rows: s (rows/s)`,
        value: ok ? `${c.seconds} (${c.rowsPerSecond})` : `${c.status}: ${c.error ?? `${c.rows} rows`}`,
        ...(tenK ? { target: '< 10 s', met: ok && c.seconds < 10 } : {}),
      },
      { part: 'ingest', measure: `${c.format} ${c.products / 1000}k rows: peak RSS MB`, value: c.peakRssMb, ...(tenK ? { target: '< 300', met: c.peakRssMb < 300 } : {}) },
    );
  }
  for (const [format, ratio] of Object.entries(ingest.scaling)) {
    rows.push({ part: 'ingest', measure: `${format}: time 100k / time 10k`, value: ratio, target: '≤ 11', met: ratio <= 11 });
  }
}

if (chosen.has('enqueue')) {
  const count = quick ? 20_000 : 100_000;
  say(`enqueue: ${count} pending images claimed and sent`);
  const enqueue = await benchEnqueue(count);
  results.enqueue = enqueue;
  rows.push(
    { part: 'enqueue', measure: `${count / 1000}k images: seconds`, value: enqueue.seconds, ...(quick ? {} : { target: '< 20', met: enqueue.seconds < 20 && enqueue.queueDepth === count }) },
    { part: 'enqueue', measure: 'DB round trips per 10 messages', value: enqueue.dbRoundTripsPer10Messages },
    { part: 'enqueue', measure: 'SQS calls per 10 messages', value: round((enqueue.sqsCalls / enqueue.enqueued) * 10, 2) },
  );
}

if (chosen.has('memory')) {
  say('worker memory: one batch of ten 12 MP+ photos in one worker process');
  const memory = await benchWorkerMemory(await loadLargePhotos());
  results.workerMemory = memory;
  rows.push(
    { part: 'worker memory', measure: `peak RSS MB, batch of ${memory.photos} at concurrency ${memory.workerConcurrency}`, value: memory.peakRssMb, target: '< 400', met: memory.peakRssMb < 400 && memory.done === memory.photos },
    { part: 'worker memory', measure: 'same without MALLOC_ARENA_MAX=2', value: memory.peakRssMbDefaultMalloc },
    { part: 'worker memory', measure: 'idle worker process', value: memory.idlePeakRssMb },
  );
}

results.seconds = round((Date.now() - started) / 1000, 0);
results.table = rows;
const out = join(import.meta.dirname, 'results.json');
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
printTable(rows);
say(`wrote ${out}`);
