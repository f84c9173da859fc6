import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

// 1980-01-01 00:00 in MS-DOS format: a fixed timestamp makes identical inputs give identical zips,
// so an unchanged function keeps its CodeSha256 and CloudFormation publishes no new version.
const dosTime = 0;
const dosDate = (0 << 9) | (1 << 5) | 1;
const utf8Flag = 0x0800;
const deflate = 8;
const unixRegularFile = 0o100644;
const madeByUnix = (3 << 8) | 20;

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
export function zipDirectory(dir: string, zipPath: string): number {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  let uncompressedTotal = 0;
  const files = listFiles(dir);

  for (const name of files) {
    const data = readFileSync(join(dir, name));
    const compressed = deflateRawSync(data, { level: 9 });
    const checksum = crc32(data);
    const fileName = Buffer.from(name, 'utf8');

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(utf8Flag, 6);
    local.writeUInt16LE(deflate, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(checksum, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    local.writeUInt16LE(0, 28);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(madeByUnix, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(utf8Flag, 8);
    header.writeUInt16LE(deflate, 10);
    header.writeUInt16LE(dosTime, 12);
    header.writeUInt16LE(dosDate, 14);
    header.writeUInt32LE(checksum, 16);
    header.writeUInt32LE(compressed.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(fileName.length, 28);
    header.writeUInt32LE((unixRegularFile << 16) >>> 0, 38);
    header.writeUInt32LE(offset, 42);

    chunks.push(local, fileName, compressed);
    central.push(header, fileName);
    offset += local.length + fileName.length + compressed.length;
    uncompressedTotal += data.length;
  }

  // Without ZIP64 the format tops out here; Lambda's 250 MB limit keeps us far below it.
  if (files.length > 0xffff || offset > 0xffffffff) throw new Error(`${zipPath}: too large for a plain zip`);
  const centralSize = central.reduce((sum, chunk) => sum + chunk.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);

  writeFileSync(zipPath, Buffer.concat([...chunks, ...central, end]));
  return uncompressedTotal;
}
