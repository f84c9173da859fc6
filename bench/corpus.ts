import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { renderSampleImage } from '../src/local/sample-images.ts';

/** One input image: bytes on disk (ImageMagick reads files) and in memory (sharp reads buffers). */
export interface CorpusImage {
  name: string;
  path: string;
  data: Buffer;
  width: number;
  height: number;
  /** wallpaper: a full-size photo or render; product: product-sized photo or rendered product shot. */
  kind: 'wallpaper' | 'product';
}

export interface Corpus {
  images: CorpusImage[];
  /** Where the photographs came from, or why they could not be had. */
  sources: string[];
}

export const cacheDir = join(import.meta.dirname, 'cache');

/**
 * Debian packages with wallpapers. gnome-backgrounds (bookworm) ships 4096² WebP renders, not photos;
 * mate-backgrounds' nature/ and Elephants are real JPEG photographs (up to 5640×3172), so it is the
 * main source of photographic content.
 */
const packages = {
  'gnome-backgrounds': ['gnome/wood-l.webp', 'gnome/licorice-l.webp'],
  'mate-backgrounds': [
    ...['Aqua', 'Blinds', 'Dune', 'FreshFlower', 'Garden', 'GreenMeadow', 'LadyBird', 'RainDrops', 'Storm', 'TwoWings', 'Wood', 'YellowFlower'].map(
      (name) => `mate/nature/${name}.jpg`,
    ),
    'mate/abstract/Elephants.jpg',
    'mate/abstract/Elephants_3840x2160.jpg',
    'mate/abstract/Gulp.png',
    'mate/desktop/Ubuntu-Mate-Warm-no-logo.png',
  ],
} as const;
const largestPhoto = 'mate/abstract/Elephants_5640x3172.jpg';

const run = (command: string, args: string[], cwd?: string) => execFileSync(command, args, { cwd, stdio: 'pipe' }).toString();

/**
 * The package's files under bench/cache/debs/<package>, from `apt-get download` + `dpkg -x` (no root
 * needed); when apt has no package lists yet and we are root, `apt-get update` once first.
 */
function unpackDebianPackage(name: string): string {
  const root = join(cacheDir, 'debs', name);
  const backgrounds = join(root, 'usr/share/backgrounds');
  if (existsSync(backgrounds)) return backgrounds;
  mkdirSync(root, { recursive: true });
  const download = () => run('apt-get', ['download', name], root);
  try {
    download();
  } catch (error) {
    if (process.getuid?.() !== 0) throw error;
    run('apt-get', ['update']);
    download();
  }
  const deb = readdirSync(root).find((file) => file.startsWith(`${name}_`) && file.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${name} left no .deb in ${root}`);
  run('dpkg', ['-x', deb, '.'], root);
  return backgrounds;
}

async function describe(path: string, kind: CorpusImage['kind']): Promise<CorpusImage> {
  const data = readFileSync(path);
  const { width = 0, height = 0 } = await sharp(data).metadata();
  return { name: basename(path), path, data, width, height, kind };
}

/** Writes `path` once from `make`, so later runs reuse derived images. */
async function cached(path: string, make: () => Promise<Buffer>): Promise<string> {
  if (!existsSync(path)) writeFileSync(path, await make());
  return path;
}

const derivedDir = () => {
  const dir = join(cacheDir, 'derived');
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** Rendered product shots (renderSampleImage) at catalogue sizes, in the formats suppliers send. */
async function renderedProducts(): Promise<CorpusImage[]> {
  const specs = [
    { width: 400, height: 400, format: 'jpeg', hue: 10 },
    { width: 600, height: 600, format: 'png', hue: 60 },
    { width: 800, height: 800, format: 'jpeg', hue: 110 },
    { width: 1000, height: 1000, format: 'jpeg', hue: 160 },
    { width: 1200, height: 900, format: 'png', hue: 210 },
    { width: 1500, height: 1500, format: 'jpeg', hue: 260 },
  ] as const;
  const dir = derivedDir();
  return Promise.all(
    specs.map(async (spec) => {
      const ext = spec.format === 'jpeg' ? 'jpg' : spec.format;
      const path = await cached(join(dir, `product-${spec.width}x${spec.height}.${ext}`), () =>
        renderSampleImage({ label: `SKU ${spec.width}`, ...spec }),
      );
      return describe(path, 'product');
    }),
  );
}

/** Product-sized real photographs: each JPEG wallpaper scaled to 1000 and 1600 px, JPEG q85 like supplier shots. */
async function productPhotos(photos: CorpusImage[]): Promise<CorpusImage[]> {
  const dir = derivedDir();
  const sources = photos.filter((p) => p.name.endsWith('.jpg') && p.path.includes('/nature/'));
  const made: CorpusImage[] = [];
  for (const size of [1000, 1600]) {
    for (const photo of sources) {
      const path = await cached(join(dir, `${basename(photo.name, '.jpg')}-${size}.jpg`), () =>
        sharp(photo.data).resize(size, size, { fit: 'inside' }).jpeg({ quality: 85 }).toBuffer(),
      );
      made.push(await describe(path, 'product'));
    }
  }
  return made;
}

/**
 * The conversion corpus: full-size wallpapers (1.3–16.8 MP JPEG, PNG and WebP), product-sized
 * photos derived from them, and rendered product shots. Photographs missing (no apt) are reported
 * in `sources` and the corpus falls back to rendered images only.
 */
export async function loadCorpus(): Promise<Corpus> {
  const sources: string[] = [];
  const wallpapers: CorpusImage[] = [];
  for (const [name, files] of Object.entries(packages)) {
    try {
      const dir = unpackDebianPackage(name);
      for (const file of files) wallpapers.push(await describe(join(dir, file), 'wallpaper'));
      sources.push(`${name}: ${files.length} files (bench/cache/debs/${name})`);
    } catch (error) {
      sources.push(`${name}: NOT AVAILABLE (${(error as Error).message.split('\n')[0]})`);
    }
  }
  const products = [...(await productPhotos(wallpapers)), ...(await renderedProducts())];
  return { images: [...wallpapers, ...products], sources };
}

/**
 * Ten photographs of 12 MP or more for the worker memory test: the 5640×3172 Elephants photo and
 * nine nature photos upscaled to 4256×2832 (12.05 MP), JPEG q90 as a camera would write them.
 */
export async function loadLargePhotos(): Promise<CorpusImage[]> {
  const mate = unpackDebianPackage('mate-backgrounds');
  const photos = [await describe(join(mate, largestPhoto), 'wallpaper')];
  const dir = derivedDir();
  for (const name of packages['mate-backgrounds'].filter((f) => f.includes('/nature/')).slice(0, 9)) {
    const path = await cached(join(dir, `${basename(name, '.jpg')}-12mp.jpg`), () =>
      sharp(readFileSync(join(mate, name))).resize(4256, 2832, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer(),
    );
    photos.push(await describe(path, 'wallpaper'));
  }
  return photos;
}
