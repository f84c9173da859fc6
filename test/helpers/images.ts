import sharp from 'sharp';
import { renderSampleImage } from '../../src/local/sample-images.ts';

const solid = (width: number, height: number, background = '#3a7bd5') =>
  sharp({ create: { width, height, channels: 3, background } });

/** Real image bytes for each awkward case a supplier can send. */
export const testImages = {
  jpeg: (width = 320, height = 240) => renderSampleImage({ label: 'JPEG', width, height, format: 'jpeg', hue: 30 }),
  png: (width = 320, height = 240) => renderSampleImage({ label: 'PNG', width, height, format: 'png', hue: 120 }),
  webp: (width = 320, height = 240) => renderSampleImage({ label: 'WEBP', width, height, format: 'webp', hue: 300 }),
  png16: (width = 64, height = 48) => solid(width, height).toColourspace('rgb16').png().toBuffer(),
  cmykJpeg: (width = 64, height = 48) => solid(width, height, '#d53a3a').toColourspace('cmyk').jpeg().toBuffer(),
  pngWithAlpha: (width = 64, height = 48) =>
    sharp({ create: { width, height, channels: 4, background: { r: 0, g: 128, b: 0, alpha: 0.5 } } }).png().toBuffer(),
  /** Stored 200×100 with EXIF orientation 6: displays as 100×200. */
  exifRotatedJpeg: () => solid(200, 100).jpeg().withMetadata({ orientation: 6 }).toBuffer(),
  /** Three 40×30 frames of different colours. */
  animatedGif: async () => {
    const frames = await Promise.all(['#f00', '#0f0', '#00f'].map((c) => solid(40, 30, c).png().toBuffer()));
    return sharp(frames, { join: { animated: true } }).gif({ delay: [100, 100, 100] }).toBuffer();
  },
  svg: () => Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'),
  /** The first half of a JPEG: the header parses, the scan data stops short. */
  truncatedJpeg: async () => {
    const full = await sharp({
      create: { width: 200, height: 150, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .jpeg()
      .toBuffer();
    return full.subarray(0, Math.floor(full.length / 2));
  },
  html: () => Buffer.from('<!doctype html><html><body>404 Not Found</body></html>'),
};
