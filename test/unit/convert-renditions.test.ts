import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio, thumbHashToRGBA } from 'thumbhash';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { convertToWebp } from '../../src/images/convert.ts';
import { sha256Hex } from '../../src/images/store.ts';
import { testImages } from '../helpers/images.ts';

const imageConfig = loadConfig({ IMAGE_MAX_DIMENSION: '2048', IMAGE_WIDTHS: '640,320,1024' }).image;

describe('convertToWebp renditions', () => {
  it('reads IMAGE_WIDTHS ascending, and defaults to 320, 640 and 1024', () => {
    expect(imageConfig.widths).toEqual([320, 640, 1024]);
    expect(loadConfig({}).image.widths).toEqual([320, 640, 1024]);
    expect(() => loadConfig({ IMAGE_WIDTHS: '320,wide' })).toThrow(/IMAGE_WIDTHS/);
  });

  it('IMAGE_WIDTHS=none makes the full WebP alone, with its placeholder', async () => {
    const single = loadConfig({ IMAGE_WIDTHS: 'none' }).image;
    expect(single.widths).toEqual([]);
    const result = await convertToWebp(await testImages.jpeg(3000, 1500), single);
    expect(result.renditions.map((r) => [r.width, r.height])).toEqual([[2048, 1024]]);
    expect(result.placeholder.length).toBeGreaterThan(0);
  });

  it('makes every configured width and the full image, widths ascending, each a WebP of its size', async () => {
    const result = await convertToWebp(await testImages.jpeg(3000, 1500), imageConfig);
    expect(result.renditions.map((r) => [r.width, r.height])).toEqual([
      [320, 160],
      [640, 320],
      [1024, 512],
      [2048, 1024],
    ]);
    expect(result.renditions.at(-1)!.data).toBe(result.data);
    for (const rendition of result.renditions) {
      const meta = await sharp(rendition.data).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', rendition.width, rendition.height]);
    }
    expect(new Set(result.renditions.map((r) => sha256Hex(r.data))).size).toBe(4);
  });

  it('never enlarges: widths at or above the image width are left out, the full image is as big as it gets', async () => {
    const result = await convertToWebp(await testImages.png(640, 400), imageConfig);
    expect(result.renditions.map((r) => [r.width, r.height])).toEqual([
      [320, 200],
      [640, 400],
    ]);
    const tiny = await convertToWebp(await testImages.png(100, 60), imageConfig);
    expect(tiny.renditions.map((r) => r.width)).toEqual([100]);
  });

  it('encodes the narrower sizes at WEBP_SIZES_EFFORT (default 1) and the full image at WEBP_EFFORT', async () => {
    expect(loadConfig({}).image).toMatchObject({ effort: 2, sizesEffort: 1 });
    expect(() => loadConfig({ WEBP_SIZES_EFFORT: '7' })).toThrow(/WEBP_SIZES_EFFORT/);
    const input = await testImages.jpeg(2400, 1600);
    const cheap = await convertToWebp(input, imageConfig);
    const careful = await convertToWebp(input, { ...imageConfig, sizesEffort: 6 });
    const hashes = (result: typeof cheap) => result.renditions.map((r) => sha256Hex(r.data));
    expect(hashes(careful).at(-1)).toBe(hashes(cheap).at(-1));
    for (const [i, rendition] of careful.renditions.slice(0, -1).entries()) {
      expect(hashes(careful)[i]).not.toBe(hashes(cheap)[i]);
      expect([rendition.width, rendition.height]).toEqual([cheap.renditions[i]!.width, cheap.renditions[i]!.height]);
    }
  });

  it('gives each image a ThumbHash placeholder of a few dozen bytes that decodes to its aspect ratio', async () => {
    const result = await convertToWebp(await testImages.jpeg(1200, 600), imageConfig);
    const hash = Buffer.from(result.placeholder, 'base64');
    expect(hash.length).toBeGreaterThan(5);
    expect(hash.length).toBeLessThanOrEqual(30);
    expect(thumbHashToApproximateAspectRatio(hash)).toBeCloseTo(2, 0);
    const preview = thumbHashToRGBA(hash);
    expect(preview.w).toBeGreaterThan(preview.h);
    expect(preview.rgba.length).toBe(preview.w * preview.h * 4);
  });

  it('keeps alpha in the placeholder', async () => {
    const result = await convertToWebp(await testImages.pngWithAlpha(), imageConfig);
    const { rgba } = thumbHashToRGBA(Buffer.from(result.placeholder, 'base64'));
    expect(rgba[3]).toBeLessThan(200);
  });

  it('is deterministic: the same bytes give the same renditions and placeholder', async () => {
    const input = await testImages.jpeg(1500, 1000);
    const [a, b] = await Promise.all([convertToWebp(input, imageConfig), convertToWebp(input, imageConfig)]);
    expect(b.renditions.map((r) => sha256Hex(r.data))).toEqual(a.renditions.map((r) => sha256Hex(r.data)));
    expect(b.placeholder).toBe(a.placeholder);
  });
});
