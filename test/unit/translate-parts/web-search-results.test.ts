/**
 * Hosted web search (T15, PROTOCOL.md 3.3): a Responses `web_search_call` that searched reaches
 * an Anthropic client as the server_tool_use + web_search_tool_result pair Anthropic itself sends,
 * streamed or not, counted in usage.server_tool_use and leaving the stop reason alone. Its
 * open_page / find_in_page actions show nothing. The official SDK's stream accumulator must take
 * the blocks as they are, since that is what Claude Code reads them through.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import type { AnthropicStreamEvent } from '../../../app/protocol/anthropic-wire.ts';
import { toAnthropicMessage } from '../../../app/translate/from-responses.ts';
import { ResponsesStreamTranslator } from '../../../app/translate/from-responses-stream.ts';
import { lifecycleViolations } from '../../../app/translate/lifecycle.ts';
import { testAnswerContext } from '../../support/answer-context.ts';

const sources = ['https://www.example.com/news?utm_source=openai', 'https://docs.example.org/a'];

const searchItem = {
  id: 'ws_1',
  type: 'web_search_call',
  status: 'completed',
  action: {
    type: 'search',
    query: 'parley proxy',
    sources: sources.map((url) => ({ type: 'url', url })),
  },
};
const openPageItem = {
  id: 'ws_2',
  type: 'web_search_call',
  status: 'completed',
  action: { type: 'open_page', url: sources[0] },
};
const messageItem = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text: 'Found it.', annotations: [] }],
};
const usage = { input_tokens: 100, output_tokens: 20, input_tokens_details: { cached_tokens: 0 } };
const body = { status: 'completed', output: [searchItem, openPageItem, messageItem], usage };

/** The upstream stream of `body`, as the Responses API sends it (progress events included). */
function upstreamEvents(): unknown[] {
  const webSearch = (item: typeof searchItem | typeof openPageItem, at: number): unknown[] => [
    {
      type: 'response.output_item.added',
      output_index: at,
      item: { id: item.id, type: 'web_search_call', status: 'in_progress' },
    },
    { type: 'response.web_search_call.in_progress', output_index: at, item_id: item.id },
    { type: 'response.web_search_call.searching', output_index: at, item_id: item.id },
    { type: 'response.web_search_call.completed', output_index: at, item_id: item.id },
    { type: 'response.output_item.done', output_index: at, item },
  ];
  const part = { type: 'output_text', text: '', annotations: [] };
  return [
    { type: 'response.created', response: { status: 'in_progress', output: [] } },
    ...webSearch(searchItem, 0),
    ...webSearch(openPageItem, 1),
    {
      type: 'response.output_item.added',
      output_index: 2,
      item: { ...messageItem, status: 'in_progress', content: [] },
    },
    { type: 'response.content_part.added', output_index: 2, content_index: 0, part },
    { type: 'response.output_text.delta', output_index: 2, content_index: 0, delta: 'Found ' },
    { type: 'response.output_text.delta', output_index: 2, content_index: 0, delta: 'it.' },
    {
      type: 'response.content_part.done',
      output_index: 2,
      content_index: 0,
      part: messageItem.content[0],
    },
    { type: 'response.output_item.done', output_index: 2, item: messageItem },
    { type: 'response.completed', response: body },
  ];
}

function translateStream(events: readonly unknown[]): AnthropicStreamEvent[] {
  const translator = new ResponsesStreamTranslator(testAnswerContext());
  const out: AnthropicStreamEvent[] = [];
  for (const event of events) out.push(...translator.onEvent(event));
  return translator.finished ? out : [...out, ...translator.onEnd()];
}

const violations = (events: readonly unknown[]): string[] =>
  lifecycleViolations(events.map((data) => ({ event: (data as { type: string }).type, data })));

/** Anthropic's SSE framing of the events, as the server writes them. */
const sseText = (events: readonly AnthropicStreamEvent[]): string =>
  events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join('');

const expectedBlocks = [
  {
    type: 'server_tool_use',
    id: 'srvtoolu_generated_0',
    name: 'web_search',
    input: { query: 'parley proxy' },
  },
  {
    type: 'web_search_tool_result',
    tool_use_id: 'srvtoolu_generated_0',
    content: [
      {
        type: 'web_search_result',
        url: sources[0],
        title: 'www.example.com',
        encrypted_content: '',
        page_age: null,
      },
      {
        type: 'web_search_result',
        url: sources[1],
        title: 'docs.example.org',
        encrypted_content: '',
        page_age: null,
      },
    ],
  },
  { type: 'text', text: 'Found it.' },
];

const expectedUsage = {
  input_tokens: 100,
  output_tokens: 20,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 },
};

describe('a hosted web search, streamed', () => {
  const events = translateStream(upstreamEvents());

  it('keeps the Anthropic lifecycle', () => {
    expect(violations(events)).toEqual([]);
  });

  it('sends the search as server_tool_use (input streamed) then its results, whole', () => {
    const blockEvents = events.filter((event) => event.type.startsWith('content_block_'));
    expect(blockEvents.slice(0, 6)).toEqual([
      {
        type: 'content_block_start',
        index: 0,
        content_block: {
          type: 'server_tool_use',
          id: 'srvtoolu_generated_0',
          name: 'web_search',
          input: {},
        },
      },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: '' },
      },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: '{"query":"parley proxy"}' },
      },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: expectedBlocks[1] },
      { type: 'content_block_stop', index: 1 },
    ]);
    // open_page shows nothing: the text is the next block.
    expect(blockEvents[6]).toMatchObject({
      type: 'content_block_start',
      index: 2,
      content_block: { type: 'text' },
    });
  });

  it('ends in end_turn (nothing for the client to run) and counts the search', () => {
    expect(events.find((event) => event.type === 'message_delta')).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: expectedUsage,
    });
  });

  it('is accumulated by the official SDK into the final message with the blocks', async () => {
    const text = sseText(events);
    const client = new Anthropic({
      apiKey: 'test',
      maxRetries: 0,
      fetch: () =>
        Promise.resolve(new Response(text, { headers: { 'content-type': 'text/event-stream' } })),
    });
    const stream = client.messages.stream({
      model: 'claude-opus-4-8',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'search' }],
      tools: [{ type: 'web_search_20250305', name: 'web_search' }],
    });
    const message = await stream.finalMessage();
    expect(message.content).toEqual(expectedBlocks);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.server_tool_use).toEqual(expectedUsage.server_tool_use);
  });
});

describe('a hosted web search, not streamed', () => {
  it('becomes the same blocks in order, end_turn and the same usage', () => {
    const message = toAnthropicMessage(body, testAnswerContext());
    expect(message.content).toEqual(expectedBlocks);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toEqual(expectedUsage);
  });

  it('takes `queries` when there is no `query`, and names a host-less source by its url', () => {
    const action = { type: 'search', queries: ['a b'], sources: [{ type: 'url', url: 'x' }] };
    const message = toAnthropicMessage(
      { status: 'completed', output: [{ ...searchItem, action }] },
      testAnswerContext(),
    );
    expect(message.content).toMatchObject([
      { type: 'server_tool_use', input: { query: 'a b' } },
      { type: 'web_search_tool_result', content: [{ url: 'x', title: 'x' }] },
    ]);
  });

  it('gives a search that failed the error form, not an empty list of results', () => {
    const message = toAnthropicMessage(
      { status: 'completed', output: [{ ...searchItem, status: 'failed' }, messageItem] },
      testAnswerContext(),
    );
    expect(message.content[1]).toMatchObject({
      type: 'web_search_tool_result',
      content: { type: 'web_search_tool_result_error', error_code: 'unavailable' },
    });
  });

  it('adds no server_tool_use usage when no search ran', () => {
    const message = toAnthropicMessage(
      { status: 'completed', output: [openPageItem, messageItem], usage },
      testAnswerContext(),
    );
    expect(message.content).toEqual([{ type: 'text', text: 'Found it.' }]);
    expect(message.usage).not.toHaveProperty('server_tool_use');
  });
});

describe('the lifecycle checker on server tool blocks', () => {
  const start = { type: 'message_start', message: {} };
  const end = [
    { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } },
    { type: 'message_stop' },
  ];
  const delta = (partial_json: string) => ({
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'input_json_delta', partial_json },
  });

  it('holds server_tool_use input to a tool’s rules: JSON, and no text inside', () => {
    const open = {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'server_tool_use' },
    };
    const stop = { type: 'content_block_stop', index: 0 };
    expect(violations([start, open, delta('{"query":'), stop, ...end])).toEqual([
      expect.stringContaining('tool input is not JSON'),
    ]);
    const text = {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'x' },
    };
    expect(violations([start, open, text, stop, ...end])).toEqual([
      expect.stringContaining('text_delta inside a tool_use block'),
    ]);
  });

  it('takes no delta inside a web_search_tool_result', () => {
    const open = {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
    };
    const stop = { type: 'content_block_stop', index: 0 };
    expect(violations([start, open, stop, ...end])).toEqual([]);
    expect(violations([start, open, delta('{}'), stop, ...end])).toEqual([
      expect.stringContaining('input_json_delta inside a result block'),
    ]);
  });
});
