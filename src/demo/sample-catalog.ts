import ExcelJS from 'exceljs';
import type { FixtureCdn } from '../local/fixture-cdn.ts';
import { renderSampleImage, type SampleImageSpec } from '../local/sample-images.ts';

const NOUNS = ['Water Bottle', 'Travel Mug', 'Desk Lamp', 'Backpack', 'Headphones', 'Sneaker', 'Kettle', 'Yoga Mat', 'Notebook', 'Wall Clock'];
const ADJECTIVES = ['Classic', 'Urban', 'Alpine', 'Coastal', 'Studio'];
const FORMATS: SampleImageSpec['format'][] = ['jpeg', 'jpeg', 'png', 'webp', 'gif'];
const SIZES: Array<[number, number]> = [[1600, 1600], [1200, 900], [800, 1000], [2400, 1800], [640, 640]];

export interface SampleCatalog {
  /** The xlsx the supplier "sent". */
  workbook: Buffer;
  products: number;
  images: number;
  deadUrls: number;
  badRows: number;
}

/**
 * Builds the demo supplier's catalog: 50 products with 1–4 images each served by the fixture CDN,
 * a few dead image URLs (404, not an image), and a few bad rows (no SKU, ftp URL, duplicate SKU).
 * Deterministic, so a second demo run sees the same file and the same URLs.
 */
export async function buildSampleCatalog(cdn: FixtureCdn): Promise<SampleCatalog> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Products');
  sheet.addRow(['Item Number', 'Product Name', 'Price', 'Colour', 'Main Image', 'Image 2', 'Image 3', 'Image 4']);
  let images = 0;
  let deadUrls = 0;
  const renders: Array<Promise<void>> = [];
  for (let n = 1; n <= 50; n++) {
    const sku = `ACME-${1000 + n}`;
    const title = `${ADJECTIVES[n % ADJECTIVES.length]} ${NOUNS[n % NOUNS.length]}`;
    const count = 1 + (n % 4);
    const urls: string[] = [];
    for (let position = 1; position <= count; position++) {
      const format = FORMATS[(n + position) % FORMATS.length]!;
      const path = `/acme/${sku.toLowerCase()}/${position}.${format === 'jpeg' ? 'jpg' : format}`;
      urls.push(cdn.url(path));
      images += 1;
      if (n % 17 === 0 && position === count) {
        deadUrls += 1; // never registered: the CDN answers 404
        continue;
      }
      if (n === 23 && position === 1) {
        cdn.setFault(path, 'notAnImage');
        deadUrls += 1;
        continue;
      }
      const [width, height] = SIZES[(n * position) % SIZES.length]!;
      const contentType = format === 'jpeg' ? 'image/jpeg' : `image/${format}`;
      renders.push(
        renderSampleImage({ label: `${sku} · ${position}`, width, height, format, hue: (n * 37 + position * 11) % 360 }).then((body) =>
          cdn.set(path, { body, contentType }),
        ),
      );
    }
    sheet.addRow([sku, title, (9.99 + n).toFixed(2), ['red', 'blue', 'black', 'green'][n % 4], ...urls]);
  }
  sheet.addRow(['', 'Mystery item without a SKU', '5.00', 'grey', cdn.url('/acme/mystery.jpg')]);
  sheet.addRow(['ACME-9001', 'Legacy item', '7.50', 'white', 'ftp://files.acme.example/legacy.jpg']);
  sheet.addRow(['ACME-1001', 'Duplicate of the first row', '1.00', 'red', cdn.url('/acme/dup.jpg')]);
  await Promise.all(renders);
  const workbook = Buffer.from(await book.xlsx.writeBuffer());
  // The ftp row keeps its product but loses the image, so it counts as a bad cell, not a product.
  return { workbook, products: 51, images, deadUrls, badRows: 3 };
}
