import sharp, { type Sharp } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import type { ImageConfig } from '../src/images/convert.ts';

/**
 * Today's single size before responsive images: sharp with the pipeline convertToWebp ran for its one
 * output (same limits, orientation, resize, colour space, quality), nothing around it.
 */
export async function rawSharpToWebp(input: Buffer, image: ImageConfig): Promise<Buffer> {
  return sharp(input, { limitInputPixels: image.maxPixels, failOn: 'error' })
    .rotate()
    .resize({ width: image.maxDimension, height: image.maxDimension, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .webp({ quality: image.quality, effort: image.effort })
    .toBuffer();
}

/**
 * AVIF at the settings measured against our WebP (docs/performance.md): quality 50 gives the WebP's
 * PSNR at quality 80; effort 2, since sharp's default 4 costs ~7× more again for ~15% fewer bytes.
 */
export const avifSettings = { quality: 50, effort: 2 } as const;

/**
 * The baseline for convertToWebp: raw sharp producing the same outputs with the same settings (every
 * width below the full one at WEBP_SIZES_EFFORT, the full WebP, the ThumbHash), decoded once, minus
 * everything around it (format sniffing, the header check, error kinds). Returns the bytes written.
 * With `avif`, the same set as AVIF (`avifSettings`): what `IMAGE_FORMATS=webp,avif` would add.
 */
export async function rawSharpRenditions(input: Buffer, image: ImageConfig, format: 'webp' | 'avif' = 'webp'): Promise<number> {
  const { data, info } = await sharp(input, { limitInputPixels: image.maxPixels, failOn: 'error' })
    .rotate()
    .resize({ width: image.maxDimension, height: image.maxDimension, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels = () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  const encode = (pipeline: Sharp, effort: number) =>
    (format === 'avif' ? pipeline.avif(avifSettings) : pipeline.webp({ quality: image.quality, effort })).toBuffer();
  let bytes = 0;
  // One output at a time, as convertToWebp does: less CPU than all at once (docs/performance.md).
  for (const w of image.widths.filter((w) => w < info.width)) bytes += (await encode(pixels().resize({ width: w }), image.sizesEffort)).length;
  bytes += (await encode(pixels(), image.effort)).length;
  const thumb = await pixels().resize({ width: 100, height: 100, fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const hash = rgbaToThumbHash(thumb.info.width, thumb.info.height, thumb.data);
  return bytes + hash.length;
}
