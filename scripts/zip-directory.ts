import { createWriteStream, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

// A fixed timestamp makes identical inputs give identical zips, so an unchanged function keeps its
// CodeSha256 and CloudFormation publishes no new version.
const FIXED_MTIME = new Date('1980-01-01T00:00:00Z');

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/**
 * Zips every regular file under `dir` (paths relative to it, sorted, mode 0644, fixed timestamps).
 * Symlinks are skipped: Lambda zips do not need npm's .bin links. Returns the total uncompressed size.
 */
export async function zipDirectory(dir: string, zipPath: string): Promise<number> {
  const zip = new yazl.ZipFile();
  let uncompressedTotal = 0;
  for (const name of listFiles(dir)) {
    const path = join(dir, name);
    uncompressedTotal += statSync(path).size;
    zip.addFile(path, name, { mtime: FIXED_MTIME, mode: 0o100644, compressionLevel: 9 });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(zipPath));
  return uncompressedTotal;
}
