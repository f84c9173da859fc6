import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Config } from '../src/config.ts';
import { convertToWebp } from '../src/images/convert.ts';
import type { Corpus } from './corpus.ts';
import { findImageMagick, imageMagickToWebp } from './imagemagick.ts';
import { bestOfInterleaved, round, timedPool, type Timing } from './measure.ts';
import { rawSharpToWebp } from './raw-sharp.ts';

export interface ConversionResult {
  files: number;
  megapixels: number;
  concurrency: number;
  sharpThreads: number;
  ours: { imagesPerSecond: number; cpuMsPerImage: number; outputBytes: number };
  rawSharp: { imagesPerSecond: number; cpuMsPerImage: number; outputBytes: number };
  /** ImageMagick as usually run (libwebp method 4), and at our effort for an engine-only comparison. */
  imageMagick:
    | {
        version: string;
        imagesPerSecond: number;
        outputBytes: number;
        sameEffort: { method: number; imagesPerSecond: number; outputBytes: number };
      }
    | { unavailable: string };
  oursVsRawSharp: number;
  oursVsImageMagick: number | null;
  effort: number;
}

const rate = (files: number, timing: Timing) => round(files / (timing.wallMs / 1000));

/**
 * convertToWebp against raw sharp with the same settings, on the same files at the same concurrency
 * (WORKER_CONCURRENCY), interleaved rounds, best of each; then ImageMagick on the same files, once.
 */
export async function benchConversion(config: Config, corpus: Corpus, rounds: number): Promise<ConversionResult> {
  const { images } = corpus;
  const concurrency = config.worker.concurrency;
  const outputBytes = { ours: 0, raw: 0 };
  // Warm both paths (libvips start-up, codec tables) before anything is timed.
  await Promise.all(images.slice(0, 4).map((image) => rawSharpToWebp(image.data, config.image)));
  await Promise.all(images.slice(0, 4).map((image) => convertToWebp(image.data, config.image)));

  const measure = (key: keyof typeof outputBytes, convert: (data: Buffer) => Promise<Buffer>) => async () => {
    const timing = await timedPool(images, concurrency, async (image) => (await convert(image.data)).length);
    outputBytes[key] = timing.value.reduce((a, b) => a + b, 0);
    return timing;
  };
  const best = await bestOfInterleaved(rounds, {
    ours: measure('ours', async (data) => (await convertToWebp(data, config.image)).data),
    raw: measure('raw', (data) => rawSharpToWebp(data, config.image)),
  });

  const magick = findImageMagick();
  let imageMagick: ConversionResult['imageMagick'];
  let magickTiming: Timing | undefined;
  if (magick.command !== undefined) {
    const out = mkdtempSync(join(tmpdir(), 'bench-magick-'));
    const { maxDimension, quality, effort } = config.image;
    const runMagick = async (method: number | undefined) => {
      const timing = await timedPool(images, concurrency, (image) =>
        imageMagickToWebp(magick.command, { input: image.path, output: join(out, `${image.name}.webp`), maxDimension, quality, method }),
      );
      const bytes = images.reduce((sum, image) => sum + statSync(join(out, `${image.name}.webp`)).size, 0);
      return { timing, bytes };
    };
    try {
      const plain = await runMagick(undefined);
      const sameEffort = await runMagick(effort);
      magickTiming = plain.timing;
      imageMagick = {
        version: magick.version,
        imagesPerSecond: rate(images.length, plain.timing),
        outputBytes: plain.bytes,
        sameEffort: { method: effort, imagesPerSecond: rate(images.length, sameEffort.timing), outputBytes: sameEffort.bytes },
      };
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  } else {
    imageMagick = { unavailable: magick.unavailable };
  }

  return {
    files: images.length,
    megapixels: round(images.reduce((sum, image) => sum + (image.width * image.height) / 1e6, 0), 1),
    concurrency,
    sharpThreads: sharp.concurrency(),
    ours: { imagesPerSecond: rate(images.length, best.ours), cpuMsPerImage: round(best.ours.cpuMs / images.length, 1), outputBytes: outputBytes.ours },
    rawSharp: { imagesPerSecond: rate(images.length, best.raw), cpuMsPerImage: round(best.raw.cpuMs / images.length, 1), outputBytes: outputBytes.raw },
    imageMagick,
    oursVsRawSharp: round(best.raw.wallMs / best.ours.wallMs),
    oursVsImageMagick: magickTiming ? round(magickTiming.wallMs / best.ours.wallMs) : null,
    effort: config.image.effort,
  };
}
