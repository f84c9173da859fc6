/** Image formats recognised by their leading bytes; only some of them are converted (see convert.ts). */
export const SniffedFormat = {
  jpeg: 'jpeg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
  tiff: 'tiff',
  avif: 'avif',
  heic: 'heic',
  bmp: 'bmp',
  ico: 'ico',
  svg: 'svg',
} as const;
export type SniffedFormat = (typeof SniffedFormat)[keyof typeof SniffedFormat];

const startsWith = (bytes: Buffer, signature: readonly number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);

const ascii = (bytes: Buffer, start: number, end: number) => bytes.subarray(start, end).toString('latin1');

function sniffIsoMedia(bytes: Buffer): SniffedFormat | undefined {
  if (ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const brand = ascii(bytes, 8, 12);
  if (brand === 'avif' || brand === 'avis') return SniffedFormat.avif;
  if (['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1'].includes(brand)) return SniffedFormat.heic;
  return undefined;
}

// SVG is text: look for an <svg element near the start, after an optional XML prolog, comments or doctype.
function looksLikeSvg(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 4096).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return head.startsWith('<') && /<svg[\s>]/i.test(head);
}

/**
 * The format the bytes really are, whatever the Content-Type said; undefined for anything that
 * is not a known image (HTML error pages, JSON, empty bodies).
 */
export function sniffImageFormat(bytes: Buffer): SniffedFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return SniffedFormat.jpeg;
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return SniffedFormat.png;
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return SniffedFormat.gif;
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return SniffedFormat.webp;
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return SniffedFormat.tiff;
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length > 14) return SniffedFormat.bmp;
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return SniffedFormat.ico;
  return sniffIsoMedia(bytes) ?? (looksLikeSvg(bytes) ? SniffedFormat.svg : undefined);
}
