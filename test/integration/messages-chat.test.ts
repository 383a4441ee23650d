/**
 * The Chat Completions side of the pipeline: the exact requests a Chat server receives, and the
 * shapes real Chat servers stream back (interleaved tool calls, ids and names repeated, whole
 * arguments, usage on the finish chunk or missing, no [DONE]). What the client sees is checked
 * for both APIs in messages.test.ts.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { lifecycleViolations } from '../../app/translate/lifecycle.ts';
import { NO_RESULT_TEXT } from '../../app/translate/to-chat-request.ts';
import { postForSse } from '../support/anthropic-sse.ts';
import type { ScriptedOutput, ScriptedTurn } from '../support/mock-openai/script.ts';
import { useTestProxies, type TestProxyOptions } from '../support/test-proxy.ts';

const startProxyOf = useTestProxies();
const startChatProxy = (options: TestProxyOptions = {}) =>
  startProxyOf({ ...options, file: { upstreamApi: 'chat', ...options.file } });

const args = {
  read: { file_path: '/home/dev/project/ünï "q" \\ x.ts' },
  bash: { command: 'grep -r "TODO" . | wc -l', timeout: 120000 },
  write: { file_path: '/tmp/a', content: '日本語 🚀\n"quoted"' },
};
const threeCalls: ScriptedOutput[] = [
  { type: 'tool_call', name: 'Read', arguments: JSON.stringify(args.read), callId: 'call_r' },
  { type: 'tool_call', name: 'Bash', arguments: JSON.stringify(args.bash), callId: 'call_b' },
  { type: 'tool_call', name: 'Write', arguments: JSON.stringify(args.write), callId: 'call_w' },
];
const expectedCalls = [
  { type: 'tool_use', id: 'call_r', name: 'Read', input: args.read },
  { type: 'tool_use', id: 'call_b', name: 'Bash', input: args.bash },
  { type: 'tool_use', id: 'call_w', name: 'Write', input: args.write },
];
const params = {
  model: 'claude-opus-4-8',
  max_tokens: 4096,
  messages: [{ role: 'user' as const, content: 'go' }],
};

describe('what a Chat server receives', () => {
  it('a tool_result turn: one assistant message with tool_calls, tool messages after it, then the text', async () => {
    const { mock, client } = await startChatProxy();
    mock.enqueue({ output: [{ type: 'text', text: 'Done.' }] });
    await client().messages.create({
      model: 'claude-opus-4-8',
      max_tokens: 1024,
      system: [
        { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197.abc;' },
        { type: 'text', text: 'Be careful.' },
      ],
      tools: [
        {
          name: 'Read',
          description: 'Read a file',
          input_schema: {
            $schema: 'https://json-schema.org/draft/2020-12/schema',
            type: 'object',
            properties: { file_path: { type: 'string' } },
          },
        },
        {
          name: 'Bash',
          input_schema: { type: 'object', properties: { command: { type: 'string' } } },
        },
      ],
      messages: [
        { role: 'user', content: 'Look around' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me look.' },
            { type: 'tool_use', id: 'call_r', name: 'Read', input: args.read },
            { type: 'tool_use', id: 'call_b', name: 'Bash', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'call_r',
              content: [
                { type: 'text', text: 'line 1' },
                {
                  type: 'image',
                  source: { type: 'base64', media_type: 'image/png', data: 'iVBO' },
                },
              ],
            },
            { type: 'text', text: 'What now?' },
          ],
        },
      ],
    });
    const body = mock.requests[0]?.body as Record<string, unknown>;
    expect(mock.requests[0]?.path).toBe('/v1/chat/completions');
    expect(body['messages']).toEqual([
      { role: 'developer', content: 'Be careful.' },
      { role: 'user', content: 'Look around' },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          {
            id: 'call_r',
            type: 'function',
            function: { name: 'Read', arguments: JSON.stringify(args.read) },
          },
          { id: 'call_b', type: 'function', function: { name: 'Bash', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_r', content: 'line 1' },
      { role: 'tool', tool_call_id: 'call_b', content: NO_RESULT_TEXT },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Images returned by the tool calls above:' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } },
        ],
      },
      { role: 'user', content: 'What now?' },
    ]);
    expect(body['tools']).toEqual([
      {
        type: 'function',
        function: {
          name: 'Read',
          description: 'Read a file',
          parameters: { type: 'object', properties: { file_path: { type: 'string' } } },
        },
      },
      {
        type: 'function',
        function: {
          name: 'Bash',
          parameters: { type: 'object', properties: { command: { type: 'string' } } },
        },
      },
    ]);
    expect(body).toMatchObject({ model: 'gpt-5.1', max_completion_tokens: 1024, stream: false });
    expect(body).not.toHaveProperty('stream_options');
  });

  it('asks for usage whenever it streams', async () => {
    const { mock, proxy } = await startChatProxy();
    mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
    await postForSse(`${proxy.url}/v1/messages`, { ...params, stream: true });
    expect(mock.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends a role:"system" message in place and images as image_url parts', async () => {
    const { mock, proxy } = await startChatProxy({ file: { model: 'gpt-4.1' } });
    mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
    await postForSse(`${proxy.url}/v1/messages`, {
      ...params,
      stream: true,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'see' },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          ],
        },
        { role: 'system', content: 'Agent types: general-purpose.' },
        { role: 'user', content: 'next' },
      ],
    });
    expect((mock.requests[0]?.body as { messages: unknown[] }).messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'see' },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
        ],
      },
      { role: 'system', content: 'Agent types: general-purpose.' },
      { role: 'user', content: 'next' },
    ]);
  });

  it('refuses a PDF a compatible server cannot read with a clear 400, before calling it', async () => {
    const { mock, client } = await startChatProxy({ file: { provider: 'ollama' } });
    const failure = await client()
      .messages.create({
        ...params,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'document',
                source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
              },
            ],
          },
        ],
      })
      .catch((error: unknown) => error);
    expect((failure as { status?: number }).status).toBe(400);
    expect((failure as Error).message).toContain('cannot read application/pdf documents');
    expect(mock.requests).toHaveLength(0);
  });
});

describe('what real Chat servers stream', () => {
  const shapes: [string, NonNullable<ScriptedTurn['chat']>][] = [
    ['calls one after another (OpenAI)', {}],
    ['calls interleaved by index', { interleaveToolCalls: true }],
    [
      'interleaved, id and name repeated on every delta',
      { interleaveToolCalls: true, repeatIdAndName: true },
    ],
    ['whole arguments in one chunk', { wholeArguments: true }],
    ['usage on the finish chunk and no [DONE]', { usage: 'finish-chunk', omitDone: true }],
  ];
  for (const [name, chat] of shapes) {
    it(`rebuilds three parallel calls from ${name}`, async () => {
      const { mock, proxy, client } = await startChatProxy();
      const turn: ScriptedTurn = {
        output: [{ type: 'text', text: 'Three at once.' }, ...threeCalls],
        deltaSize: 1,
        chat,
        usage: { input: 50, cached: 20, output: 30 },
      };
      mock.enqueue(turn, turn);
      const { frames } = await postForSse(`${proxy.url}/v1/messages`, { ...params, stream: true });
      expect(lifecycleViolations(frames)).toEqual([]);
      const message = await client().messages.stream(params).finalMessage();
      expect(message.content).toEqual([{ type: 'text', text: 'Three at once.' }, ...expectedCalls]);
      expect(message.stop_reason).toBe('tool_use');
      expect(message.usage).toMatchObject({
        input_tokens: 30,
        cache_read_input_tokens: 20,
        output_tokens: 30,
      });
    });
  }

  it('estimates usage when the server sends none, and says so', async () => {
    const { mock, proxy } = await startChatProxy();
    mock.enqueue({
      output: [{ type: 'text', text: 'An answer of some length.' }],
      chat: { usage: 'none' },
    });
    const { frames, headers } = await postForSse(`${proxy.url}/v1/messages`, {
      ...params,
      stream: true,
    });
    const delta = frames.find((frame) => frame.event === 'message_delta')?.data as {
      usage: Anthropic.MessageDeltaUsage;
    };
    expect(delta.usage.output_tokens).toBeGreaterThan(0);
    expect(delta.usage.input_tokens).toBeGreaterThan(0);
    const usage = proxy.traffic
      ?.recent()
      .find(
        (event) =>
          event.exchangeId === headers.get('request-id') && event.type === 'usage.reported',
      );
    expect(usage).toMatchObject({ estimated: true });
  });

  it('opens no empty text block for the content:"" of reasoning chunks', async () => {
    const { mock, client } = await startChatProxy();
    mock.enqueue({
      output: [
        { type: 'reasoning', summary: ['Think first.'] },
        { type: 'text', text: 'Answer.' },
      ],
    });
    const message = await client().messages.stream(params).finalMessage();
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
  });
});

describe('reasoning_content round trip (DeepSeek thinking mode, T13)', () => {
  it('sends the thinking of earlier turns back as reasoning_content', async () => {
    const { mock, client } = await startChatProxy({
      file: { provider: 'deepseek' },
    });
    mock.enqueue({
      output: [
        { type: 'reasoning', summary: ['The file must be read first.'] },
        { type: 'tool_call', name: 'Read', arguments: '{"file_path":"/a.ts"}', callId: 'call_a' },
      ],
    });
    const first = await client()
      .messages.stream({
        ...params,
        model: 'claude-opus-4-8',
        tools: [{ name: 'Read', input_schema: { type: 'object' } }],
      })
      .finalMessage();
    expect(first.content[0]).toMatchObject({
      type: 'thinking',
      thinking: 'The file must be read first.',
    });

    mock.enqueue({ output: [{ type: 'text', text: 'Read it.' }] });
    await client().messages.create({
      ...params,
      model: 'claude-opus-4-8',
      tools: [{ name: 'Read', input_schema: { type: 'object' } }],
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'call_a', content: 'export {}' }],
        },
      ],
    });
    const body = mock.requests[1]?.body as {
      model: string;
      max_tokens: number;
      messages: Record<string, unknown>[];
    };
    expect(body.model).toBe('deepseek-v4-pro');
    expect(body.max_tokens).toBe(4096);
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: null,
      reasoning_content: 'The file must be read first.',
      tool_calls: [
        {
          id: 'call_a',
          type: 'function',
          function: { name: 'Read', arguments: '{"file_path":"/a.ts"}' },
        },
      ],
    });
  });
});
