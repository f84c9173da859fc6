import sharp, { type Sharp } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import type { Config } from '../config.ts';
import { ErrorKind, ImageError } from './errors.ts';
import { SniffedFormat, sniffImageFormat } from './sniff.ts';

/** What conversion needs from `config.image`. */
export type ImageConfig = Config['image'];

/** One WebP of the image at one size. */
export interface Rendition {
  data: Buffer;
  width: number;
  height: number;
}

export interface ConvertedImage extends Rendition {
  /**
   * Every size, widths ascending: one per `IMAGE_WIDTHS` narrower than the full image (never enlarged),
   * then the full image itself (the same bytes as `data`).
   */
  renditions: Rendition[];
  /** ThumbHash of the image, base64: a ~25-byte blurred preview that keeps aspect ratio and alpha. */
  placeholder: string;
  /** The real input format, from its bytes. */
  sourceFormat: SniffedFormat;
  /** Dimensions of the input as stored (before orientation and resizing). */
  original: { width: number; height: number };
}

// SVG is refused: rasterising untrusted SVG means running an XML parser and renderer over
// supplier input (entity expansion, external references, huge viewports). HEIC needs the HEVC
// codec, which sharp's prebuilt binaries do not ship; BMP and ICO have no libvips loader there.
const convertible: ReadonlySet<SniffedFormat> = new Set([
  SniffedFormat.jpeg,
  SniffedFormat.png,
  SniffedFormat.gif,
  SniffedFormat.webp,
  SniffedFormat.tiff,
  SniffedFormat.avif,
]);

function sniffConvertible(input: Buffer): SniffedFormat {
  const format = sniffImageFormat(input);
  if (!format) throw new ImageError(ErrorKind.notAnImage, `not an image (first bytes ${input.subarray(0, 8).toString('hex') || 'none'})`);
  if (!convertible.has(format)) throw new ImageError(ErrorKind.unsupportedFormat, `${format} images are not supported`);
  return format;
}

function classifySharpError(error: unknown, format: SniffedFormat): ImageError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new ImageError(ErrorKind.tooManyPixels, `${format}: ${message}`, { cause: error });
  if (/unsupported image format/i.test(message)) return new ImageError(ErrorKind.notAnImage, `${format}: ${message}`, { cause: error });
  return new ImageError(ErrorKind.undecodable, `${format} could not be decoded: ${message}`, { cause: error });
}

/** ThumbHash works on at most 100×100 pixels. */
const THUMBHASH_MAX = 100;

async function thumbHashOf(pixels: Sharp): Promise<string> {
  const { data, info } = await pixels
    .resize({ width: THUMBHASH_MAX, height: THUMBHASH_MAX, fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString('base64');
}

/**
 * Converts downloaded bytes to WebPs: the full image no larger than `maxDimension` on either side,
 * and one narrower rendition per configured width below the full width, plus a ThumbHash placeholder.
 * The input is decoded once, to raw pixels at the full size, and every output is made from them, one
 * after another: cheaper than a sharp `clone()` or a pipeline per size, which each decode the input
 * again (measured in docs/performance.md).
 * The format comes from the bytes, never the Content-Type. Orientation is applied from EXIF and
 * all metadata dropped; CMYK and 16-bit inputs come out as 8-bit sRGB, alpha is kept;
 * animated GIF/WebP keep their first frame only (product images are stills).
 * @throws ImageError not_an_image, unsupported_format, too_many_pixels or undecodable.
 */
export async function convertToWebp(input: Buffer, imageConfig: ImageConfig): Promise<ConvertedImage> {
  const sourceFormat = sniffConvertible(input);
  // failOn 'error' rejects truncated or corrupt data; libvips' 'warning' level would also refuse
  // images with harmless quirks (odd EXIF, trailing bytes) that browsers display fine.
  const options = { limitInputPixels: imageConfig.maxPixels, failOn: 'error' } as const;
  try {
    // The header is read first so a pixel bomb is refused with its real size before any decoding.
    const { width = 0, height = 0 } = await sharp(input, { ...options, limitInputPixels: false }).metadata();
    if (width * height > imageConfig.maxPixels) {
      throw new ImageError(
        ErrorKind.tooManyPixels,
        `${sourceFormat} is ${width}×${height} (${width * height} pixels), over the limit of ${imageConfig.maxPixels}`,
      );
    }
    const full = await sharp(input, options)
      .rotate()
      .resize({
        width: imageConfig.maxDimension,
        height: imageConfig.maxDimension,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { width: fullWidth, channels } = full.info;
    const pixels = () => sharp(full.data, { raw: { width: fullWidth, height: full.info.height, channels } });
    // Effort 2 instead of libwebp's default 4: half the CPU for ~5% more bytes at the same quality
    // (measured by `npm run bench`, see docs/performance.md); WEBP_EFFORT buys the bytes back.
    // The narrower sizes at WEBP_SIZES_EFFORT (1): the same PSNR, 11–17% more of their bytes, ~5% less CPU.
    const encode = async (image: Sharp, effort: number): Promise<Rendition> => {
      const { data, info } = await image.webp({ quality: imageConfig.quality, effort }).toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    };
    // One output at a time: the image's own outputs in parallel cost ~3% more CPU (threads contending
    // for two cores and cache) and hold more pixels at once; the worker already runs images in parallel.
    const renditions: Rendition[] = [];
    for (const w of imageConfig.widths.filter((w) => w < fullWidth)) renditions.push(await encode(pixels().resize({ width: w }), imageConfig.sizesEffort));
    renditions.push(await encode(pixels(), imageConfig.effort));
    const placeholder = await thumbHashOf(pixels());
    const largest = renditions.at(-1)!;
    return { ...largest, renditions, placeholder, sourceFormat, original: { width, height } };
  } catch (error) {
    throw error instanceof ImageError ? error : classifySharpError(error, sourceFormat);
  }
}
