/**
 * Tiny images and PDFs written byte by byte, with known sizes and page counts: enough of each
 * format for a header reader or a page counter, nothing a decoder would need.
 */
import { deflateSync } from 'node:zlib';

export const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
export const dataUrl = (mediaType: string, bytes: Uint8Array): string =>
  `data:${mediaType};base64,${base64(bytes)}`;

const u16be = (value: number) => [(value >>> 8) & 0xff, value & 0xff];
const u16le = (value: number) => [value & 0xff, (value >>> 8) & 0xff];
const u24le = (value: number) => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff];
const u32be = (value: number) => [...u16be(value >>> 16), ...u16be(value & 0xffff)];
const u32le = (value: number) => [...u16le(value & 0xffff), ...u16le(value >>> 16)];
const ascii = (text: string) => Array.from(Buffer.from(text, 'latin1'));

/** Signature, IHDR (CRC left zero: nothing here checks it) and IEND. */
export function png(width: number, height: number): Buffer {
  return Buffer.from([
    ...[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    ...u32be(13),
    ...ascii('IHDR'),
    ...u32be(width),
    ...u32be(height),
    ...[8, 2, 0, 0, 0], // 8-bit RGB, no interlace
    ...u32be(0),
    ...u32be(0),
    ...ascii('IEND'),
    ...u32be(0),
  ]);
}

/** Header, logical screen descriptor, trailer. */
export function gif(width: number, height: number): Buffer {
  return Buffer.from([...ascii('GIF89a'), ...u16le(width), ...u16le(height), 0, 0, 0, 0x3b]);
}

function riff(chunk: string, payload: number[]): Buffer {
  const body = [...ascii('WEBP'), ...ascii(chunk), ...u32le(payload.length), ...payload];
  return Buffer.from([...ascii('RIFF'), ...u32le(body.length), ...body]);
}

/** Lossy: a key-frame tag, the start code, 14-bit sizes; `scale` sets the two bits above them. */
export function webpLossy(width: number, height: number, scale = 0): Buffer {
  return riff('VP8 ', [
    ...[0x10, 0x02, 0x00], // frame tag: key frame, shown
    ...[0x9d, 0x01, 0x2a],
    ...u16le(width | (scale << 14)),
    ...u16le(height | (scale << 14)),
  ]);
}

/** Lossless: the 0x2f signature, then width-1 and height-1 in 14 bits each. */
export function webpLossless(width: number, height: number): Buffer {
  const bits = ((width - 1) | ((height - 1) << 14) | (1 << 28)) >>> 0; // alpha used
  return riff('VP8L', [0x2f, ...u32le(bits)]);
}

/** Extended: flags, then the canvas width-1 and height-1 in 24 bits each. */
export function webpExtended(width: number, height: number): Buffer {
  return riff('VP8X', [0x10, 0, 0, 0, ...u24le(width - 1), ...u24le(height - 1)]);
}

function segment(marker: number, payload: number[]): number[] {
  return [0xff, marker, ...u16be(payload.length + 2), ...payload];
}

/** A start-of-frame payload: precision, height, width, three components. */
function frame(width: number, height: number): number[] {
  return [8, ...u16be(height), ...u16be(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
}

export interface JpegOptions {
  /** SOF2 (progressive) instead of SOF0. */
  readonly progressive?: boolean;
  /** Bytes of APP segments (in chunks under 64 KB each) between APP0 and the frame. */
  readonly appBytes?: number;
}

/**
 * SOI, APP0 (JFIF), APP1 (EXIF with an embedded 160x120 thumbnail's SOF0, the trap a byte
 * search falls into), optional large APP2 segments, DQT, DHT (0xC4, in the SOF range but not a
 * frame), the frame, a scan and EOI.
 */
export function jpeg(width: number, height: number, options: JpegOptions = {}): Buffer {
  const thumbnail = [0xff, 0xd8, ...segment(0xc0, frame(160, 120)), 0xff, 0xd9];
  const exif = [...ascii('Exif'), 0, 0, ...ascii('MM'), 0, 42, ...thumbnail];
  const large: number[] = [];
  for (let left = options.appBytes ?? 0; left > 0; left -= 60_000) {
    large.push(...segment(0xe2, new Array<number>(Math.min(left, 60_000)).fill(0xff)));
  }
  return Buffer.from([
    0xff,
    0xd8,
    ...segment(0xe0, [...ascii('JFIF'), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xe1, exif),
    ...large,
    ...segment(0xdb, [0, ...new Array<number>(64).fill(1)]),
    ...segment(0xc4, [0, ...new Array<number>(16).fill(0), 0]),
    0xff, // a fill byte before the frame's marker
    ...segment(options.progressive ? 0xc2 : 0xc0, frame(width, height)),
    ...segment(0xda, [1, 1, 0, 0, 0x3f, 0]),
    ...[0x12, 0x34, 0x56],
    0xff,
    0xd9,
  ]);
}

/** PDF objects by number, with a correct xref table; `extra` is appended after %%EOF. */
function pdfFile(objects: readonly string[], root: number, extra = ''): Buffer {
  let text = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(text.length);
    text += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = text.length;
  text += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) text += `${String(offset).padStart(10, '0')} 00000 n \n`;
  text += `trailer\n<< /Size ${objects.length + 1} /Root ${root} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(text + extra, 'latin1');
}

const page = (parent: number) =>
  `<< /Type /Page /Parent ${parent} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>`;

/** Catalog (1), page tree (2), then one page object per page. */
export function pdf(pages: number): Buffer {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(' ');
  return pdfFile(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      `<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`,
      ...Array.from({ length: pages }, () => page(2)),
    ],
    1,
  );
}

/** The same PDF with an incremental update that rewrites page object 3 (still 3 pages). */
export function pdfWithUpdate(): Buffer {
  const update = `3 0 obj\n${page(2).replace('612 792', '792 612')}\nendobj\nxref\n3 1\n0000000000 00000 n \ntrailer\n<< /Size 6 /Root 1 0 R >>\n%%EOF\n`;
  return Buffer.concat([pdf(3), Buffer.from(update, 'latin1')]);
}

/**
 * PDF 1.5 object compression: the page tree and every page packed in one object stream,
 * deflated unless `filter` names another filter (then the bytes are left as they are).
 * Only the catalog and the stream itself are plain objects.
 */
export function pdfWithObjectStream(pages: number, filter = '/FlateDecode'): Buffer {
  const numbers = [2, ...Array.from({ length: pages }, (_, i) => i + 4)];
  const kids = numbers
    .slice(1)
    .map((n) => `${n} 0 R`)
    .join(' ');
  const bodies = [
    `<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`,
    ...numbers.slice(1).map(() => page(2)),
  ];
  let header = '';
  let data = '';
  bodies.forEach((body, i) => {
    header += `${numbers[i]} ${data.length} `;
    data += `${body}\n`;
  });
  const packed = Buffer.from(header + data, 'latin1');
  const stream = filter === '/FlateDecode' ? deflateSync(packed) : packed;
  const dictionary = `<< /Type /ObjStm /N ${bodies.length} /First ${header.length} /Filter ${filter} /Length ${stream.length} >>`;
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', 'null', `${dictionary}\nstream\n`];
  const file = pdfFile(objects, 1).toString('latin1');
  // The stream's bytes go between its dictionary and `endstream`, after the fact.
  const at = file.indexOf('stream\n') + 'stream\n'.length;
  return Buffer.concat([
    Buffer.from(file.slice(0, at), 'latin1'),
    stream,
    Buffer.from(`\nendstream${file.slice(at)}`, 'latin1'),
  ]);
}

/** The plain tree of `pdfWithObjectStream` that a reader can see: for the `/Count` fallback. */
export function pdfWithHiddenPages(count: number): Buffer {
  const file = pdfWithObjectStream(count, '/LZWDecode').toString('latin1');
  // Object 2 stays a plain page tree whose /Count is all a reader can go by.
  return Buffer.from(
    file.replace('2 0 obj\nnull', `2 0 obj\n<< /Type /Pages /Kids [] /Count ${count} >>`),
    'latin1',
  );
}
