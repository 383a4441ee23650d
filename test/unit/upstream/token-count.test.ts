import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import type { MessagesRequest } from '../../../app/protocol/messages-request.ts';
import { toResponsesRequest } from '../../../app/translate/to-responses-request.ts';
import { capabilitiesFor } from '../../../app/upstream/capabilities.ts';
import {
  IMAGE_TOKENS_ESTIMATE,
  countRequestTokens,
  tokenCounterFor,
} from '../../../app/upstream/token-count.ts';

const translate = (request: Partial<MessagesRequest>, model = 'gpt-5.1') =>
  toResponsesRequest(
    { model: 'claude-opus-4-8', max_tokens: 100, messages: [], ...request },
    { upstreamModel: model, capabilities: capabilitiesFor(model), hash: (value) => value },
  ).body;

describe('countRequestTokens', () => {
  it('counts text exactly as the tokenizer does, plus fixed framing', () => {
    const text = 'Refactor the parser so that errors carry line numbers — ünïcödé too.';
    const body = translate({ messages: [{ role: 'user', content: text }] });
    // 3 to prime the reply, 4 per message.
    expect(countRequestTokens(body, 'gpt-5.1')).toBe(3 + 4 + o200k(text));
  });

  it('counts special-token text (a chat template in the code read) as the text it is', () => {
    const text = 'def render(): return "<|im_start|>user\\n" + prompt + "<|im_end|><|endoftext|>"';
    const body = translate({ messages: [{ role: 'user', content: text }] });
    for (const [model, encode] of [
      ['gpt-5.1', o200k],
      ['gpt-4-turbo', cl100k],
    ] as const) {
      expect(countRequestTokens(body, model)).toBe(
        3 + 4 + encode(text, { disallowedSpecial: new Set() }),
      );
    }
    // As text, they are several tokens each, not one special token.
    expect(o200k('<|endoftext|>', { disallowedSpecial: new Set() })).toBeGreaterThan(1);
  });

  it('counts the system text and every tool definition as sent', () => {
    const tool = {
      name: 'Write',
      description: 'Write a file',
      input_schema: { type: 'object' as const, properties: { file_path: { type: 'string' } } },
    };
    const without = translate({ system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] });
    const withTool = translate({
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [tool],
    });
    const sentTool = (withTool.tools ?? [])[0];
    expect(countRequestTokens(withTool, 'gpt-5.1') - countRequestTokens(without, 'gpt-5.1')).toBe(
      o200k(JSON.stringify(sentTool)),
    );
    expect(countRequestTokens(without, 'gpt-5.1')).toBe(
      3 + 4 + o200k('Be brief.') + 4 + o200k('hi'),
    );
  });

  it('prices an image at the documented estimate and never tokenizes its base64', () => {
    const data = 'iVBORw0KGgo'.repeat(5_000);
    const body = translate({
      messages: [
        {
          role: 'user',
          content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data } }],
        },
      ],
    });
    expect(countRequestTokens(body, 'gpt-5.1')).toBe(3 + 4 + IMAGE_TOKENS_ESTIMATE);
  });

  it('counts tool calls and their results in the history', () => {
    const body = translate({
      messages: [
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_1', name: 'Bash', input: { command: 'ls -la' } }],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'total 0' }],
        },
      ],
    });
    expect(countRequestTokens(body, 'gpt-5.1')).toBe(
      3 + 4 + o200k('Bash') + o200k('{"command":"ls -la"}') + 4 + o200k('total 0'),
    );
  });
});

describe('tokenCounterFor', () => {
  // A text whose token counts differ between the two encodings, so the choice shows.
  const text = 'Ünïcödé 日本語のテキスト — 🚀 refactor(parser): handle CRLF';

  it('uses o200k_base from the GPT-4o generation on and cl100k_base before it', () => {
    expect(o200k(text)).not.toBe(cl100k(text));
    for (const model of ['gpt-5.1', 'gpt-4o-mini', 'gpt-4.1', 'o3', 'some-local-model']) {
      expect(tokenCounterFor(model)(text), model).toBe(o200k(text));
    }
    for (const model of ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo']) {
      expect(tokenCounterFor(model)(text), model).toBe(cl100k(text));
    }
  });
});
