import sharp from 'sharp';
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
 * The baseline for convertToWebp: raw sharp producing the same outputs (every width below the full
 * one, the full WebP, the ThumbHash), decoded once, minus everything around it (format sniffing, the
 * header check, error kinds). Returns the bytes written.
 */
export async function rawSharpRenditions(input: Buffer, image: ImageConfig): Promise<number> {
  const { data, info } = await sharp(input, { limitInputPixels: image.maxPixels, failOn: 'error' })
    .rotate()
    .resize({ width: image.maxDimension, height: image.maxDimension, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels = () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  const webp = { quality: image.quality, effort: image.effort };
  const [outputs, thumb] = await Promise.all([
    Promise.all([...image.widths.filter((w) => w < info.width).map((w) => pixels().resize({ width: w }).webp(webp).toBuffer()), pixels().webp(webp).toBuffer()]),
    pixels().resize({ width: 100, height: 100, fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true }),
  ]);
  const hash = rgbaToThumbHash(thumb.info.width, thumb.info.height, thumb.data);
  return outputs.reduce((sum, b) => sum + b.length, 0) + hash.length;
}
