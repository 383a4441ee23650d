/**
 * Anthropic Messages request -> Chat Completions request (PROTOCOL.md 3.2; traps T4, T9, T13,
 * T17, T18, T21). Hand-made requests are checked against the exact messages the upstream
 * receives; then every real Claude Code request (../shared/fixtures/claude-code) goes through the
 * OpenAI and DeepSeek dialects and must come out as a history a Chat server accepts.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { providerPresets, type ChatDialect } from '../../../app/config/providers.ts';
import { AnthropicError } from '../../../app/protocol/anthropic-errors.ts';
import { validateMessagesRequest } from '../../../app/protocol/messages-request.ts';
import { encodeReasoningSignature } from '../../../app/translate/reasoning-signature.ts';
import { toChatRequest } from '../../../app/translate/to-chat-request.ts';
import { clientToolName, MAX_TOOL_NAME_LENGTH } from '../../../app/translate/tools.ts';
import { capabilitiesFor } from '../../../app/upstream/capabilities.ts';
import { sharedFixturesAvailable, sharedFixturesDir } from '../../support/shared-fixtures.ts';

// ---- What the upstream receives, as plain JSON ----

interface WireCall {
  id: string;
  type: string;
  function: { name: string; arguments: string };
}
interface WireMessage {
  role: string;
  content?: unknown;
  tool_calls?: WireCall[];
  tool_call_id?: string;
  reasoning_content?: string;
}
interface WireTool {
  type: string;
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}
interface WireBody {
  model: string;
  messages: WireMessage[];
  max_tokens?: number;
  max_completion_tokens?: number;
  tools?: WireTool[];
  tool_choice?: unknown;
  parallel_tool_calls?: boolean;
  temperature?: number;
  top_p?: number;
  stop?: unknown;
  safety_identifier?: string;
  user?: string;
}

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
const BILLING_LINE = 'x-anthropic-billing-header:';

function dialectOf(provider: string): ChatDialect {
  const preset = providerPresets[provider];
  if (!preset) throw new Error(`no provider preset ${provider}`);
  return preset.chat;
}

/** Validates a request (model and max_tokens filled in) and translates it for one upstream. */
function translate(request: Record<string, unknown>, provider = 'openai', model = 'gpt-5.1') {
  const validation = validateMessagesRequest({
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    ...request,
  });
  if (!validation.ok) throw new Error(`invalid test request: ${validation.message}`);
  const result = toChatRequest(validation.value, {
    upstreamModel: model,
    capabilities: capabilitiesFor(model),
    dialect: dialectOf(provider),
    hash: sha256,
  });
  // Through JSON, as it goes on the wire: what matters is what the server receives.
  const wire = JSON.parse(JSON.stringify(result.body)) as WireBody;
  return { result, wire };
}

const messagesOf = (request: Record<string, unknown>, provider?: string, model?: string) =>
  translate(request, provider, model).wire.messages;

/** The error a translation throws, or a failure when it throws none. */
function thrownBy(run: () => unknown): AnthropicError {
  try {
    run();
  } catch (error) {
    if (error instanceof AnthropicError) return error;
    throw error;
  }
  throw new Error('expected an AnthropicError, but nothing was thrown');
}

/**
 * Chat Completions' rule for a history (T18): the `tool` messages right after an assistant
 * message with tool_calls answer exactly those calls, and no `tool` message appears elsewhere.
 */
function toolOrderViolations(messages: WireMessage[]): string[] {
  const problems: string[] = [];
  messages.forEach((message, at) => {
    const calls = message.tool_calls ?? [];
    if (message.role === 'tool' && messages[at - 1]?.role !== 'tool') {
      const before = messages[at - 1];
      if (before?.role !== 'assistant' || (before.tool_calls ?? []).length === 0) {
        problems.push(`messages[${at}]: tool message not after an assistant message with calls`);
      }
    }
    if (message.role !== 'assistant' || calls.length === 0) return;
    const answers: string[] = [];
    for (let next = at + 1; messages[next]?.role === 'tool'; next++) {
      answers.push(messages[next]?.tool_call_id ?? '');
    }
    const ids = calls.map((call) => call.id);
    if ([...answers].sort().join() !== [...ids].sort().join()) {
      problems.push(`messages[${at}]: calls ${ids.join()} answered by ${answers.join()}`);
    }
  });
  return problems;
}

// ---- Building blocks of hand-made requests ----

const read = {
  name: 'read_file',
  description: 'Read a file',
  input_schema: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { path: { type: 'string' } },
    required: ['path'],
    additionalProperties: false,
  },
};
const list = { name: 'list_dir', input_schema: { type: 'object', properties: {} } };

const toolUse = (id: string, name: string, input: unknown) => ({
  type: 'tool_use',
  id,
  name,
  input,
});
const toolResult = (toolUseId: string, content?: unknown, isError?: boolean) => ({
  type: 'tool_result',
  tool_use_id: toolUseId,
  ...(content === undefined ? {} : { content }),
  ...(isError === undefined ? {} : { is_error: isError }),
});
const image = {
  type: 'image',
  source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
};
const imageUrl = { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } };

/** A thinking block as Parley itself minted it on an earlier Chat answer. */
const parleyThinking = (thinking: string) => ({
  type: 'thinking',
  thinking,
  signature: encodeReasoningSignature({ id: '', encryptedContent: null, summary: [thinking] }),
});

/** A turn with text and two calls, then their results followed by the user's own text. */
const toolTurn = [
  { role: 'user', content: 'What is in the repo?' },
  {
    role: 'assistant',
    content: [
      { type: 'text', text: 'Let me look.' },
      toolUse('call_read', 'read_file', { path: 'README.md' }),
      toolUse('toolu_list', 'list_dir', {}),
    ],
  },
  {
    role: 'user',
    content: [
      toolResult('call_read', '# Parley'),
      toolResult('toolu_list', [{ type: 'text', text: 'permission denied' }], true),
      { type: 'text', text: 'Go on.' },
    ],
  },
];

// ---- System text ----

describe('system text', () => {
  const system = [
    { type: 'text', text: `${BILLING_LINE} cc_version=2.1.197.2bb; cc_entrypoint=cli;` },
    { type: 'text', text: 'You are a careful agent.' },
  ];
  const messages = [{ role: 'user', content: 'hi' }];

  it('is the first message, role developer, for OpenAI with a reasoning model', () => {
    expect(messagesOf({ system, messages })).toEqual([
      { role: 'developer', content: 'You are a careful agent.' },
      { role: 'user', content: 'hi' },
    ]);
  });

  it.each([
    ['openai', 'gpt-4.1'],
    ['deepseek', 'deepseek-chat'],
    ['ollama', 'llama3.2'],
    ['ollama', 'gpt-5.1'],
  ])('is a system message for %s with %s', (provider, model) => {
    expect(messagesOf({ system, messages }, provider, model)).toEqual([
      { role: 'system', content: 'You are a careful agent.' },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('never carries Claude Code’s billing line', () => {
    for (const provider of ['openai', 'deepseek']) {
      const { wire } = translate({ system, messages }, provider);
      expect(JSON.stringify(wire)).not.toContain(BILLING_LINE);
    }
    // A system of nothing but the billing line is no system message at all.
    expect(messagesOf({ system: system.slice(0, 1), messages })).toEqual(messages);
  });

  it('may be a plain string', () => {
    expect(messagesOf({ system: 'Be brief.', messages }, 'deepseek', 'deepseek-chat')).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('keeps a role:"system" message where it is in the conversation', () => {
    const request = {
      system,
      messages: [
        { role: 'user', content: 'first' },
        { role: 'system', content: 'Agent types: claude, explore.' },
        { role: 'user', content: 'second' },
      ],
    };
    expect(messagesOf(request)).toEqual([
      { role: 'developer', content: 'You are a careful agent.' },
      { role: 'user', content: 'first' },
      { role: 'developer', content: 'Agent types: claude, explore.' },
      { role: 'user', content: 'second' },
    ]);
    expect(messagesOf(request, 'deepseek', 'deepseek-chat')[2]).toEqual({
      role: 'system',
      content: 'Agent types: claude, explore.',
    });
  });
});

// ---- Tool calls and results ----

describe('tool calls and their results (T18)', () => {
  it('puts text and both tool_use blocks of an assistant message into one message', () => {
    const messages = messagesOf({ messages: toolTurn, tools: [read, list] });
    expect(messages[1]).toEqual({
      role: 'assistant',
      content: 'Let me look.',
      tool_calls: [
        {
          id: 'call_read',
          type: 'function',
          function: { name: 'read_file', arguments: JSON.stringify({ path: 'README.md' }) },
        },
        // No arguments are still JSON, never "" (T4).
        { id: 'toolu_list', type: 'function', function: { name: 'list_dir', arguments: '{}' } },
      ],
    });
  });

  it('sends the results as tool messages, in order, before the user’s own text', () => {
    const messages = messagesOf({ messages: toolTurn, tools: [read, list] });
    expect(messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'call_read', content: '# Parley' },
      {
        role: 'tool',
        tool_call_id: 'toolu_list',
        // is_error has no Chat field: the model must still see that the call failed (T17).
        content: expect.stringMatching(/error[\s\S]*permission denied/i),
      },
      { role: 'user', content: 'Go on.' },
    ]);
    expect(toolOrderViolations(messages)).toEqual([]);
  });

  it('marks only the failed result as an error, and sends absent content as ""', () => {
    const messages = messagesOf({
      messages: [
        toolTurn[0],
        toolTurn[1],
        { role: 'user', content: [toolResult('call_read', 'fine'), toolResult('toolu_list')] },
      ],
      tools: [read, list],
    });
    expect(messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'call_read', content: 'fine' },
      { role: 'tool', tool_call_id: 'toolu_list', content: '' },
    ]);
  });

  it('sends the text before the results after them, too', () => {
    const messages = messagesOf({
      messages: [
        toolTurn[0],
        toolTurn[1],
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Here you go.' },
            toolResult('toolu_list', 'a\nb'),
            toolResult('call_read', 'text'),
          ],
        },
      ],
      tools: [read, list],
    });
    expect(messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'toolu_list', content: 'a\nb' },
      { role: 'tool', tool_call_id: 'call_read', content: 'text' },
      { role: 'user', content: 'Here you go.' },
    ]);
  });

  it('re-sends a tool result’s image in a user message after the tool messages', () => {
    const messages = messagesOf({
      messages: [
        toolTurn[0],
        toolTurn[1],
        {
          role: 'user',
          content: [
            toolResult('call_read', [{ type: 'text', text: 'a screenshot' }, image]),
            toolResult('toolu_list', 'src'),
          ],
        },
      ],
      tools: [read, list],
    });
    const [first, second, third] = messages.slice(2);
    expect(first).toEqual({ role: 'tool', tool_call_id: 'call_read', content: 'a screenshot' });
    expect(second).toEqual({ role: 'tool', tool_call_id: 'toolu_list', content: 'src' });
    expect(third?.role).toBe('user');
    expect(third?.content).toEqual(expect.arrayContaining([imageUrl]));
    expect(messages).toHaveLength(5);
    expect(toolOrderViolations(messages)).toEqual([]);
  });

  it('replaces images with a line of text for a model without image input', () => {
    const { wire, result } = translate(
      {
        messages: [
          toolTurn[0],
          toolTurn[1],
          {
            role: 'user',
            content: [
              toolResult('call_read', [{ type: 'text', text: 'a screenshot' }, image]),
              toolResult('toolu_list', 'src'),
              image,
              { type: 'text', text: 'And this one?' },
            ],
          },
        ],
        tools: [read, list],
      },
      'openai',
      'o3-mini',
    );
    const serialized = JSON.stringify(wire);
    expect(serialized).not.toContain('image_url');
    expect(serialized).not.toContain('iVBORw0KGgo=');
    const placeholder = '[An image was here. It was not sent: o3-mini does not take image input.]';
    expect(wire.messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'call_read', content: `a screenshot\n${placeholder}` },
      { role: 'tool', tool_call_id: 'toolu_list', content: 'src' },
      {
        role: 'user',
        content: [
          { type: 'text', text: placeholder },
          { type: 'text', text: 'And this one?' },
        ],
      },
    ]);
    expect(result.notes.filter((note) => note.includes('image input'))).toHaveLength(2);
    expect(toolOrderViolations(wire.messages)).toEqual([]);
  });

  it('keeps the words of a tool result part Chat has no kind for (a search result)', () => {
    const { wire, result } = translate({
      messages: [
        toolTurn[0],
        { role: 'assistant', content: [toolUse('call_read', 'read_file', { path: 'a' })] },
        {
          role: 'user',
          content: [
            toolResult('call_read', [
              {
                type: 'search_result',
                source: 'https://example.com/a',
                title: 'Page A',
                content: [{ type: 'text', text: 'A says hello.' }],
              },
            ]),
          ],
        },
      ],
      tools: [read],
    });
    expect(wire.messages[2]).toEqual({
      role: 'tool',
      tool_call_id: 'call_read',
      content: 'Page A\nhttps://example.com/a\nA says hello.',
    });
    expect(result.notes).toEqual(['sent a tool_result search_result block as its text']);
  });

  it('answers a call that has no result with a synthetic tool message', () => {
    const answeredByText = messagesOf({
      messages: [toolTurn[0], toolTurn[1], { role: 'user', content: 'Stop, do something else.' }],
      tools: [read, list],
    });
    expect(answeredByText.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'call_read', content: expect.any(String) },
      { role: 'tool', tool_call_id: 'toolu_list', content: expect.any(String) },
      { role: 'user', content: 'Stop, do something else.' },
    ]);
    expect(toolOrderViolations(answeredByText)).toEqual([]);

    const partlyAnswered = messagesOf({
      messages: [toolTurn[0], toolTurn[1], { role: 'user', content: [toolResult('toolu_list')] }],
      tools: [read, list],
    });
    expect(partlyAnswered.slice(2).map((message) => message.tool_call_id)).toEqual([
      'toolu_list',
      'call_read',
    ]);
    expect(toolOrderViolations(partlyAnswered)).toEqual([]);

    const lastTurn = messagesOf({ messages: toolTurn.slice(0, 2), tools: [read, list] });
    expect(lastTurn.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'call_read', content: expect.any(String) },
      { role: 'tool', tool_call_id: 'toolu_list', content: expect.any(String) },
    ]);
    for (const message of [...answeredByText, ...lastTurn]) {
      if (message.role === 'tool') expect(message.content).not.toBe('');
    }
  });

  it('sends a tool_result that answers no call as user text', () => {
    const messages = messagesOf({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: [toolResult('toolu_gone', 'stale output')] },
      ],
    });
    expect(messages.filter((message) => message.role === 'tool')).toEqual([]);
    expect(messages[2]?.role).toBe('user');
    expect(messages[2]?.content).toEqual(expect.stringContaining('stale output'));
    expect(messages[2]?.content).toEqual(expect.stringContaining('toolu_gone'));
  });

  // BUG (app/translate/to-chat-request.ts, ChatHistory#toolResult): the text for a result that
  // answers no call is pushed at once, so it lands between the assistant message and the tool
  // messages that must follow it directly; Chat servers answer that history with a 400.
  it('keeps an unmatched result’s text after the tool messages of the turn', () => {
    const messages = messagesOf({
      messages: [
        toolTurn[0],
        toolTurn[1],
        {
          role: 'user',
          content: [
            toolResult('toolu_gone', 'stale output'),
            toolResult('call_read', '# Parley'),
            toolResult('toolu_list', 'src'),
          ],
        },
      ],
      tools: [read, list],
    });
    expect(toolOrderViolations(messages)).toEqual([]);
    expect(messages.slice(2, 4).map((message) => message.tool_call_id)).toEqual([
      'call_read',
      'toolu_list',
    ]);
    expect(messages[4]?.content).toEqual(expect.stringContaining('stale output'));
  });
});

// ---- Reasoning sent back (T13) ----

describe('reasoning from earlier turns (T13)', () => {
  const history = [
    { role: 'user', content: 'weather?' },
    {
      role: 'assistant',
      content: [
        parleyThinking('The user wants the weather.'),
        { type: 'text', text: 'Checking.' },
        toolUse('call_00_a', 'read_file', { path: 'weather.txt' }),
      ],
    },
    { role: 'user', content: [toolResult('call_00_a', 'sunny')] },
    { role: 'assistant', content: [toolUse('call_00_b', 'list_dir', {})] },
    { role: 'user', content: [toolResult('call_00_b', 'a.txt')] },
    {
      role: 'assistant',
      content: [parleyThinking('Summing up.'), { type: 'text', text: 'Sunny.' }],
    },
    { role: 'user', content: 'thanks' },
  ];
  const assistants = (provider: string, model: string) =>
    messagesOf({ messages: history, tools: [read, list] }, provider, model).filter(
      (message) => message.role === 'assistant',
    );

  it('goes into reasoning_content on DeepSeek, "" on a tool-call turn without thinking', () => {
    expect(assistants('deepseek', 'deepseek-chat').map((m) => m.reasoning_content)).toEqual([
      'The user wants the weather.',
      '',
      'Summing up.',
    ]);
  });

  it('is dropped for OpenAI', () => {
    const { wire } = translate({ messages: history, tools: [read, list] });
    for (const message of wire.messages) expect(message).not.toHaveProperty('reasoning_content');
    expect(JSON.stringify(wire)).not.toContain('The user wants the weather.');
    expect(wire.messages.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual([
      'Checking.',
      null,
      'Sunny.',
    ]);
  });

  it('is not taken from a thinking block Parley did not sign', () => {
    const foreign = [
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Claude thought this.', signature: 'EqQBCkgIBxABGAIiQL' },
          toolUse('call_00_a', 'read_file', { path: 'weather.txt' }),
        ],
      },
      { role: 'user', content: [toolResult('call_00_a', 'sunny')] },
    ];
    const { wire } = translate({ messages: foreign, tools: [read] }, 'deepseek', 'deepseek-chat');
    expect(wire.messages[1]?.reasoning_content).toBe('');
    expect(JSON.stringify(wire)).not.toContain('Claude thought this.');
  });
});

// ---- Tools and tool_choice ----

describe('tools', () => {
  const messages = [{ role: 'user', content: 'hi' }];

  it('become nested function definitions without $schema and without strict', () => {
    const { wire } = translate({ messages, tools: [read, list] });
    const { $schema: _schema, ...parameters } = read.input_schema;
    expect(wire.tools).toEqual([
      {
        type: 'function',
        function: { name: 'read_file', description: 'Read a file', parameters },
      },
      { type: 'function', function: { name: 'list_dir', parameters: list.input_schema } },
    ]);
  });

  it.each([
    [{ type: 'auto' }, 'auto'],
    [{ type: 'any' }, 'required'],
    [
      { type: 'tool', name: 'list_dir' },
      { type: 'function', function: { name: 'list_dir' } },
    ],
    [{ type: 'none' }, 'none'],
  ])('maps tool_choice %j to %j', (toolChoice, expected) => {
    const { wire } = translate({ messages, tools: [read, list], tool_choice: toolChoice });
    expect(wire.tool_choice).toEqual(expected);
  });

  it('refuses a choice forcing a server tool Chat cannot run, rather than let the model guess', () => {
    const error = thrownBy(() =>
      translate({
        messages,
        tools: [read, { type: 'web_search_20250305', name: 'web_search' }],
        tool_choice: { type: 'tool', name: 'web_search' },
      }),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain('web_search (web_search_20250305) is a server tool');
    // Merely declared, it is dropped with a note and the request goes on.
    const { wire, result } = translate({
      messages,
      tools: [read, { type: 'web_search_20250305', name: 'web_search' }],
    });
    expect(wire.tools?.map((tool) => tool.function.name)).toEqual(['read_file']);
    expect(result.notes.join('\n')).toContain('dropped server tool web_search');
  });

  it('sends parallel_tool_calls:false for disable_parallel_tool_use, only with tools', () => {
    const toolChoice = { type: 'auto', disable_parallel_tool_use: true };
    const withTools = translate({ messages, tools: [read], tool_choice: toolChoice }).wire;
    expect(withTools.parallel_tool_calls).toBe(false);
    for (const provider of ['openai', 'deepseek']) {
      const without = translate({ messages, tool_choice: toolChoice }, provider).wire;
      expect(without).not.toHaveProperty('parallel_tool_calls');
      expect(without).not.toHaveProperty('tool_choice');
      expect(without).not.toHaveProperty('tools');
    }
    const allowed = translate({ messages, tools: [read], tool_choice: { type: 'any' } }).wire;
    expect(allowed).not.toHaveProperty('parallel_tool_calls');
  });

  it.each(['openai', 'deepseek', 'ollama'])(
    'accepts the dialect’s tool limit and refuses one more (%s)',
    (provider) => {
      const limit = dialectOf(provider).maxTools;
      const tools = (count: number) =>
        Array.from({ length: count }, (_, i) => ({ ...list, name: `tool_${i}` }));
      expect(translate({ messages, tools: tools(limit) }, provider).wire.tools).toHaveLength(limit);
      const error = thrownBy(() => translate({ messages, tools: tools(limit + 1) }, provider));
      expect(error.status).toBe(400);
      expect(error.type).toBe('invalid_request_error');
      expect(error.message).toContain(String(limit));
    },
  );

  it('shortens tool names over 64 characters and maps them back', () => {
    const longName = `mcp__${'very_long_server_name_'.repeat(3)}__fetch_everything`;
    const sibling = `${longName}_again`;
    expect(longName.length).toBeGreaterThan(MAX_TOOL_NAME_LENGTH);
    const { wire, result } = translate({
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [toolUse('call_1', longName, { url: 'x' })] },
        { role: 'user', content: [toolResult('call_1', 'done')] },
      ],
      tools: [
        { name: longName, input_schema: { type: 'object' } },
        { name: sibling, input_schema: { type: 'object' } },
        read,
      ],
      tool_choice: { type: 'tool', name: longName },
    });
    const names = (wire.tools ?? []).map((tool) => tool.function.name);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(MAX_TOOL_NAME_LENGTH);
    expect(new Set(names).size).toBe(3);
    expect(names[2]).toBe('read_file');
    expect(names.map((name) => clientToolName(name, result.toolNames))).toEqual([
      longName,
      sibling,
      'read_file',
    ]);
    // The history and tool_choice name the call as the tools do.
    expect(wire.messages[1]?.tool_calls?.[0]?.function.name).toBe(names[0]);
    expect(wire.tool_choice).toEqual({ type: 'function', function: { name: names[0] } });
  });
});

// ---- Limits, sampling, stop sequences ----

describe('max tokens, sampling and stop sequences', () => {
  const messages = [{ role: 'user', content: 'hi' }];

  it('goes under max_completion_tokens for OpenAI and max_tokens for DeepSeek', () => {
    const openai = translate({ messages, max_tokens: 1000 }).wire;
    expect(openai.max_completion_tokens).toBe(1000);
    expect(openai).not.toHaveProperty('max_tokens');
    const deepseek = translate({ messages, max_tokens: 1000 }, 'deepseek', 'deepseek-chat').wire;
    expect(deepseek.max_tokens).toBe(1000);
    expect(deepseek).not.toHaveProperty('max_completion_tokens');
  });

  it.each([
    ['openai', 'gpt-5.1', 'max_completion_tokens'],
    ['openai', 'gpt-4.1', 'max_completion_tokens'],
    ['deepseek', 'deepseek-chat', 'max_tokens'],
  ] as const)('is clamped to the limits of %s %s', (provider, model, field) => {
    const caps = capabilitiesFor(model);
    const asked = (maxTokens: number) =>
      translate({ messages, max_tokens: maxTokens }, provider, model).wire[field];
    expect(asked(caps.maxOutputTokens + 1)).toBe(caps.maxOutputTokens);
    expect(asked(10_000_000)).toBe(caps.maxOutputTokens);
    expect(asked(1)).toBe(caps.minOutputTokens);
    expect(asked(caps.minOutputTokens)).toBe(caps.minOutputTokens);
  });

  it('drops temperature and top_p for a reasoning model, keeps them for gpt-4.1', () => {
    const sampled = { messages, temperature: 0.3, top_p: 0.9 };
    const reasoning = translate(sampled, 'openai', 'gpt-5.1').wire;
    expect(reasoning).not.toHaveProperty('temperature');
    expect(reasoning).not.toHaveProperty('top_p');
    const chat = translate(sampled, 'openai', 'gpt-4.1').wire;
    expect(chat.temperature).toBe(0.3);
    expect(chat.top_p).toBe(0.9);
  });

  it('does not send stop sequences (they are emulated) but hands them back', () => {
    for (const provider of ['openai', 'deepseek']) {
      const { wire, result } = translate({ messages, stop_sequences: ['END', '###'] }, provider);
      expect(wire).not.toHaveProperty('stop');
      expect(result.stopSequences).toEqual(['END', '###']);
    }
  });
});

// ---- Documents ----

describe('PDF documents', () => {
  const pdf = {
    type: 'document',
    title: 'report.pdf',
    source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' },
  };
  const request = {
    messages: [{ role: 'user', content: [pdf, { type: 'text', text: 'Summarise it.' }] }],
  };

  it('are refused with a 400 by DeepSeek’s dialect', () => {
    const error = thrownBy(() => translate(request, 'deepseek', 'deepseek-chat'));
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
  });

  const readPdf = (result: unknown) => ({
    messages: [
      { role: 'user', content: 'Read the report.' },
      { role: 'assistant', content: [toolUse('call_read', 'read_file', { path: 'r.pdf' })] },
      { role: 'user', content: [toolResult('call_read', result)] },
    ],
    tools: [read],
  });

  it('from a tool are re-sent as a file part after the tool messages (OpenAI)', () => {
    const messages = messagesOf(readPdf([{ type: 'text', text: 'PDF pages: 3' }, pdf]));
    expect(messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'call_read', content: 'PDF pages: 3' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Files returned by the tool calls above:' },
          {
            type: 'file',
            file: { filename: 'report.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' },
          },
        ],
      },
    ]);
  });

  it('from a tool become a line of text where the server takes no files: the history stays valid', () => {
    const { wire, result } = translate(readPdf([pdf]), 'deepseek', 'deepseek-chat');
    expect(wire.messages.slice(2)).toEqual([
      {
        role: 'tool',
        tool_call_id: 'call_read',
        content:
          '[A document (report.pdf) was here. It was not sent: this upstream cannot read application/pdf documents over Chat Completions.]',
      },
    ]);
    expect(result.notes).toContainEqual(expect.stringContaining("replaced a tool's document"));
  });

  it('are named with .pdf, as OpenAI reads a file’s type from its name', () => {
    const untitled = { ...pdf, title: 'Quarterly report' };
    const [message] = messagesOf({ messages: [{ role: 'user', content: [untitled] }] });
    expect(message?.content).toEqual([
      {
        type: 'file',
        file: {
          filename: 'Quarterly report.pdf',
          file_data: 'data:application/pdf;base64,JVBERi0xLjQK',
        },
      },
    ]);
  });

  it('become a file part for OpenAI', () => {
    expect(messagesOf(request)).toEqual([
      {
        role: 'user',
        content: [
          {
            type: 'file',
            file: { filename: 'report.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' },
          },
          { type: 'text', text: 'Summarise it.' },
        ],
      },
    ]);
  });
});

// ---- metadata.user_id (T21) ----

describe('metadata.user_id (T21)', () => {
  const userId = JSON.stringify({
    device_id: 'a'.repeat(64),
    account_uuid: '',
    session_id: '3692baea-23de-4735-93f1-b873bf2047a4',
  });
  const request = { messages: [{ role: 'user', content: 'hi' }], metadata: { user_id: userId } };

  it('goes to OpenAI only hashed, as safety_identifier', () => {
    const { wire } = translate(request);
    expect(wire.safety_identifier).toBe(sha256(userId));
    expect(wire.safety_identifier).toMatch(/^[0-9a-f]{64}$/);
    expect(wire).not.toHaveProperty('user');
  });

  it.each(['openai', 'deepseek', 'ollama'])('never goes raw (%s)', (provider) => {
    const serialized = JSON.stringify(translate(request, provider).wire);
    for (const piece of [userId, JSON.stringify(userId), 'a'.repeat(64), '3692baea-23de']) {
      expect(serialized).not.toContain(piece);
    }
  });

  it('is not sent to servers that do not take safety_identifier', () => {
    const { wire } = translate(request, 'deepseek', 'deepseek-chat');
    expect(wire).not.toHaveProperty('safety_identifier');
    expect(wire).not.toHaveProperty('user');
  });
});

// ---- Real Claude Code requests ----

interface SentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: string | SentBlock[];
}
interface SentBody {
  system?: string | { text: string }[];
  messages: { role: string; content: string | SentBlock[] }[];
  tools?: { name: string; type?: string | null; input_schema?: Record<string, unknown> }[];
  metadata?: { user_id?: string | null };
}
interface Capture {
  path: string;
  body: unknown;
}

const available = sharedFixturesAvailable();
const claudeCodeDir = join(sharedFixturesDir, 'claude-code');
const captureFiles = available
  ? readdirSync(claudeCodeDir).filter(
      (name) => name.endsWith('.json') && name !== 'manifest.json' && name !== 'count-tokens.json',
    )
  : [];
const captureOf = (file: string): Capture =>
  JSON.parse(readFileSync(join(claudeCodeDir, file), 'utf8')) as Capture;

const upstreams = [
  ['openai', 'gpt-5.1'],
  ['deepseek', 'deepseek-chat'],
] as const;

const blocksOf = (content: string | SentBlock[]): SentBlock[] =>
  typeof content === 'string' ? [{ type: 'text', text: content }] : content;

const resultTexts = (content: SentBlock['content']): string[] =>
  content === undefined
    ? []
    : typeof content === 'string'
      ? [content]
      : content.flatMap((part) => (part.type === 'text' && part.text ? [part.text] : []));

describe.skipIf(!available)('the Claude Code request captures', () => {
  it('are there', () => {
    expect(captureFiles.length).toBeGreaterThanOrEqual(5);
  });
});

describe
  .skipIf(!available)
  .each(
    captureFiles.flatMap((file) => upstreams.map(([provider, model]) => [file, provider, model])),
  )('%s for %s (%s)', (file, provider, model) => {
  const sent = captureOf(file).body as SentBody;
  const { wire, result } = translate(sent as unknown as Record<string, unknown>, provider, model);
  const sentBlocks = sent.messages.flatMap((message) =>
    blocksOf(message.content).map((block) => ({ role: message.role, block })),
  );

  it('declares every client tool, under a name that maps back', () => {
    const clientTools = (sent.tools ?? []).filter((tool) => tool.input_schema !== undefined);
    expect(clientTools.length).toBeGreaterThan(0);
    expect(
      (wire.tools ?? []).map((tool) => clientToolName(tool.function.name, result.toolNames)),
    ).toEqual(clientTools.map((tool) => tool.name));
    for (const tool of wire.tools ?? []) {
      expect(tool.type).toBe('function');
      expect(tool).not.toHaveProperty('strict');
      expect(tool.function.parameters).not.toHaveProperty('$schema');
    }
  });

  it('sends every tool_use as a call of an assistant message, with its input', () => {
    const calls = wire.messages.flatMap((message) => message.tool_calls ?? []);
    const uses = sentBlocks.filter(({ block }) => block.type === 'tool_use');
    expect(calls.map((call) => call.id)).toEqual(uses.map(({ block }) => block.id));
    uses.forEach(({ block }, index) => {
      expect(clientToolName(calls[index]?.function.name ?? '', result.toolNames)).toBe(block.name);
      expect(calls[index]?.function.arguments).toBe(JSON.stringify(block.input ?? {}));
    });
  });

  it('sends every tool_result as a tool message right after the call’s assistant message', () => {
    const results = sentBlocks.filter(({ block }) => block.type === 'tool_result');
    for (const { block } of results) {
      const id = block.tool_use_id ?? '';
      const at = wire.messages.findIndex(
        (message) => message.role === 'tool' && message.tool_call_id === id,
      );
      expect(at, `no tool message for ${id}`).toBeGreaterThan(0);
      const callAt = wire.messages.findIndex((message) =>
        (message.tool_calls ?? []).some((call) => call.id === id),
      );
      expect(callAt).toBeGreaterThanOrEqual(0);
      expect(callAt).toBeLessThan(at);
      const between = wire.messages.slice(callAt + 1, at).map((message) => message.role);
      expect(between.every((role) => role === 'tool')).toBe(true);
      const content = wire.messages[at]?.content;
      expect(typeof content).toBe('string');
      for (const text of resultTexts(block.content)) expect(content).toContain(text);
    }
    expect(wire.messages.filter((message) => message.role === 'tool')).toHaveLength(results.length);
    expect(toolOrderViolations(wire.messages)).toEqual([]);
  });

  it('carries no billing line anywhere, but the rest of the system text first', () => {
    expect(JSON.stringify(wire)).not.toContain(BILLING_LINE);
    const system = sent.system ?? [];
    const parts = typeof system === 'string' ? [system] : system.map((block) => block.text);
    const first = wire.messages[0];
    expect(first?.role).toBe(provider === 'openai' ? 'developer' : 'system');
    for (const text of parts.filter((part) => !part.startsWith(BILLING_LINE))) {
      expect(first?.content).toEqual(expect.stringContaining(text.trim()));
    }
  });

  it('keeps the role:"system" messages in place', () => {
    const systemRole = provider === 'openai' ? 'developer' : 'system';
    const expected = sent.messages
      .filter((message) => message.role === 'system')
      .map((message) =>
        blocksOf(message.content)
          .map((block) => block.text ?? '')
          .join('\n\n'),
      );
    const inConversation = wire.messages.slice(1).filter((message) => message.role === systemRole);
    expect(inConversation.map((message) => message.content)).toEqual(expected);
  });

  it('sends metadata.user_id only hashed, and only to OpenAI (T21)', () => {
    const userId = sent.metadata?.user_id ?? '';
    expect(userId).not.toBe('');
    expect(JSON.stringify(wire)).not.toContain(JSON.stringify(userId).slice(1, -1));
    if (provider === 'openai') expect(wire.safety_identifier).toBe(sha256(userId));
    else expect(wire).not.toHaveProperty('safety_identifier');
  });
});
