/**
 * An image's width and height read from its header, straight from the base64 a request carries:
 * PNG (IHDR), GIF (logical screen), WebP (VP8, VP8L, VP8X) and JPEG (the first SOFn marker).
 * Only the few bytes each format needs are decoded, never the whole image: a 20 MB photo costs a
 * handful of small base64 slices. Anything else, or a header that does not add up, is undefined.
 * Base64 without whitespace is assumed (what the Anthropic API sends): four characters are then
 * exactly three bytes, which is what lets a window be decoded at any byte offset.
 */

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** Enough for every fixed header here (a VP8X canvas ends at byte 30). */
const HEAD_BYTES = 30;
/** The JPEG markers walked before giving up: real files carry a few APPn segments, not hundreds. */
const MAX_JPEG_SEGMENTS = 512;

export function imageSize(base64: string): ImageSize | undefined {
  const bytes = new Base64Window(base64);
  const head = bytes.prefix(HEAD_BYTES);
  const size = png(head) ?? gif(head) ?? webp(head) ?? (isJpeg(head) ? jpeg(bytes) : undefined);
  return size && size.width > 0 && size.height > 0 ? size : undefined;
}

function png(head: Uint8Array): ImageSize | undefined {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (head.length < 24 || !startsWith(head, signature, 0) || ascii(head, 12, 4) !== 'IHDR')
    return undefined;
  return { width: u32be(head, 16), height: u32be(head, 20) };
}

function gif(head: Uint8Array): ImageSize | undefined {
  const magic = ascii(head, 0, 6);
  if (head.length < 10 || (magic !== 'GIF87a' && magic !== 'GIF89a')) return undefined;
  return { width: u16le(head, 6), height: u16le(head, 8) };
}

function webp(head: Uint8Array): ImageSize | undefined {
  if (head.length < 16 || ascii(head, 0, 4) !== 'RIFF' || ascii(head, 8, 4) !== 'WEBP')
    return undefined;
  const chunk = ascii(head, 12, 4);
  if (chunk === 'VP8 ' && head.length >= 30) {
    // Lossy: a key frame's start code, then 14-bit sizes (the top two bits are scaling).
    if (!startsWith(head, [0x9d, 0x01, 0x2a], 23)) return undefined;
    return { width: u16le(head, 26) & 0x3fff, height: u16le(head, 28) & 0x3fff };
  }
  if (chunk === 'VP8L' && head.length >= 25) {
    // Lossless: a signature byte, then width-1 and height-1 packed in 14 bits each.
    if (head[20] !== 0x2f) return undefined;
    const bits = u32le(head, 21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && head.length >= 30) {
    // Extended: the canvas size, width-1 and height-1 in 24 bits each.
    return { width: u24le(head, 24) + 1, height: u24le(head, 27) + 1 };
  }
  return undefined;
}

function isJpeg(head: Uint8Array): boolean {
  return head[0] === 0xff && head[1] === 0xd8;
}

/**
 * Walks the segments after SOI to the first start-of-frame. EXIF (APP1), ICC profiles (APP2)
 * and Photoshop blocks (APP13) can run to tens of kilobytes each before it, so the walk skips
 * by each segment's length instead of decoding a fixed prefix that may stop short.
 */
function jpeg(bytes: Base64Window): ImageSize | undefined {
  let offset = 2;
  for (let segment = 0; segment < MAX_JPEG_SEGMENTS; segment++) {
    const header = bytes.read(offset, 4);
    if (header === undefined || header[0] !== 0xff) return undefined;
    const marker = header[1] ?? 0;
    if (marker === 0xff) {
      offset += 1; // fill byte before a marker
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers that carry no length
      continue;
    }
    // The frame comes before the first scan; reaching a scan or the end means none was found.
    if (marker === 0xda || marker === 0xd9) return undefined;
    if (isStartOfFrame(marker)) {
      const frame = bytes.read(offset + 5, 4);
      if (frame === undefined) return undefined;
      return { width: u16be(frame, 2), height: u16be(frame, 0) };
    }
    const length = u16be(header, 2);
    if (length < 2) return undefined;
    offset += 2 + length;
  }
  return undefined;
}

/** SOF0 to SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Decodes byte ranges of a base64 string on demand, aligned to whole four-character groups. */
class Base64Window {
  readonly #base64: string;
  constructor(base64: string) {
    this.#base64 = base64;
  }

  /** Up to `length` bytes from the start: fewer when the data is shorter. */
  prefix(length: number): Uint8Array {
    return Buffer.from(this.#base64.slice(0, Math.ceil(length / 3) * 4), 'base64').subarray(
      0,
      length,
    );
  }

  /** `length` bytes from byte `offset`, or undefined when the data ends first. */
  read(offset: number, length: number): Uint8Array | undefined {
    const group = Math.floor(offset / 3);
    const end = Math.ceil((offset + length) / 3);
    const decoded = Buffer.from(this.#base64.slice(group * 4, end * 4), 'base64');
    const start = offset - group * 3;
    if (decoded.length < start + length) return undefined;
    return decoded.subarray(start, start + length);
  }
}

function startsWith(bytes: Uint8Array, expected: readonly number[], at: number): boolean {
  return expected.every((value, i) => bytes[at + i] === value);
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

function byteAt(bytes: Uint8Array, at: number): number {
  return bytes[at] ?? 0;
}

function u16be(bytes: Uint8Array, at: number): number {
  return (byteAt(bytes, at) << 8) | byteAt(bytes, at + 1);
}

function u16le(bytes: Uint8Array, at: number): number {
  return byteAt(bytes, at) | (byteAt(bytes, at + 1) << 8);
}

function u24le(bytes: Uint8Array, at: number): number {
  return u16le(bytes, at) | (byteAt(bytes, at + 2) << 16);
}

function u32le(bytes: Uint8Array, at: number): number {
  return (u24le(bytes, at) | (byteAt(bytes, at + 3) << 24)) >>> 0;
}

function u32be(bytes: Uint8Array, at: number): number {
  return ((u16be(bytes, at) << 16) | u16be(bytes, at + 2)) >>> 0;
}
