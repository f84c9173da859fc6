import sharp from 'sharp';

export interface SampleImageSpec {
  label: string;
  width: number;
  height: number;
  format: 'jpeg' | 'png' | 'gif' | 'webp';
  /** Colour wheel angle (0–359) for the background and the product. */
  hue: number;
}

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

function productSvg({ label, width, height, hue }: SampleImageSpec): string {
  const unit = Math.min(width, height);
  const cx = width / 2;
  const cy = height * 0.45;
  const fontSize = Math.max(10, Math.round(unit / 12));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="hsl(${hue},45%,92%)"/>
      <stop offset="1" stop-color="hsl(${hue},40%,70%)"/>
    </linearGradient>
    <linearGradient id="body" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="hsl(${(hue + 180) % 360},60%,55%)"/>
      <stop offset="1" stop-color="hsl(${(hue + 180) % 360},60%,30%)"/>
    </linearGradient>
  </defs>
  <rect width="100%" height="100%" fill="url(#bg)"/>
  <ellipse cx="${cx}" cy="${cy + unit * 0.3}" rx="${unit * 0.3}" ry="${unit * 0.05}" fill="rgba(0,0,0,0.18)"/>
  <rect x="${cx - unit * 0.18}" y="${cy - unit * 0.25}" width="${unit * 0.36}" height="${unit * 0.52}" rx="${unit * 0.05}" fill="url(#body)"/>
  <rect x="${cx - unit * 0.07}" y="${cy - unit * 0.33}" width="${unit * 0.14}" height="${unit * 0.09}" rx="${unit * 0.02}" fill="hsl(${hue},20%,25%)"/>
  <rect x="${cx - unit * 0.14}" y="${cy - unit * 0.06}" width="${unit * 0.28}" height="${unit * 0.14}" fill="rgba(255,255,255,0.85)"/>
  <text x="${cx}" y="${height - fontSize}" font-family="sans-serif" font-size="${fontSize}" font-weight="bold"
        text-anchor="middle" fill="hsl(${hue},30%,20%)">${escapeXml(label)}</text>
</svg>`;
}

/**
 * Renders a plausible product photo (gradient backdrop, a bottle-like product, a caption) in the
 * requested format. Used by the demo's fixture CDN and by tests that need real image bytes.
 */
export async function renderSampleImage(spec: SampleImageSpec): Promise<Buffer> {
  const image = sharp(Buffer.from(productSvg(spec)));
  switch (spec.format) {
    case 'jpeg':
      return image.flatten({ background: '#ffffff' }).jpeg({ quality: 85 }).toBuffer();
    case 'png':
      return image.png().toBuffer();
    case 'gif':
      return image.gif().toBuffer();
    case 'webp':
      return image.webp().toBuffer();
  }
}
