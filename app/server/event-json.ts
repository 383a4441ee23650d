/**
 * An Anthropic stream event as JSON text. Deltas, nearly every event of a stream, are written
 * from a template: only their text needs escaping, and most texts need none (quoting them is
 * half the cost of JSON.stringify, which builds its result in a scratch buffer).
 * The output is exactly what JSON.stringify(event) gives (a test holds it to that).
 */
import type { AnthropicStreamEvent } from '../protocol/anthropic-wire.ts';

export function eventJson(event: AnthropicStreamEvent): string {
  if (event.type !== 'content_block_delta') return JSON.stringify(event);
  const { index, delta } = event;
  switch (delta.type) {
    case 'text_delta':
      return `${prefix(index, delta.type, 'text')}${jsonString(delta.text)}}}`;
    case 'input_json_delta':
      return `${prefix(index, delta.type, 'partial_json')}${jsonString(delta.partial_json)}}}`;
    case 'thinking_delta':
      return `${prefix(index, delta.type, 'thinking')}${jsonString(delta.thinking)}}}`;
    case 'signature_delta':
      return `${prefix(index, delta.type, 'signature')}${jsonString(delta.signature)}}}`;
  }
}

/** The last prefix built: a block's deltas come one after another, so it is nearly always it. */
let last = { index: -1, type: '', text: '' };

/** A delta's JSON up to its text: `{"type":"content_block_delta","index":0,…,"text":`. */
function prefix(index: number, type: string, field: string): string {
  if (last.index !== index || last.type !== type) {
    const text = `{"type":"content_block_delta","index":${String(index)},"delta":{"type":"${type}","${field}":`;
    last = { index, type, text };
  }
  return last.text;
}

/** What JSON.stringify escapes: quote, backslash, control characters, and (lone) surrogates. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonString(text: string): string {
  return ESCAPED.test(text) ? JSON.stringify(text) : `"${text}"`;
}
