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
  const head = `{"type":"content_block_delta","index":${String(index)},"delta":{"type":"${delta.type}",`;
  switch (delta.type) {
    case 'text_delta':
      return `${head}"text":${jsonString(delta.text)}}}`;
    case 'input_json_delta':
      return `${head}"partial_json":${jsonString(delta.partial_json)}}}`;
    case 'thinking_delta':
      return `${head}"thinking":${jsonString(delta.thinking)}}}`;
    case 'signature_delta':
      return `${head}"signature":${jsonString(delta.signature)}}}`;
  }
}

/** What JSON.stringify escapes: quote, backslash, control characters, and (lone) surrogates. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonString(text: string): string {
  return ESCAPED.test(text) ? JSON.stringify(text) : `"${text}"`;
}
