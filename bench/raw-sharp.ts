import sharp from 'sharp';
import type { ImageConfig } from '../src/images/convert.ts';

/**
 * The baseline: sharp with exactly the pipeline convertToWebp runs (same limits, orientation, resize,
 * colour space, quality), minus everything around it (format sniffing, the header check, error kinds).
 */
export async function rawSharpToWebp(input: Buffer, image: ImageConfig): Promise<Buffer> {
  return sharp(input, { limitInputPixels: image.maxPixels, failOn: 'error' })
    .rotate()
    .resize({ width: image.maxDimension, height: image.maxDimension, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .webp({ quality: image.quality, effort: image.effort })
    .toBuffer();
}
