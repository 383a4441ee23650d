import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnthropicStreamEvent } from '../../../app/protocol/anthropic-wire.ts';
import { eventJson } from '../../../app/server/event-json.ts';

// Whole graphemes, and any UTF-16 units at all: controls, quotes, lone surrogates.
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({
    unit: fc.nat({ max: 0xffff }).map((unit) => String.fromCharCode(unit)),
    maxLength: 40,
  }),
  fc.string({
    unit: fc.constantFrom('a', ' ', '"', '\\', '\n', '\u001f', '\u007f', '\ud83d', '\ude00'),
  }),
);
const delta = fc.oneof(
  text.map((value) => ({ type: 'text_delta' as const, text: value })),
  text.map((value) => ({ type: 'input_json_delta' as const, partial_json: value })),
  text.map((value) => ({ type: 'thinking_delta' as const, thinking: value })),
  text.map((value) => ({ type: 'signature_delta' as const, signature: value })),
);

describe('eventJson', () => {
  it('writes every delta exactly as JSON.stringify does, escapes included', () => {
    fc.assert(
      fc.property(fc.nat({ max: 500 }), delta, (index, value) => {
        const event: AnthropicStreamEvent = { type: 'content_block_delta', index, delta: value };
        expect(eventJson(event)).toBe(JSON.stringify(event));
      }),
      { numRuns: 2_000 },
    );
    // The characters JSON must escape, and lone surrogates.
    const nasty = 'quote " backslash \\ newline \n tab \t nul \u0000 \u2028 \ud800 end';
    const event: AnthropicStreamEvent = {
      type: 'content_block_delta',
      index: 3,
      delta: { type: 'text_delta', text: nasty },
    };
    expect(eventJson(event)).toBe(JSON.stringify(event));
  });

  it('leaves every other event to JSON.stringify', () => {
    const event: AnthropicStreamEvent = { type: 'content_block_stop', index: 1 };
    expect(eventJson(event)).toBe(JSON.stringify(event));
  });
});
