import { isUtf8 } from 'node:buffer';
import type { TextEncoding } from './detect-format.ts';
import { CatalogError, CatalogErrorKind } from './errors.ts';

/** A place in the file as an editor shows it: 0-based byte offset, 1-based line. */
export interface FilePosition {
  offset: number;
  line: number;
}

export interface DecodedText {
  /** The text as UTF-8 bytes, cut at character boundaries (a UTF-8 file passes through as it is). */
  chunks: AsyncGenerator<Buffer>;
  /**
   * Where each NUL character is, in file order, appended as `chunks` reaches it. The reader takes
   * them off the front as it meets them in cells (every NUL is cell content).
   */
  nuls: FilePosition[];
}

const CR = 13;
const LF = 10;

/**
 * Line breaks in `bytes[from, to)`: CRLF, LF and a lone CR each end one line, as they end one row.
 * `afterCr`: the byte before `from` was a CR (a CRLF split between chunks is one break).
 * One native `indexOf` per break, no loop over every byte.
 */
export function countLineBreaks(bytes: Buffer, from: number, to: number, afterCr: boolean): number {
  let count = 0;
  for (let i = bytes.indexOf(CR, from); i !== -1 && i < to; i = bytes.indexOf(CR, i + 1)) count += 1;
  for (let i = bytes.indexOf(LF, from); i !== -1 && i < to; i = bytes.indexOf(LF, i + 1)) {
    if (!(i === from ? afterCr : bytes[i - 1] === CR)) count += 1;
  }
  return count;
}

/** How many bytes at the end of `bytes` begin a character that the next chunk completes. */
function incompleteTail(bytes: Buffer, encoding: TextEncoding): number {
  if (encoding === 'utf-8') {
    for (let back = 1; back <= Math.min(3, bytes.length); back += 1) {
      const byte = bytes[bytes.length - back]!;
      if ((byte & 0xc0) === 0x80) continue;
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return length > back ? back : 0;
    }
    return 0;
  }
  const odd = bytes.length % 2;
  if (bytes.length - odd < 2) return odd;
  const last = encoding === 'utf-16le' ? bytes.readUInt16LE(bytes.length - odd - 2) : bytes.readUInt16BE(bytes.length - odd - 2);
  return odd + (last >= 0xd800 && last <= 0xdbff ? 2 : 0);
}

/** Length of the valid UTF-8 sequence at `i` (WHATWG's rules: no overlongs, surrogates or > U+10FFFF), or 0. */
function utf8SequenceAt(bytes: Buffer, i: number): number {
  const lead = bytes[i]!;
  if (lead < 0x80) return 1;
  const [length, low, high] =
    lead >= 0xc2 && lead <= 0xdf ? [2, 0x80, 0xbf]
    : lead === 0xe0 ? [3, 0xa0, 0xbf]
    : lead === 0xed ? [3, 0x80, 0x9f]
    : lead >= 0xe1 && lead <= 0xef ? [3, 0x80, 0xbf]
    : lead === 0xf0 ? [4, 0x90, 0xbf]
    : lead === 0xf4 ? [4, 0x80, 0x8f]
    : lead >= 0xf1 && lead <= 0xf3 ? [4, 0x80, 0xbf]
    : [0, 0, 0];
  const second = bytes[i + 1];
  if (length === 0 || second === undefined || second < low || second > high) return 0;
  for (let k = 2; k < length; k += 1) {
    const next = bytes[i + k];
    if (next === undefined || (next & 0xc0) !== 0x80) return 0;
  }
  return length;
}

/**
 * Offset of the first byte that breaks the encoding in `bytes`, which starts at a character
 * boundary. Only called once decoding has failed, so the byte loop runs on one chunk at most.
 */
function firstInvalidByte(bytes: Buffer, encoding: TextEncoding): number {
  if (encoding === 'utf-8') {
    let i = 0;
    for (let length = 0; i < bytes.length && (length = utf8SequenceAt(bytes, i)) > 0; i += length);
    return i;
  }
  const unitAt = (i: number) => (encoding === 'utf-16le' ? bytes.readUInt16LE(i) : bytes.readUInt16BE(i));
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const unit = unitAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff) return i;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 3 < bytes.length ? unitAt(i + 2) : undefined;
      if (next === undefined || next < 0xdc00 || next > 0xdfff) return i;
      i += 2;
    }
  }
  return bytes.length - (bytes.length % 2);
}

/**
 * Checks and decodes a CSV file's bytes as they stream: strict, so a Windows-1252 file fails loudly
 * instead of importing "Caf\uFFFD" titles, with the byte offset and line of the first bad byte; and
 * notes where every NUL is, for the reader to turn its row into a row error.
 * Lines are counted with native `indexOf` per line break, so a file's position is always known.
 */
export function decodeText(source: AsyncIterable<Uint8Array>, encoding: TextEncoding): DecodedText {
  const nuls: FilePosition[] = [];
  const utf16 = encoding === 'utf-8' ? undefined : new TextDecoder(encoding, { fatal: true });

  async function* chunks(): AsyncGenerator<Buffer> {
    let held: Buffer = Buffer.alloc(0);
    /** File offset and line where the next piece starts; whether the text so far ends with a CR. */
    let offset = 0;
    let line = 1;
    let afterCr = false;
    /** Line breaks in `text[from, to)`, `text` being the piece's UTF-8 bytes. */
    const breaks = (text: Buffer, from: number, to: number) => countLineBreaks(text, from, to, from === 0 ? afterCr : text[from - 1] === CR);

    const invalid = (problem: string) =>
      new CatalogError(CatalogErrorKind.encoding, `the file is not valid ${encoding.toUpperCase()} text: ${problem}: save it as "CSV UTF-8"`);
    /** `valid`: the piece's UTF-8 bytes up to `index` (for UTF-16 they are decoded again, leniently). */
    const invalidAt = (piece: Buffer, index: number, valid?: Buffer) => {
      const prefix = valid ?? Buffer.from(new TextDecoder(encoding).decode(piece.subarray(0, index)));
      const at = line + breaks(prefix, 0, valid ? index : prefix.length);
      const byte = piece[index];
      const what = utf16 || byte === undefined ? 'starts a broken character (a lone surrogate)' : `is 0x${byte.toString(16).padStart(2, '0')}`;
      return invalid(`byte ${offset + index} (line ${at}) ${what}`);
    };

    for await (const chunk of source) {
      const bytes = held.length > 0 ? Buffer.concat([held, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const tail = incompleteTail(bytes, encoding);
      const piece = bytes.subarray(0, bytes.length - tail);
      held = Buffer.from(bytes.subarray(bytes.length - tail));
      if (piece.length === 0) continue;

      let text: Buffer;
      let lines = line;
      if (utf16) {
        let decoded: string;
        try {
          decoded = utf16.decode(piece, { stream: true });
        } catch (error) {
          if (!(error instanceof TypeError)) throw error;
          throw invalidAt(piece, firstInvalidByte(piece, encoding));
        }
        text = Buffer.from(decoded);
        // The decoder drops the BOM: then the first piece's text starts one unit (2 bytes) into the file.
        const bom = offset === 0 && piece.length - 2 * decoded.length === 2 ? 2 : 0;
        for (let i = decoded.indexOf('\0'), char = 0, from = 0; i !== -1; i = decoded.indexOf('\0', i + 1)) {
          const at = from + Buffer.byteLength(decoded.slice(char, i));
          lines += breaks(text, from, at);
          nuls.push({ offset: offset + bom + 2 * i, line: lines });
          [char, from] = [i, at];
        }
      } else {
        if (!isUtf8(piece)) {
          const index = firstInvalidByte(piece, encoding);
          throw invalidAt(piece, index, piece);
        }
        text = piece;
        for (let i = piece.indexOf(0), from = 0; i !== -1; i = piece.indexOf(0, i + 1)) {
          lines += breaks(piece, from, i);
          nuls.push({ offset: offset + i, line: lines });
          from = i;
        }
      }
      line += breaks(text, 0, text.length);
      afterCr = text[text.length - 1] === CR;
      offset += piece.length;
      yield text;
    }
    if (held.length > 0) throw invalid(`the file ends inside a character that starts at byte ${offset} (line ${line})`);
  }

  return { chunks: chunks(), nuls };
}
