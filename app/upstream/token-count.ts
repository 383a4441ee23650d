/**
 * Local token counts for count_tokens (never an upstream call), with the real tokenizer of the
 * routed model's encoding, over what the upstream will see: the translated request, counted the
 * way the upstream reads it. Text is tokenized; each message costs a small fixed framing; images
 * cost a fixed documented estimate (OpenAI's tile price of a 1024x1024 image at detail auto);
 * tool definitions are counted as the JSON schema they are sent as. PDFs are not counted yet.
 * A first version: calibration against the usage the upstream reports comes with its issue.
 */
import { createRequire } from 'node:module';

type Counter = (text: string) => number;

/**
 * Encodings load on first use: o200k_base alone adds about 70 MB to the process, which a run
 * that never counts (no /context, nothing near the context window) need not carry.
 */
const load = createRequire(import.meta.url);
const loaded = new Map<string, Counter>();
function encoding(name: 'o200k_base' | 'cl100k_base'): Counter {
  let counter = loaded.get(name);
  if (!counter) {
    const module = load(`gpt-tokenizer/encoding/${name}`) as { countTokens: Counter };
    counter = (text) => module.countTokens(text);
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
/** 85 + 170 per 512-px tile: a 1024x1024 image at detail auto. Image sizes are not read yet. */
export const IMAGE_TOKENS_ESTIMATE = 765;

/** Which encoding a model uses: o200k_base for the GPT-4o generation on, cl100k_base before. */
export function tokenCounterFor(model: string): Counter {
  return /^(gpt-3\.5|gpt-4(?!o|\.\d)|text-embedding)/.test(model) ? countCl100k : countO200k;
}

/** Counts a translated request body (Responses or Chat Completions). */
export function countRequestTokens(body: object, model: string): number {
  const count = tokenCounterFor(model);
  const record = body as Record<string, unknown>;
  let total = PER_REQUEST;
  if (typeof record['instructions'] === 'string')
    total += PER_MESSAGE + count(record['instructions']);
  for (const item of [...listOf(record['input']), ...listOf(record['messages'])]) {
    total += PER_MESSAGE + contentTokens(item, count);
  }
  for (const tool of listOf(record['tools'])) total += count(JSON.stringify(tool));
  return total;
}

/** Text anywhere in an item, images at their estimate; ids, types and roles cost nothing here. */
function contentTokens(value: unknown, count: (text: string) => number): number {
  if (typeof value === 'string') return isImageData(value) ? 0 : count(value);
  if (Array.isArray(value))
    return value.reduce<number>((sum, part) => sum + contentTokens(part, count), 0);
  if (typeof value !== 'object' || value === null) return 0;
  const record = value as Record<string, unknown>;
  if (record['type'] === 'input_image' || record['type'] === 'image_url')
    return IMAGE_TOKENS_ESTIMATE;
  let sum = 0;
  for (const [key, item] of Object.entries(record)) {
    if (!countedFields.has(key)) continue;
    sum += contentTokens(item, count);
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

function isImageData(text: string): boolean {
  return text.startsWith('data:image/');
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}
