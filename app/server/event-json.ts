/**
 * An Anthropic stream event as JSON text. Deltas, nearly every event of a stream, are written
 * from a template: only their text needs escaping, which JSON.stringify of the string alone does.
 * The output is exactly what JSON.stringify(event) gives (a test holds it to that).
 */
import type { AnthropicStreamEvent } from '../protocol/anthropic-wire.ts';

export function eventJson(event: AnthropicStreamEvent): string {
  if (event.type !== 'content_block_delta') return JSON.stringify(event);
  const { index, delta } = event;
  const head = `{"type":"content_block_delta","index":${String(index)},"delta":{"type":"${delta.type}",`;
  switch (delta.type) {
    case 'text_delta':
      return `${head}"text":${JSON.stringify(delta.text)}}}`;
    case 'input_json_delta':
      return `${head}"partial_json":${JSON.stringify(delta.partial_json)}}}`;
    case 'thinking_delta':
      return `${head}"thinking":${JSON.stringify(delta.thinking)}}}`;
    case 'signature_delta':
      return `${head}"signature":${JSON.stringify(delta.signature)}}}`;
  }
}
