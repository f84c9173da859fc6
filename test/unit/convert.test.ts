import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { convertToWebp } from '../../src/images/convert.ts';
import { ErrorKind, ImageError } from '../../src/images/errors.ts';
import { testImages } from '../helpers/images.ts';

const imageConfig = loadConfig({ IMAGE_MAX_DIMENSION: '256', IMAGE_MAX_PIXELS: '4000000' }).image;

async function refusal(input: Buffer): Promise<ImageError> {
  const error = await convertToWebp(input, imageConfig).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ImageError);
  return error as ImageError;
}

describe('convertToWebp', () => {
  it.each([
    ['jpeg', testImages.jpeg, 'jpeg'],
    ['png', testImages.png, 'png'],
    ['webp', testImages.webp, 'webp'],
    ['16-bit png', testImages.png16, 'png'],
    ['cmyk jpeg', testImages.cmykJpeg, 'jpeg'],
  ])('turns a %s into an 8-bit sRGB WebP', async (_name, make, sourceFormat) => {
    const input = await make();
    const result = await convertToWebp(input, imageConfig);
    const meta = await sharp(result.data).metadata();
    expect(result.sourceFormat).toBe(sourceFormat);
    expect(meta).toMatchObject({ format: 'webp', space: 'srgb', channels: 3, depth: 'uchar' });
    expect([meta.width, meta.height]).toEqual([result.width, result.height]);
  });

  it('is fed genuinely awkward inputs', async () => {
    expect(await sharp(await testImages.cmykJpeg()).metadata()).toMatchObject({ space: 'cmyk', channels: 4 });
    expect(await sharp(await testImages.png16()).metadata()).toMatchObject({ depth: 'ushort' });
  });

  it('shrinks to fit the maximum dimension and keeps the aspect ratio', async () => {
    const result = await convertToWebp(await testImages.jpeg(1024, 512), imageConfig);
    expect([result.width, result.height]).toEqual([256, 128]);
  });

  it('never enlarges a small image', async () => {
    const result = await convertToWebp(await testImages.png(100, 60), imageConfig);
    expect([result.width, result.height]).toEqual([100, 60]);
  });

  it('applies EXIF orientation and drops the EXIF', async () => {
    const input = await testImages.exifRotatedJpeg();
    expect(await sharp(input).metadata()).toMatchObject({ width: 200, height: 100, orientation: 6 });
    const result = await convertToWebp(input, imageConfig);
    const meta = await sharp(result.data).metadata();
    expect([result.width, result.height]).toEqual([100, 200]);
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
  });

  it('keeps alpha', async () => {
    const result = await convertToWebp(await testImages.pngWithAlpha(), imageConfig);
    const meta = await sharp(result.data).metadata();
    expect(meta.hasAlpha).toBe(true);
    const { data } = await sharp(result.data).raw().toBuffer({ resolveWithObject: true });
    expect(data[3]).toBeGreaterThan(100);
    expect(data[3]).toBeLessThan(155);
  });

  it('keeps only the first frame of an animated GIF', async () => {
    const input = await testImages.animatedGif();
    expect((await sharp(input).metadata()).pages).toBe(3);
    const result = await convertToWebp(input, imageConfig);
    const meta = await sharp(result.data).metadata();
    expect(meta.pages ?? 1).toBe(1);
    expect([result.width, result.height]).toEqual([40, 30]);
    const { data } = await sharp(result.data).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(200); // the red first frame
    expect(data[2]).toBeLessThan(50);
  });

  it('goes by the bytes, not by what the server called them', async () => {
    expect((await refusal(testImages.html())).kind).toBe(ErrorKind.notAnImage);
    expect((await refusal(Buffer.alloc(0))).kind).toBe(ErrorKind.notAnImage);
    expect((await refusal(Buffer.from('{"error":"not found"}'))).kind).toBe(ErrorKind.notAnImage);
  });

  it('refuses SVG as unsupported rather than rasterising untrusted markup', async () => {
    const error = await refusal(testImages.svg());
    expect(error.kind).toBe(ErrorKind.unsupportedFormat);
    expect(error.message).toBe('svg images are not supported');
  });

  it('refuses a truncated JPEG as undecodable', async () => {
    const error = await refusal(await testImages.truncatedJpeg());
    expect(error.kind).toBe(ErrorKind.undecodable);
    expect(error.message).toMatch(/^jpeg could not be decoded: .*premature end/i);
  });

  it('refuses too many pixels from the header, naming size and limit', async () => {
    const error = await refusal(await testImages.png(2100, 2000));
    expect(error.kind).toBe(ErrorKind.tooManyPixels);
    expect(error.message).toBe('png is 2100×2000 (4200000 pixels), over the limit of 4000000');
    expect(error.transient).toBe(false);
  });
});
