/**
 * Local token counts for count_tokens (never an upstream call), with the real tokenizer of the
 * routed model's encoding, over what the upstream will see: the translated request, counted the
 * way the upstream reads it. Text is tokenized; each message costs a small fixed framing; tool
 * definitions are counted as the JSON schema they are sent as. Media is priced, never tokenized
 * as base64: an image by the size read from its header and the routed model's image rule
 * (image-tokens.ts), honoring the part's `detail`; a PDF by its page count, one page image and a
 * text allowance per page (pdf-tokens.ts). An image whose size cannot be read (an http URL, an
 * unknown format) costs a fixed estimate; a PDF whose pages cannot be counted, one page.
 * How far these counts land from what the upstream bills is measured per model in
 * calibration.ts; the PDF allowances are the likeliest to need its correction.
 */
import { createRequire } from 'node:module';
import { imageSize } from './image-size.ts';
import { IMAGE_TOKENS_ESTIMATE, imageTokens, type ImageDetail } from './image-tokens.ts';
import { PDF_UNKNOWN_PAGES, pdfPageCount, pdfTokens } from './pdf-tokens.ts';
import { rememberingCounter, type Counter } from './remembered-counts.ts';

export { IMAGE_TOKENS_ESTIMATE } from './image-tokens.ts';

/**
 * Encodings load on first use: o200k_base alone adds about 70 MB to the process, which a run
 * that never counts (no /context, nothing near the context window) need not carry. Each keeps the
 * counts of the long texts it counted: a conversation is sent again with every turn.
 */
const load = createRequire(import.meta.url);
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };
const loaded = new Map<string, Counter>();
function encoding(name: 'o200k_base' | 'cl100k_base'): Counter {
  let counter = loaded.get(name);
  if (!counter) {
    const module = load(`gpt-tokenizer/encoding/${name}`) as {
      countTokens: (text: string, options: { disallowedSpecial: ReadonlySet<string> }) => number;
    };
    // A prompt holding `<|endoftext|>` or `<|im_start|>` (code that handles chat templates does)
    // is text to the upstream; gpt-tokenizer's default throws on it.
    counter = rememberingCounter((text) => module.countTokens(text, PLAIN_TEXT));
    loaded.set(name, counter);
  }
  return counter;
}
const countO200k: Counter = (text) => encoding('o200k_base')(text);
const countCl100k: Counter = (text) => encoding('cl100k_base')(text);

/** Framing tokens per message or item (role and separators), as OpenAI's own guidance counts. */
const PER_MESSAGE = 4;
/** The priming of the assistant's reply. */
const PER_REQUEST = 3;

/** Which encoding a model uses: o200k_base for the GPT-4o generation on, cl100k_base before. */
function encodingOf(model: string): 'o200k_base' | 'cl100k_base' {
  return /^(gpt-3\.5|gpt-4(?!o|\.\d)|text-embedding)/.test(model) ? 'cl100k_base' : 'o200k_base';
}

export function tokenCounterFor(model: string): Counter {
  return encodingOf(model) === 'cl100k_base' ? countCl100k : countO200k;
}

/** Whether counting for this model is free of the encoding's load (time and memory). */
export function tokenizerLoaded(model: string): boolean {
  return loaded.has(encodingOf(model));
}

interface CountContext {
  readonly count: Counter;
  readonly model: string;
}

/** Counts a translated request body (Responses or Chat Completions). */
export function countRequestTokens(body: object, model: string): number {
  const context: CountContext = { count: tokenCounterFor(model), model };
  const record = body as Record<string, unknown>;
  let total = PER_REQUEST;
  if (typeof record['instructions'] === 'string')
    total += PER_MESSAGE + context.count(record['instructions']);
  for (const item of [...listOf(record['input']), ...listOf(record['messages'])]) {
    total += PER_MESSAGE + contentTokens(item, context);
  }
  for (const tool of listOf(record['tools'])) total += context.count(JSON.stringify(tool));
  return total;
}

/** Text anywhere in an item, media at its price; ids, types and roles cost nothing here. */
function contentTokens(value: unknown, context: CountContext): number {
  if (typeof value === 'string') return isMediaData(value) ? 0 : context.count(value);
  if (Array.isArray(value))
    return value.reduce<number>((sum, part) => sum + contentTokens(part, context), 0);
  if (typeof value !== 'object' || value === null) return 0;
  const record = value as Record<string, unknown>;
  const media = mediaTokens(record, context.model);
  if (media !== undefined) return media;
  let sum = 0;
  for (const [key, item] of Object.entries(record)) {
    if (!countedFields.has(key)) continue;
    sum += contentTokens(item, context);
  }
  return sum;
}

/** The fields whose text the model reads; everything else is structure. */
const countedFields = new Set([
  'content',
  'text',
  'output',
  'arguments',
  'name',
  'summary',
  'tool_calls',
  'function',
  'reasoning_content',
]);

/**
 * The price of an image or file part in either API's shape, undefined for any other part.
 * Responses: `{type: 'input_image', image_url, detail}` and `{type: 'input_file', file_data}`;
 * Chat Completions: `{type: 'image_url', image_url: {url, detail}}` and
 * `{type: 'file', file: {file_data}}`.
 */
function mediaTokens(part: Record<string, unknown>, model: string): number | undefined {
  switch (part['type']) {
    case 'input_image':
      return imagePartTokens(part['image_url'], part['detail'], model);
    case 'image_url': {
      const image = recordOf(part['image_url']);
      return imagePartTokens(image['url'], image['detail'], model);
    }
    case 'input_file':
      return filePartTokens(part['file_data'], model);
    case 'file':
      return filePartTokens(recordOf(part['file'])['file_data'], model);
    default:
      return undefined;
  }
}

function imagePartTokens(url: unknown, detail: unknown, model: string): number {
  const data = typeof url === 'string' ? base64Payload(url, 'image/') : undefined;
  const size = data === undefined ? undefined : imageSize(data);
  return size ? imageTokens(size, model, detailOf(detail)) : IMAGE_TOKENS_ESTIMATE;
}

/** Files the translators send are PDFs (a text document is sent as text); by URL, one page. */
function filePartTokens(fileData: unknown, model: string): number {
  const data =
    typeof fileData === 'string' ? base64Payload(fileData, 'application/pdf') : undefined;
  const pages = data === undefined ? undefined : pdfPageCount(data);
  return pdfTokens(pages ?? PDF_UNKNOWN_PAGES, model);
}

/** The base64 after `data:<type>;base64,` when the media type starts with `type`. */
function base64Payload(url: string, type: string): string | undefined {
  if (!url.startsWith(`data:${type}`)) return undefined;
  const comma = url.indexOf(',');
  if (comma === -1 || !url.slice(0, comma).endsWith(';base64')) return undefined;
  return url.slice(comma + 1);
}

function detailOf(detail: unknown): ImageDetail | undefined {
  return detail === 'low' || detail === 'high' || detail === 'auto' || detail === 'original'
    ? detail
    : undefined;
}

function isMediaData(text: string): boolean {
  return text.startsWith('data:image/') || text.startsWith('data:application/');
}

function recordOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}
