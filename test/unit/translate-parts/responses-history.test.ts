/**
 * What the Responses request translator must not send, because the upstream would refuse it on
 * this turn and, the history being replayed, on every later one: reasoning items it cannot look
 * up (T2), images for a model without image input, a tool_choice naming no tool that was sent.
 */
import { describe, expect, it } from 'vitest';
import {
  validateMessagesRequest,
  type MessagesRequest,
} from '../../../app/protocol/messages-request.ts';
import { encodeReasoningSignature } from '../../../app/translate/reasoning-signature.ts';
import { toResponsesRequest } from '../../../app/translate/to-responses-request.ts';
import { capabilitiesFor } from '../../../app/upstream/capabilities.ts';

function translate(fields: Record<string, unknown>, model = 'gpt-5.1') {
  const validation = validateMessagesRequest({
    model: 'claude-opus-4-8',
    max_tokens: 1000,
    ...fields,
  });
  if (!validation.ok) throw new Error(`invalid test request: ${validation.message}`);
  const request: MessagesRequest = validation.value;
  const result = toResponsesRequest(request, {
    upstreamModel: model,
    capabilities: capabilitiesFor(model),
    hash: (value) => `hash(${value.length})`,
  });
  // As it goes on the wire.
  return { result, wire: JSON.parse(JSON.stringify(result.body)) as Record<string, unknown> };
}

const readTool = {
  name: 'Read',
  input_schema: { type: 'object', properties: { path: { type: 'string' } } },
};
const webSearch = { type: 'web_search_20250305', name: 'web_search' };
const image = {
  type: 'image',
  source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
};

describe('reasoning items sent back (T2)', () => {
  const thinking = (encryptedContent: string | null) => ({
    type: 'thinking',
    thinking: 'Look at the file first.',
    signature: encodeReasoningSignature({
      id: 'rs_1',
      encryptedContent,
      summary: ['Look at the file first.'],
    }),
  });
  const history = (block: Record<string, unknown>) => ({
    messages: [
      { role: 'user', content: 'Read a.txt' },
      {
        role: 'assistant',
        content: [block, { type: 'tool_use', id: 'call_1', name: 'Read', input: { path: 'a' } }],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'A' }] },
    ],
    tools: [readTool],
  });

  it('go with their encrypted content, before the call they preceded', () => {
    const { wire } = translate(history(thinking('gAAAA-opaque')));
    expect(wire['input']).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Read a.txt' }] },
      {
        type: 'reasoning',
        id: 'rs_1',
        summary: [{ type: 'summary_text', text: 'Look at the file first.' }],
        encrypted_content: 'gAAAA-opaque',
      },
      { type: 'function_call', call_id: 'call_1', name: 'Read', arguments: '{"path":"a"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'A' },
    ]);
  });

  it('are dropped, with a note, when the upstream gave none: under store:false it would 404', () => {
    // A reasoning model Parley does not know gets no `include`, so its items come back bare.
    const { wire, result } = translate(history(thinking(null)), 'acme-reasoner-7b');
    const input = wire['input'] as { type: string }[];
    expect(input.map((item) => item.type)).toEqual([
      'message',
      'function_call',
      'function_call_output',
    ]);
    expect(wire['store']).toBe(false);
    expect(result.notes).toContainEqual(expect.stringContaining('dropped reasoning item rs_1'));
  });
});

describe('images for a model without image input', () => {
  it('become a line of text, in the user message and in a tool result', () => {
    const { wire, result } = translate(
      {
        messages: [
          { role: 'user', content: 'Take a screenshot.' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'call_1', name: 'Read', input: { path: 's.png' } }],
          },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 'call_1',
                content: [{ type: 'text', text: 'Here it is' }, image],
              },
              image,
            ],
          },
        ],
        tools: [readTool],
      },
      'o3-mini',
    );
    const placeholder = '[An image was here. It was not sent: o3-mini does not take image input.]';
    const input = wire['input'] as unknown[];
    expect(input.slice(2)).toEqual([
      { type: 'function_call_output', call_id: 'call_1', output: `Here it is\n${placeholder}` },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: placeholder }] },
    ]);
    expect(JSON.stringify(wire)).not.toContain('input_image');
    expect(result.notes.filter((note) => note.includes('image input'))).toHaveLength(2);
  });

  it('are sent to a model that takes them', () => {
    const { wire } = translate({ messages: [{ role: 'user', content: [image] }] }, 'gpt-5.1');
    expect(wire['input']).toEqual([
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
        ],
      },
    ]);
  });

  it('follow the user’s correction in settings', () => {
    const { wire } = toResponsesRequestWith({ imageInput: false }, 'gpt-5.1');
    expect(JSON.stringify(wire)).not.toContain('input_image');
  });
});

function toResponsesRequestWith(overrides: { imageInput: boolean }, model: string) {
  const result = toResponsesRequest(
    { model: 'claude-opus-4-8', max_tokens: 1000, messages: [{ role: 'user', content: [image] }] },
    { upstreamModel: model, capabilities: capabilitiesFor(model, overrides), hash: (v) => v },
  );
  return { wire: result.body };
}

describe('parts neither API has', () => {
  it('keep their words in a tool result', () => {
    const searchResult = {
      type: 'search_result',
      source: 'https://example.com/a',
      title: 'Page A',
      content: [{ type: 'text', text: 'A says hello.' }],
    };
    const { wire, result } = translate({
      messages: [
        { role: 'user', content: 'Search.' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_1', name: 'Read', input: {} }],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: [searchResult, { type: 'x' }] },
          ],
        },
      ],
      tools: [readTool],
    });
    expect((wire['input'] as unknown[])[2]).toEqual({
      type: 'function_call_output',
      call_id: 'call_1',
      output: 'Page A\nhttps://example.com/a\nA says hello.',
    });
    expect(result.notes).toEqual([
      'sent a user search_result block as its text',
      'dropped a user x block',
    ]);
  });
});

describe('web search', () => {
  it("takes the client's settings: allowed domains, location, max uses", () => {
    const { wire, result } = translate({
      messages: [{ role: 'user', content: 'Find it.' }],
      tools: [
        {
          ...webSearch,
          max_uses: 8,
          allowed_domains: ['docs.python.org'],
          blocked_domains: ['example.com'],
          user_location: {
            type: 'approximate',
            city: 'Lyon',
            country: 'FR',
            timezone: 'Europe/Paris',
          },
        },
      ],
    });
    expect(wire['tools']).toEqual([
      {
        type: 'web_search',
        filters: { allowed_domains: ['docs.python.org'] },
        user_location: {
          type: 'approximate',
          city: 'Lyon',
          country: 'FR',
          timezone: 'Europe/Paris',
        },
      },
    ]);
    expect(wire['max_tool_calls']).toBe(8);
    expect(wire['include']).toEqual([
      'reasoning.encrypted_content',
      'web_search_call.action.sources',
    ]);
    expect(result.notes).toContain(
      'web search: blocked_domains dropped (OpenAI has no such filter)',
    );
  });

  it('raises a minimal effort to low, which OpenAI requires beside web search', () => {
    const { wire } = translate(
      {
        messages: [{ role: 'user', content: 'Find it.' }],
        tools: [webSearch],
        thinking: { type: 'disabled' },
      },
      'gpt-5-mini',
    );
    expect(wire['reasoning']).toEqual({ effort: 'low', summary: 'auto' });
    const { wire: plain } = translate(
      { messages: [{ role: 'user', content: 'hi' }], thinking: { type: 'disabled' } },
      'gpt-5-mini',
    );
    expect(plain['reasoning']).toEqual({ effort: 'minimal', summary: 'auto' });
  });
});

describe('tool_choice', () => {
  const messages = [{ role: 'user', content: 'Find it.' }];

  it('is not sent when no tool was sent (a 400 upstream), and says so', () => {
    for (const tool_choice of [{ type: 'any' }, { type: 'tool', name: 'Read' }]) {
      const { wire, result } = translate({ messages, tool_choice });
      expect(wire).not.toHaveProperty('tool_choice');
      expect(wire).not.toHaveProperty('tools');
      expect(result.notes).toContainEqual(expect.stringContaining('dropped tool_choice'));
    }
  });

  it('names a function tool that was sent, and refuses to force a search that was dropped', () => {
    const named = translate({
      messages,
      tools: [readTool],
      tool_choice: { type: 'tool', name: 'Read' },
    });
    expect(named.wire['tool_choice']).toEqual({ type: 'function', name: 'Read' });

    // gpt-5-chat has no hosted web search: forced, the model would answer from memory instead.
    expect(() =>
      translate(
        {
          messages,
          tools: [readTool, webSearch],
          tool_choice: { type: 'tool', name: 'web_search' },
        },
        'gpt-5-chat-latest',
      ),
    ).toThrow(
      /web_search \(web_search_20250305\) is a server tool gpt-5-chat-latest does not have/,
    );
  });

  it('names the hosted web search by its type, as the only tool allowed', () => {
    const { wire } = translate({
      messages,
      tools: [readTool, webSearch],
      tool_choice: { type: 'tool', name: 'web_search' },
    });
    expect(wire['tools']).toContainEqual({ type: 'web_search' });
    expect(wire['tool_choice']).toEqual({
      type: 'allowed_tools',
      mode: 'required',
      tools: [{ type: 'web_search' }],
    });
  });
});
