import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Config } from '../src/config.ts';
import { convertToWebp } from '../src/images/convert.ts';
import type { Corpus } from './corpus.ts';
import { findImageMagick, imageMagickToWebp } from './imagemagick.ts';
import { bestOfInterleaved, median, round, timedPool, type Timing } from './measure.ts';
import { avifSettings, rawSharpRenditions, rawSharpToWebp } from './raw-sharp.ts';

export interface ConversionResult {
  files: number;
  megapixels: number;
  concurrency: number;
  sharpThreads: number;
  /** The widths made below the full size (IMAGE_WIDTHS), and the WebPs written per image on average. */
  widths: number[];
  outputsPerImage: number;
  ours: { imagesPerSecond: number; cpuMsPerImage: number; outputBytes: number };
  /** Raw sharp producing the same outputs (every size and the placeholder). */
  rawSharp: { imagesPerSecond: number; cpuMsPerImage: number; outputBytes: number };
  /** Raw sharp producing today's single size only, the cost before responsive images. */
  singleSize: { imagesPerSecond: number; cpuMsPerImage: number; outputBytes: number };
  /** ImageMagick as usually run (libwebp method 4), and at our effort for an engine-only comparison. */
  imageMagick:
    | {
        version: string;
        imagesPerSecond: number;
        outputBytes: number;
        sameEffort: { method: number; imagesPerSecond: number; outputBytes: number };
      }
    | { unavailable: string };
  /** Throughput ratio: raw sharp's best wall time over ours. */
  oursVsRawSharp: number;
  /** Overhead ratio: raw sharp's CPU time over ours, all rounds; steadier than wall time on a shared machine. */
  oursVsRawSharpCpu: number;
  /**
   * CPU time of ours (every size and the placeholder) over raw sharp's single size: the median of the
   * rounds' ratios (each round runs both, one after the other), and each round's.
   */
  allSizesVsSingleCpu: number;
  allSizesVsSingleCpuByRound: number[];
  /** Raw sharp making the same set as AVIF (`avifSettings`), one round next to the WebP set. */
  avif: { quality: number; effort: number; cpuMsPerImage: number; outputBytes: number; cpuVsWebp: number; bytesVsWebp: number };
  oursVsImageMagick: number | null;
  effort: number;
}

const rate = (files: number, timing: Timing) => round(files / (timing.wallMs / 1000));

/**
 * convertToWebp (every size and the placeholder) against raw sharp producing the same outputs, and
 * against raw sharp producing today's single size (what the sizes cost), and ImageMagick at the same quality and size
 * (as usually run, and at our effort), on the same files at the same concurrency (WORKER_CONCURRENCY):
 * interleaved rounds, best of each, so a noisy neighbour cannot favour one side. Then one round of raw
 * sharp's same set as AVIF next to it as WebP: what the optional AVIF output would cost.
 */
export async function benchConversion(config: Config, corpus: Corpus, rounds: number): Promise<ConversionResult> {
  const { images } = corpus;
  const concurrency = config.worker.concurrency;
  const { maxDimension, quality, effort } = config.image;
  const outputBytes: Record<string, number> = {};
  // Warm both sharp paths (libvips start-up, codec tables) before anything is timed.
  await Promise.all(images.slice(0, 4).map((image) => rawSharpToWebp(image.data, config.image)));
  await Promise.all(images.slice(0, 4).map((image) => rawSharpRenditions(image.data, config.image)));
  await Promise.all(images.slice(0, 4).map((image) => convertToWebp(image.data, config.image)));

  let outputs = 0;
  const withSharp = (key: string, convert: (data: Buffer) => Promise<number>) => async () => {
    const timing = await timedPool(images, concurrency, (image) => convert(image.data));
    outputBytes[key] = timing.value.reduce((a, b) => a + b, 0);
    return timing;
  };
  const magick = findImageMagick();
  const out = mkdtempSync(join(tmpdir(), 'bench-magick-'));
  const withMagick = (key: string, method: number | undefined) => async () => {
    if (magick.command === undefined) throw new Error('no ImageMagick');
    const output = (name: string) => join(out, `${key}-${name}.webp`);
    const timing = await timedPool(images, concurrency, (image) =>
      imageMagickToWebp(magick.command, { input: image.path, output: output(image.name), maxDimension, quality, method }),
    );
    outputBytes[key] = images.reduce((sum, image) => sum + statSync(output(image.name)).size, 0);
    return timing;
  };
  const sharpOnly = {
    ours: withSharp('ours', async (data) => {
      const converted = await convertToWebp(data, config.image);
      outputs += converted.renditions.length;
      return converted.renditions.reduce((sum, r) => sum + r.data.length, 0);
    }),
    raw: withSharp('raw', (data) => rawSharpRenditions(data, config.image)),
    single: withSharp('single', async (data) => (await rawSharpToWebp(data, config.image)).length),
  };
  type Best = Timing & { cpuMsPerRound: number; cpuMsByRound: number[] };
  let best: Partial<Record<'magick' | 'magickSameEffort', Best>> & Record<'ours' | 'raw' | 'single', Best>;
  try {
    best =
      magick.command === undefined
        ? await bestOfInterleaved(rounds, sharpOnly)
        : await bestOfInterleaved(rounds, { ...sharpOnly, magick: withMagick('magick', undefined), magickSameEffort: withMagick('magickSameEffort', effort) });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const imageMagick: ConversionResult['imageMagick'] =
    magick.command === undefined || !best.magick || !best.magickSameEffort
      ? { unavailable: 'unavailable' in magick ? magick.unavailable : 'not run' }
      : {
          version: magick.version,
          imagesPerSecond: rate(images.length, best.magick),
          outputBytes: outputBytes.magick!,
          sameEffort: { method: effort, imagesPerSecond: rate(images.length, best.magickSameEffort), outputBytes: outputBytes.magickSameEffort! },
        };
  const magickTiming = best.magick;
  const byRound = best.ours.cpuMsByRound.map((ours, i) => ours / best.single.cpuMsByRound[i]!);
  // One round: the AVIF encoder is ~8× slower than WebP's at the same PSNR, so more would cost minutes.
  const avifRound = await bestOfInterleaved(1, {
    webp: withSharp('webpSet', (data) => rawSharpRenditions(data, config.image)),
    avif: withSharp('avifSet', (data) => rawSharpRenditions(data, config.image, 'avif')),
  });

  return {
    files: images.length,
    megapixels: round(images.reduce((sum, image) => sum + (image.width * image.height) / 1e6, 0), 1),
    concurrency,
    sharpThreads: sharp.concurrency(),
    widths: config.image.widths,
    outputsPerImage: round(outputs / (images.length * rounds), 2),
    ours: { imagesPerSecond: rate(images.length, best.ours), cpuMsPerImage: round(best.ours.cpuMsPerRound / images.length, 1), outputBytes: outputBytes.ours! },
    rawSharp: { imagesPerSecond: rate(images.length, best.raw), cpuMsPerImage: round(best.raw.cpuMsPerRound / images.length, 1), outputBytes: outputBytes.raw! },
    singleSize: { imagesPerSecond: rate(images.length, best.single), cpuMsPerImage: round(best.single.cpuMsPerRound / images.length, 1), outputBytes: outputBytes.single! },
    imageMagick,
    oursVsRawSharp: round(best.raw.wallMs / best.ours.wallMs),
    oursVsRawSharpCpu: round(best.raw.cpuMsPerRound / best.ours.cpuMsPerRound),
    allSizesVsSingleCpu: round(median(byRound)),
    allSizesVsSingleCpuByRound: byRound.map((r) => round(r)),
    avif: {
      ...avifSettings,
      cpuMsPerImage: round(avifRound.avif.cpuMs / images.length, 1),
      outputBytes: outputBytes.avifSet!,
      cpuVsWebp: round(avifRound.avif.cpuMs / avifRound.webp.cpuMs),
      bytesVsWebp: round(outputBytes.avifSet! / outputBytes.webpSet!),
    },
    oursVsImageMagick: magickTiming ? round(magickTiming.wallMs / best.ours.wallMs) : null,
    effort: config.image.effort,
  };
}
