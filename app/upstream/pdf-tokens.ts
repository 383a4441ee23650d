/**
 * What a PDF costs in input tokens on an OpenAI model. OpenAI puts "both the extracted text and
 * an image of each page" into the context (https://platform.openai.com/docs/guides/pdf-files),
 * so a PDF is priced per page: one page image at the model's image price, plus a text allowance.
 * Neither the size the pages are rendered at nor the text extraction is documented, so both are
 * stated assumptions below rather than measurements; the page count is what is read exactly.
 *
 * Pages are counted from the PDF's objects: the page objects (`/Type /Page`), latest revision
 * of each object number winning, including those packed in compressed object streams (PDF 1.5
 * on, which most current writers use); failing that, the `/Count` of the page tree's root.
 * The bytes are decoded once and scanned as latin1 text; object streams are inflated under a
 * total cap, so a 32 MB request stays a bounded, linear scan.
 */
import { constants, inflateSync } from 'node:zlib';
import { imageTokens } from './image-tokens.ts';
import type { ImageSize } from './image-size.ts';

/**
 * A page's text: about what a full page of prose tokenizes to with o200k_base (a measured
 * text page came to 461 tokens,
 * https://huggingface.co/datasets/JOHNISKING/pdf-token-cost), rounded up. Sparse pages cost
 * less and dense tables more; the count errs on the side of the context window.
 */
export const PDF_TEXT_TOKENS_PER_PAGE = 500;
/** A US Letter page rendered at 150 dpi: 765 tokens on GPT-4o, like a 1024x1024 image. */
export const PDF_PAGE_IMAGE: ImageSize = { width: 1275, height: 1650 };
/** The pages assumed when they cannot be counted (a PDF by URL, bytes that do not parse). */
export const PDF_UNKNOWN_PAGES = 1;

const MAX_INFLATED_BYTES = 64 * 1024 * 1024;
const PDF_HEADER_WINDOW = 1024;

export function pdfTokens(pages: number, model: string): number {
  return pages * (imageTokens(PDF_PAGE_IMAGE, model, 'auto') + PDF_TEXT_TOKENS_PER_PAGE);
}

type PdfObject =
  | { readonly kind: 'page' }
  | { readonly kind: 'pages'; readonly count: number; readonly root: boolean }
  | { readonly kind: 'other' };

/** The page count of a base64 PDF, or undefined when it is not a PDF or has no readable pages. */
export function pdfPageCount(base64: string): number | undefined {
  const text = Buffer.from(base64, 'base64').toString('latin1');
  if (!text.slice(0, PDF_HEADER_WINDOW).includes('%PDF-')) return undefined;
  const objects = new Map<number, PdfObject>();
  const inflateBudget = { left: MAX_INFLATED_BYTES };
  for (const { number, dictionary, stream } of topLevelObjects(text)) {
    if (isObjectStream(dictionary)) {
      for (const inner of objectStreamObjects(dictionary, stream, inflateBudget)) {
        objects.set(inner.number, classify(inner.dictionary));
      }
    }
    objects.set(number, classify(dictionary));
  }
  const kinds = [...objects.values()];
  const pages = kinds.filter((object) => object.kind === 'page').length;
  if (pages > 0) return pages;
  const trees = kinds.flatMap((object) => (object.kind === 'pages' ? [object] : []));
  const roots = trees.filter((tree) => tree.root);
  const count = Math.max(0, ...(roots.length > 0 ? roots : trees).map((tree) => tree.count));
  if (count > 0) return count;
  // Objects whose headers did not parse: the bare markers are still a fair count.
  const loose = text.match(PAGE_TYPE_GLOBAL)?.length ?? 0;
  return loose > 0 ? loose : undefined;
}

/** A name ends at whitespace or a delimiter: `/Page` must not be read in `/Pages`. */
const NAME_END = String.raw`(?=[\s/<>\[\]()%{}]|$)`;
const PAGE_TYPE = new RegExp(String.raw`/Type\s*/Page${NAME_END}`);
const PAGE_TYPE_GLOBAL = new RegExp(PAGE_TYPE.source, 'g');
const PAGES_TYPE = new RegExp(String.raw`/Type\s*/Pages${NAME_END}`);
const OBJECT_STREAM_TYPE = new RegExp(String.raw`/Type\s*/ObjStm${NAME_END}`);

function classify(dictionary: string): PdfObject {
  if (PAGE_TYPE.test(dictionary)) return { kind: 'page' };
  if (PAGES_TYPE.test(dictionary)) {
    const count = Number(/\/Count\s+(\d+)/.exec(dictionary)?.[1] ?? 0);
    return { kind: 'pages', count, root: !/\/Parent\s/.test(dictionary) };
  }
  return { kind: 'other' };
}

function isObjectStream(dictionary: string): boolean {
  return OBJECT_STREAM_TYPE.test(dictionary);
}

interface RawObject {
  readonly number: number;
  /** The object before any stream: where its dictionary is. */
  readonly dictionary: string;
  /** The raw stream bytes as latin1, or '' when the object has none. */
  readonly stream: string;
}

/**
 * `N G obj ... endobj`, in file order, skipping over each body so stream bytes are not parsed.
 * Headers are found from each `obj` keyword looking back a few characters, not by a regex over
 * the whole file: `\d+\s+\d+\s+obj` backtracks quadratically over a long run of digits.
 */
function* topLevelObjects(text: string): Generator<RawObject> {
  for (let at = text.indexOf('obj'); at !== -1; at = text.indexOf('obj', at + 3)) {
    const number = objectNumberBefore(text, at);
    if (number === undefined || !isNameEnd(text[at + 3])) continue;
    const start = at + 3;
    const found = text.indexOf('endobj', start);
    const end = found === -1 ? text.length : found;
    const body = text.slice(start, end);
    const streamAt = body.indexOf('stream');
    yield {
      number,
      dictionary: streamAt === -1 ? body : body.slice(0, streamAt),
      stream: streamAt === -1 ? '' : streamData(body, streamAt),
    };
    at = end + 3; // past `endobj`'s own `obj`
  }
}

const OBJECT_HEADER_WINDOW = 32;

/** The object number of `N G obj` ending at `at`, from a bounded look back. */
function objectNumberBefore(text: string, at: number): number | undefined {
  const from = Math.max(0, at - OBJECT_HEADER_WINDOW);
  const header = /(\d{1,10})\s{1,8}\d{1,5}\s{1,8}$/.exec(text.slice(from, at));
  if (!header) return undefined;
  const before = text[from + header.index - 1];
  return before !== undefined && /\d/.test(before) ? undefined : Number(header[1]);
}

function isNameEnd(char: string | undefined): boolean {
  return char === undefined || /[\s/<>[\]()%{}]/.test(char);
}

/** The bytes between `stream` plus its end of line and `endstream`. */
function streamData(body: string, streamAt: number): string {
  let start = streamAt + 'stream'.length;
  if (body[start] === '\r') start++;
  if (body[start] === '\n') start++;
  const end = body.indexOf('endstream', start);
  return body.slice(start, end === -1 ? body.length : end);
}

/**
 * The objects packed in an object stream: a header of `number offset` pairs, then the objects
 * from `/First` on. Only Flate is read, which is what writers use for object streams.
 */
function objectStreamObjects(
  dictionary: string,
  stream: string,
  budget: { left: number },
): readonly RawObject[] {
  const first = Number(/\/First\s+(\d+)/.exec(dictionary)?.[1] ?? NaN);
  if (!/\/FlateDecode/.test(dictionary) || !Number.isFinite(first) || budget.left <= 0) return [];
  let data: string;
  try {
    data = inflateSync(Buffer.from(stream, 'latin1'), {
      // A stream cut short or followed by stray bytes still gives what it holds.
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: budget.left,
    }).toString('latin1');
  } catch (error) {
    // A stream that would inflate past what is left spends it all: no second bomb is opened.
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') budget.left = 0;
    return [];
  }
  budget.left -= data.length;
  const pairs = data.slice(0, first).trim().split(/\s+/).map(Number);
  const objects: RawObject[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const number = pairs[i] ?? NaN;
    const offset = first + (pairs[i + 1] ?? NaN);
    const next = i + 3 < pairs.length ? first + (pairs[i + 3] ?? NaN) : data.length;
    if (!Number.isFinite(number) || !Number.isFinite(offset)) continue;
    objects.push({ number, dictionary: data.slice(offset, next), stream: '' });
  }
  return objects;
}
