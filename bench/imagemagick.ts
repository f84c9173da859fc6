import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export type ImageMagick = { command: string; version: string } | { command?: undefined; unavailable: string };

function probe(command: string): string | undefined {
  try {
    const first = execFileSync(command, ['-version'], { stdio: 'pipe' }).toString().split('\n')[0] ?? '';
    // A stand-in `convert` that is not ImageMagick may come first on PATH.
    return first.includes('ImageMagick') ? first.replace(/^Version:\s*/, '') : undefined;
  } catch {
    return undefined;
  }
}

const candidates = ['magick', '/usr/bin/magick', '/usr/bin/convert', 'convert'];

function find(): ImageMagick | undefined {
  for (const command of candidates) {
    const version = probe(command);
    if (version) return { command, version };
  }
  return undefined;
}

/** Finds a real ImageMagick; when there is none and we are root, installs Debian's `imagemagick`. */
export function findImageMagick(): ImageMagick {
  const found = find();
  if (found) return found;
  if (process.getuid?.() !== 0) return { unavailable: 'ImageMagick is not installed and installing it needs root (apt-get install imagemagick)' };
  try {
    execFileSync('apt-get', ['update'], { stdio: 'pipe' });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'imagemagick'], { stdio: 'pipe' });
  } catch (error) {
    return { unavailable: `apt-get install imagemagick failed: ${(error as Error).message.split('\n')[0]}` };
  }
  return find() ?? { unavailable: 'imagemagick installed but no ImageMagick binary answers -version' };
}

/**
 * The same job as convertToWebp in ImageMagick: orient from EXIF, fit inside max×max without enlarging,
 * sRGB, metadata stripped, WebP at the same quality; libwebp's `method` (sharp's effort) when given,
 * else ImageMagick's default (4), as a plain `convert … -quality 80 out.webp` does.
 */
export async function imageMagickToWebp(
  command: string,
  job: { input: string; output: string; maxDimension: number; quality: number; method?: number },
) {
  const method = job.method === undefined ? [] : ['-define', `webp:method=${job.method}`];
  // One thread per process, like libvips per image here; parallelism comes from running `concurrency` at once.
  await execFileAsync(command, [
    job.input,
    '-auto-orient',
    '-resize',
    `${job.maxDimension}x${job.maxDimension}>`,
    '-colorspace',
    'sRGB',
    '-strip',
    '-quality',
    String(job.quality),
    ...method,
    `webp:${job.output}`,
  ], { env: { ...process.env, MAGICK_THREAD_LIMIT: '1' } });
}
