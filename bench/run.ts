import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { benchCliLatency } from './cli-latency.ts';
import { benchConversion } from './conversion.ts';
import { loadCorpus, loadLargePhotos } from './corpus.ts';
import { benchEndToEnd } from './end-to-end.ts';
import { benchEnqueue } from './enqueue.ts';
import { benchIngest } from './ingest.ts';
import { compareIngest } from './ingest-before.ts';
import { round } from './measure.ts';
import { benchPoliteness } from './host-budget.ts';
import { benchProductsApi } from './products-api.ts';
import { benchReorder } from './reorder.ts';
import { printTable, type Row } from './report.ts';
import { benchScale } from './scale.ts';
import { benchSharing } from './sharing.ts';
import { benchWorkerMemory } from './worker-memory.ts';

const parts = ['conversion', 'e2e', 'sharing', 'reorder', 'ingest', 'enqueue', 'memory', 'politeness', 'products', 'cli'] as const;
type Part = (typeof parts)[number];

/** The last commit before imports were staged (8406645): the ingest baseline of issue 10. */
const defaultBefore = '7a6b8c6';

const usage = `npm run bench -- [--quick] [--only ${parts.join(',')}] [--images N] [--before COMMIT] [--scale]
  --quick    smaller runs (e2e 200 images in 2 rounds instead of 1000 in 3, ingest up to 10k products, enqueue 20k, one conversion round)
  --only     run only these parts (comma-separated)
  --images   end-to-end image count (default 1000, quick 200)
  --before   the commit whose ingest ours is compared with, interleaved (default ${defaultBefore}; 'none' skips it)
  --scale    instead of the parts: 100k and 1M images imported, enqueued, admin queries timed, then
             5M imported and settled (quick: 20k, 200k, 500k); writes bench/results-scale.json
Uses the PostgreSQL named by DATABASE_URL (a scratch database is created), else embedded PGlite.`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    images: { type: 'string' },
    before: { type: 'string', default: defaultBefore },
    scale: { type: 'boolean', default: false },
    help: { type: 'boolean' },
  },
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
const scale = values.scale;
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
    webp: { quality: config.image.quality, effort: config.image.effort, sizesEffort: config.image.sizesEffort, maxDimension: config.image.maxDimension },
    enqueueChunkSize: config.enqueue.chunkSize,
  },
};
const rows: Row[] = [];
say(`database: ${results.database as string}`);

if (!scale && (chosen.has('conversion') || chosen.has('e2e'))) {
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
      { part: 'conversion', measure: 'ours / raw sharp (same outputs), CPU time (all rounds)', value: conversion.oursVsRawSharpCpu, target: '≥ 0.95', met: conversion.oursVsRawSharpCpu >= 0.95 },
      {
        part: 'conversion',
        measure: `sizes ${[...conversion.widths, 'full'].join(',')} / single size, CPU time (median of rounds ${conversion.allSizesVsSingleCpuByRound.join(', ')})`,
        value: conversion.allSizesVsSingleCpu,
        target: '≤ 1.6',
        met: conversion.allSizesVsSingleCpu <= 1.6,
      },
      {
        part: 'conversion',
        measure: `AVIF set (q${conversion.avif.quality}, effort ${conversion.avif.effort}) / WebP set: CPU, bytes`,
        value: `${conversion.avif.cpuVsWebp}, ${conversion.avif.bytesVsWebp}`,
      },
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
    const e2e = await benchEndToEnd(pool, count, quick ? 2 : 3);
    results.endToEnd = e2e;
    rows.push(
      { part: 'end to end', measure: `worker, images/s, best of ${e2e.rounds} rounds (${e2e.done}/${e2e.images * e2e.rounds} done)`, value: e2e.worker.imagesPerSecond },
      { part: 'end to end', measure: 'raw sharp, same files and outputs, images/s, best round', value: e2e.rawSharp.imagesPerSecond },
      {
        part: 'end to end',
        measure: `worker / raw sharp, best rounds (each round: ${e2e.ratioByRound.join(', ')}; median ${e2e.ratioMedian})`,
        value: e2e.ratio,
        target: '≥ 0.9',
        met: e2e.ratio >= 0.9 && e2e.done === e2e.images * e2e.rounds,
      },
      { part: 'end to end', measure: 'worker CPU ms per image', value: e2e.worker.cpuMsPerImage },
      // The worker process's own CPU against raw sharp's: what the pipeline adds per image, free of the
      // emulator, CDN and Postgres that share these two cores during the worker run (not in production).
      { part: 'end to end', measure: 'raw sharp CPU / worker CPU per image', value: round(e2e.rawSharp.cpuMsPerImage / e2e.worker.cpuMsPerImage) },
      {
        part: 'end to end',
        measure: `worker DB round trips per image (batches of ${e2e.worker.messagesPerBatch} on average)`,
        value: e2e.db.roundTripsPerImage,
        target: '≤ 2',
        met: e2e.db.roundTripsPerImage <= 2,
      },
      { part: 'end to end', measure: 'worker DB time per image, ms (send to answer)', value: e2e.db.msPerImage },
    );
  }
}

if (chosen.has('sharing') && !scale) {
  say('sharing: a Magento-like catalog (3,415 references to 716 URLs) imported, enqueued and drained; downloads counted at the CDN');
  const sharing = await benchSharing();
  results.sharing = sharing;
  rows.push(
    {
      part: 'sharing',
      measure: `downloads per distinct URL (${sharing.downloads} for ${sharing.distinctUrls} URLs, ${sharing.referencesPerUrl} references each)`,
      value: sharing.downloadsPerDistinctUrl,
      target: '1.00',
      met: sharing.downloadsPerDistinctUrl === 1 && sharing.sourcesDone === sharing.distinctUrls && sharing.productsComplete === sharing.products,
    },
    { part: 'sharing', measure: `worker DB round trips per image (batches of ${sharing.db.messagesPerBatch})`, value: sharing.db.roundTripsPerImage, target: '≤ 2', met: sharing.db.roundTripsPerImage <= 2 },
    { part: 'sharing', measure: 'worker DB time per image, ms', value: sharing.db.msPerImage },
  );
}

if (chosen.has('reorder') && !scale) {
  const products = quick ? 2_000 : 10_000;
  say(`reorder: ${products} products' galleries reversed by a re-import (sources done beforehand)`);
  const reorder = await benchReorder(products);
  results.reorder = reorder;
  rows.push({
    part: 'reorder',
    measure: `re-import reordering ${products / 1000}k galleries: s (${reorder.newSources} new sources, ${reorder.productsReordered} products reordered)`,
    value: reorder.seconds,
    target: '< 5 s, no download',
    met: reorder.seconds < 5 && reorder.newSources === 0 && reorder.productsReordered === products,
  });
}

if (chosen.has('ingest') && !scale) {
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  const before = values.before === 'none' ? undefined : values.before;
  say(`ingest: ${sizes.join(', ')} products × 10 images, csv and xlsx (generated once into bench/cache/sheets)${before ? `, interleaved with ${before}'s` : ''}`);
  const ingest = before ? await compareIngest(before, sizes, [100_000]) : { ours: (await benchIngest(sizes)).cases, before: undefined, ratios: [] };
  const scaling: Record<string, number> = {};
  for (const format of ['csv', 'xlsx'] as const) {
    const bySize = new Map(ingest.ours.filter((c) => c.format === format).map((c) => [c.products, c.seconds]));
    const largest = Math.max(...sizes);
    const small = bySize.get(largest / 10);
    if (small) scaling[format] = round(bySize.get(largest)! / small);
  }
  results.ingest = { cases: ingest.ours, scaling, ...(ingest.before ? { before: ingest.before, oursOverBefore: ingest.ratios } : {}) };
  for (const c of ingest.ours) {
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
  for (const [format, ratio] of Object.entries(scaling)) {
    const largest = Math.max(...sizes) / 1000;
    rows.push({ part: 'ingest', measure: `${format}: time ${largest}k / time ${largest / 10}k`, value: ratio, target: '≤ 11', met: ratio <= 11 });
  }
  for (const r of ingest.ratios.filter((r) => r.products >= 10_000)) {
    rows.push({
      part: 'ingest',
      measure: `${r.format} ${r.products / 1000}k: ours / ${before} (${r.ours} s / ${r.before} s)`,
      value: r.ratio,
      target: '≤ 1.10',
      met: r.ratio <= 1.1,
    });
  }
}

if (chosen.has('enqueue') && !scale) {
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

if (chosen.has('politeness') && !scale) {
  const images = quick ? 150 : 300;
  say(`politeness: ${images} images at 100 ms each through 16 worker lanes: one host without and with the shared host budget, ten hosts with it`);
  const politeness = await benchPoliteness(images);
  results.politeness = politeness;
  for (const c of politeness.cases) {
    rows.push({ part: 'politeness', measure: `${c.name}: images/s (peak per host ${c.peakPerHost}, ${c.dbCallsPerImage} pool queries/image)`, value: c.imagesPerSecond });
  }
  rows.push(
    { part: 'politeness', measure: 'one host: with budget / without', value: politeness.oneHostRatio },
    { part: 'politeness', measure: 'ten hosts with budget / one host without', value: politeness.tenHostsRatio, target: '≥ 0.9', met: politeness.tenHostsRatio >= 0.9 },
  );
}

if (chosen.has('memory') && !scale) {
  say('worker memory: one batch of ten 12 MP+ photos in one worker process');
  const memory = await benchWorkerMemory(await loadLargePhotos());
  results.workerMemory = memory;
  rows.push(
    { part: 'worker memory', measure: `peak RSS MB, batch of ${memory.photos} at concurrency ${memory.workerConcurrency}`, value: memory.peakRssMb, target: '< 400', met: memory.peakRssMb < 400 && memory.done === memory.photos },
    { part: 'worker memory', measure: 'same without MALLOC_ARENA_MAX=2', value: memory.peakRssMbDefaultMalloc },
    { part: 'worker memory', measure: 'idle worker process', value: memory.idlePeakRssMb },
  );
}

if (chosen.has('products') && !scale) {
  const count = quick ? 20_000 : 100_000;
  say(`products API: a page of 50 at ${count / 1000}k products (4 images each)`);
  const products = await benchProductsApi(count);
  results.productsApi = products;
  for (const [name, page] of Object.entries(products.pages)) {
    rows.push({ part: 'products API', measure: `${count / 1000}k products, page of 50: ${name}, ms (${page.returned} returned)`, value: page.ms, target: '≤ 100', met: page.ms <= 100 });
  }
}

if (chosen.has('cli') && !scale) {
  say('cli: warm commands on the embedded stack (fresh DATA_DIR, PGlite, emulator) next to a bare node start');
  const cli = benchCliLatency(quick ? 3 : 5);
  results.cli = cli;
  rows.push({ part: 'cli', measure: "bare `node -e ''`, ms", value: cli.bareNodeMs });
  for (const [command, ms] of Object.entries(cli.commands)) {
    const own = ms - cli.bareNodeMs;
    rows.push({ part: 'cli', measure: `warm \`${command}\`, ms (its own: ${own})`, value: ms, target: 'own ≤ 1000', met: own <= 1000 });
  }
}

if (scale) {
  const scaled = await benchScale(quick ? [2_000, 20_000] : [10_000, 100_000], say, quick ? 50_000 : 500_000);
  results.scale = scaled;
  for (const c of scaled.cases) {
    const label = `${c.images / 1000}k images${c.counted ? '' : ' (no counting triggers)'}`;
    rows.push({ part: 'scale', measure: `${label}: import through the normal path, s`, value: c.import.seconds });
    if (c.enqueue) {
      rows.push(
        { part: 'scale', measure: `${label}: enqueue, s (${c.enqueue.enqueued} sent, depth ${c.enqueue.queueDepth})`, value: c.enqueue.seconds },
        { part: 'scale', measure: `${label}: claim of 500, ms, first 10 → last 10`, value: `${c.enqueue.claimMsFirst} → ${c.enqueue.claimMsLast}` },
        { part: 'scale', measure: `${label}: bench RSS MB before → after enqueue (emulator in process)`, value: `${c.enqueue.rssMbBefore} → ${c.enqueue.rssMbAfter}` },
      );
    }
    if (c.states) {
      rows.push(
        { part: 'scale', measure: `${label}: every source claimed 10,000 a statement, s (mean claim ms)`, value: `${c.states.claimSeconds} (${c.states.claimMs})` },
        { part: 'scale', measure: `${label}: 81% finished (80% done, 1% failed) 10,000 a statement, s`, value: c.states.finishSeconds },
      );
    }
    rows.push({ part: 'scale', measure: `${label}: bytes per image (source + link)`, value: c.size.bytesPerImage });
    if (!c.counted) continue;
    for (const [state, apis] of Object.entries(c.api)) {
      for (const [name, t] of Object.entries(apis)) {
        rows.push({ part: 'scale', measure: `${label} ${state}: ${name} SQL ms (call ms)`, value: `${t.sqlMs} (${t.ms})`, target: '≤ 50', met: t.sqlMs <= 50 });
      }
    }
  }
  if (scaled.triggerCost) {
    rows.push({ part: 'scale', measure: 'with counting triggers / without: import, enqueue', value: `${scaled.triggerCost.import}, ${scaled.triggerCost.enqueue}` });
  }
  if (scaled.enqueueRatio !== null) rows.push({ part: 'scale', measure: 'enqueue time 10× images / time', value: scaled.enqueueRatio, target: '≤ 11', met: scaled.enqueueRatio <= 11 });
  if (scaled.claimEndOverStart !== null) rows.push({ part: 'scale', measure: 'claim time at the end / at the start', value: scaled.claimEndOverStart });
}

results.seconds = round((Date.now() - started) / 1000, 0);
results.table = rows;
const out = join(import.meta.dirname, scale ? 'results-scale.json' : 'results.json');
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
printTable(rows);
say(`wrote ${out}`);
