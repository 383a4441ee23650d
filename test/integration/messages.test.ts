/**
 * The whole pipeline over real HTTP: the official Anthropic SDK -> Parley -> the mock OpenAI
 * upstream, once through the Responses API and once through Chat Completions, with the same
 * assertions on what the client sees. What the upstream receives is checked here for the
 * Responses API and in messages-chat.test.ts for Chat Completions.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { describe, expect, it } from 'vitest';
import { lifecycleViolations } from '../../app/translate/lifecycle.ts';
import { decodeReasoningSignature } from '../../app/translate/reasoning-signature.ts';
import { postForSse } from '../support/anthropic-sse.ts';
import type { ScriptedTurn } from '../support/mock-openai/script.ts';
import {
  TEST_PROXY_KEY,
  useTestProxies,
  type TestProxy,
  type TestProxyOptions,
} from '../support/test-proxy.ts';

const startProxyOf = useTestProxies();

const ask = (
  content: MessageCreateParamsNonStreaming['messages'][number]['content'] = 'Hello',
): MessageCreateParamsNonStreaming => ({
  model: 'claude-opus-4-8',
  max_tokens: 64000,
  messages: [{ role: 'user', content }],
});

/**
 * Sampling fields the SDK's types no longer list for current models, though clients such as
 * Claude Code's haiku sub-agent still send them (CLAUDE-CODE.md §3).
 */
function sampling(fields: { temperature?: number; top_p?: number }): object {
  return fields;
}

/** Asks the same scripted turn once without and once with streaming. */
async function bothWays(
  proxy: TestProxy,
  turn: ScriptedTurn,
  params: MessageCreateParamsNonStreaming,
) {
  proxy.mock.enqueue(turn, turn);
  const client = proxy.client();
  const once = await client.messages.create(params);
  const stream = client.messages.stream(params);
  const streamed = await stream.finalMessage();
  return { once, streamed };
}

/**
 * The message minus what differs between two calls by design (the id) and what the SDK's stream
 * helper adds on its side (`parsed_output`, an unset `stop_details`).
 */
function comparable(message: Anthropic.Message): unknown {
  const { id, parsed_output, stop_details, ...rest } = message as Anthropic.Message & {
    parsed_output?: unknown;
  };
  return rest;
}

/** The name of the first tool declared upstream, wherever the API keeps it. */
function declaredToolName(body: unknown): string {
  const [tool] = (body as { tools: { name?: string; function?: { name: string } }[] }).tools;
  return tool?.name ?? tool?.function?.name ?? '';
}

describe.each(['responses', 'chat'] as const)('through the %s API', (api) => {
  const startTestProxy = (options: TestProxyOptions = {}) =>
    startProxyOf({ ...options, file: { upstreamApi: api, ...options.file } });

  describe('text', () => {
    it('answers the same message streaming and not, with the client model and mapped usage', async () => {
      const proxy = await startTestProxy();
      const turn: ScriptedTurn = {
        output: [{ type: 'text', text: 'Hello — how can I help? 😀' }],
        usage: { input: 1000, cached: 600, output: 9 },
      };
      const { once, streamed } = await bothWays(proxy, turn, ask());

      expect(once).toMatchObject({
        type: 'message',
        role: 'assistant',
        model: 'claude-opus-4-8',
        content: [{ type: 'text', text: 'Hello — how can I help? 😀' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: 400,
          cache_read_input_tokens: 600,
          cache_creation_input_tokens: 0,
          output_tokens: 9,
        },
      });
      expect(once.id).toMatch(/^msg_/);
      expect(comparable(streamed)).toEqual(comparable(once));
    });

    it.runIf(api === 'responses')(
      'sends OpenAI a Responses request it accepts: routed model, store false, clamped max tokens',
      async () => {
        const proxy = await startTestProxy();
        proxy.mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
        await proxy.client().messages.create({
          ...ask(),
          system: [
            {
              type: 'text',
              text: 'x-anthropic-billing-header: cc_version=2.1.197.abc; cc_entrypoint=sdk-cli;',
            },
            {
              type: 'text',
              text: 'You are a careful engineer.',
              cache_control: { type: 'ephemeral' },
            },
          ],
          metadata: {
            user_id:
              '{"device_id":"0000","account_uuid":"","session_id":"f0e1d2c3-b4a5-4000-8000-000000000000"}',
          },
          ...sampling({ temperature: 1 }),
        });
        const sent = proxy.mock.requests[0]?.body as Record<string, unknown>;
        expect(proxy.mock.requests[0]?.path).toBe('/v1/responses');
        expect(sent).toMatchObject({
          model: 'gpt-5.1',
          store: false,
          stream: false,
          max_output_tokens: 64000,
          instructions: 'You are a careful engineer.',
          input: [
            { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] },
          ],
          include: ['reasoning.encrypted_content'],
          reasoning: { summary: 'auto' },
        });
        expect(sent).not.toHaveProperty('temperature'); // gpt-5.1 rejects it (T9)
        expect(sent['safety_identifier']).toMatch(/^[0-9a-f]{64}$/);
        expect(JSON.stringify(sent)).not.toContain('session_id');
      },
    );

    it('routes haiku names to the small model and clamps to its limits', async () => {
      const proxy = await startTestProxy({ file: { smallModel: 'gpt-4o-mini' } });
      proxy.mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
      await proxy.client().messages.create({
        ...ask(),
        model: 'claude-haiku-4-5-20251001',
        max_tokens: 32000,
        ...sampling({ temperature: 0.5 }),
      });
      const maxTokensField = api === 'responses' ? 'max_output_tokens' : 'max_completion_tokens';
      expect(proxy.mock.requests[0]?.body).toMatchObject({
        model: 'gpt-4o-mini',
        [maxTokensField]: 16384,
        temperature: 0.5,
      });
    });
  });

  describe('tool calls', () => {
    const args = {
      read: {
        file_path: '/home/dev/project/ünïcödé "quoted" \\ path.ts',
        note: 'say "hi"\n— 日本語 🚀',
      },
      bash: { command: 'grep -r "TODO" . | wc -l', timeout: 120000 },
    };
    const turn: ScriptedTurn = {
      output: [
        { type: 'text', text: 'Let me look.' },
        {
          type: 'tool_call',
          name: 'Read',
          arguments: JSON.stringify(args.read),
          callId: 'call_read_1',
        },
        {
          type: 'tool_call',
          name: 'Bash',
          arguments: JSON.stringify(args.bash),
          callId: 'call_bash_2',
        },
      ],
      deltaSize: 1,
    };

    it('streams two parallel calls from 1-byte argument fragments into exact inputs', async () => {
      const proxy = await startTestProxy();
      const { once, streamed } = await bothWays(proxy, turn, ask('Look around'));
      expect(streamed.stop_reason).toBe('tool_use');
      expect(streamed.content).toEqual([
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', id: 'call_read_1', name: 'Read', input: args.read },
        { type: 'tool_use', id: 'call_bash_2', name: 'Bash', input: args.bash },
      ]);
      expect(comparable(streamed)).toEqual(comparable(once));
    });

    it('keeps the Anthropic lifecycle on the wire, input_json_delta starting with ""', async () => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue(turn);
      const { status, frames } = await postForSse(`${proxy.proxy.url}/v1/messages?beta=true`, {
        ...ask('Look'),
        stream: true,
      });
      expect(status).toBe(200);
      expect(lifecycleViolations(frames)).toEqual([]);
      expect(frames[0]?.event).toBe('message_start');
      expect(frames[1]?.event).toBe('ping');
      const toolStart = frames.findIndex(
        (frame) =>
          frame.event === 'content_block_start' && JSON.stringify(frame.data).includes('tool_use'),
      );
      expect(frames[toolStart + 1]?.data).toMatchObject({
        delta: { type: 'input_json_delta', partial_json: '' },
      });
    });

    it.runIf(api === 'responses')(
      'sends a tool_result turn upstream exactly, in order',
      async () => {
        const proxy = await startTestProxy();
        proxy.mock.enqueue({ output: [{ type: 'text', text: 'Done.' }] });
        await proxy.client().messages.create({
          model: 'claude-opus-4-8',
          max_tokens: 1024,
          tools: [
            {
              name: 'Read',
              description: 'Read a file',
              input_schema: {
                $schema: 'https://json-schema.org/draft/2020-12/schema',
                type: 'object',
                properties: { file_path: { type: 'string' } },
                required: ['file_path'],
                additionalProperties: false,
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
                { type: 'tool_use', id: 'call_read_1', name: 'Read', input: args.read },
                { type: 'tool_use', id: 'call_bash_2', name: 'Bash', input: {} },
              ],
            },
            {
              role: 'user',
              content: [
                {
                  type: 'tool_result',
                  tool_use_id: 'call_read_1',
                  content: [
                    { type: 'text', text: 'line 1' },
                    { type: 'text', text: 'line 2' },
                  ],
                },
                {
                  type: 'tool_result',
                  tool_use_id: 'call_bash_2',
                  content: 'command not found',
                  is_error: true,
                },
                { type: 'text', text: 'What now?' },
              ],
            },
          ],
        });
        const sent = proxy.mock.requests[0]?.body as Record<string, unknown>;
        expect(sent['input']).toEqual([
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Look around' }] },
          { type: 'message', role: 'assistant', content: 'Let me look.' },
          {
            type: 'function_call',
            call_id: 'call_read_1',
            name: 'Read',
            arguments: JSON.stringify(args.read),
          },
          { type: 'function_call', call_id: 'call_bash_2', name: 'Bash', arguments: '{}' },
          { type: 'function_call_output', call_id: 'call_read_1', output: 'line 1\nline 2' },
          {
            type: 'function_call_output',
            call_id: 'call_bash_2',
            output: 'Error: command not found',
          },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What now?' }] },
        ]);
        expect(sent['tools']).toEqual([
          {
            type: 'function',
            name: 'Read',
            description: 'Read a file',
            parameters: {
              type: 'object',
              properties: { file_path: { type: 'string' } },
              required: ['file_path'],
              additionalProperties: false,
            },
            strict: false,
          },
          {
            type: 'function',
            name: 'Bash',
            parameters: { type: 'object', properties: { command: { type: 'string' } } },
            strict: false,
          },
        ]);
      },
    );

    it('shortens tool names over 64 characters upstream and restores them for the client', async () => {
      const proxy = await startTestProxy();
      const longName = `mcp__a_very_long_server_name_for_testing__${'x'.repeat(40)}`;
      const scripted: string[] = [];
      proxy.mock.enqueue({ output: [{ type: 'tool_call', name: 'placeholder', arguments: '{}' }] });
      const params = {
        ...ask(),
        tools: [{ name: longName, input_schema: { type: 'object' as const } }],
      };
      // The upstream answers with the name it was given, whatever that is: read it from the request.
      const first = await proxy
        .client()
        .messages.create(params)
        .catch((error: unknown) => error);
      expect(first).toBeDefined();
      const upstreamName = declaredToolName(proxy.mock.requests[0]?.body);
      scripted.push(upstreamName);
      expect(upstreamName.length).toBeLessThanOrEqual(64);
      expect(upstreamName).not.toBe(longName);
      proxy.mock.enqueue({ output: [{ type: 'tool_call', name: upstreamName, arguments: '{}' }] });
      const message = await proxy.client().messages.create(params);
      expect(message.content).toEqual([
        { type: 'tool_use', id: expect.any(String), name: longName, input: {} },
      ]);
      // Deterministic: the same long name maps to the same upstream name every time.
      expect(declaredToolName(proxy.mock.requests[1]?.body)).toBe(scripted[0]);
    });

    it('answers invalid tool arguments with an error, never an invented input', async () => {
      const proxy = await startTestProxy();
      const broken: ScriptedTurn = {
        output: [{ type: 'tool_call', name: 'Bash', arguments: '{"command": "ls' }],
      };
      proxy.mock.enqueue(broken, broken);
      const once = await proxy
        .client()
        .messages.create(ask())
        .catch((error: unknown) => error);
      expect(once).toBeInstanceOf(Anthropic.InternalServerError);
      expect((once as Error).message).toContain('invalid JSON arguments for tool Bash');
      const { frames } = await postForSse(`${proxy.proxy.url}/v1/messages`, {
        ...ask(),
        stream: true,
      });
      expect(lifecycleViolations(frames)).toEqual([]);
      expect(frames.at(-1)).toMatchObject({
        event: 'error',
        data: { error: { type: 'api_error' } },
      });
    });
  });

  describe('reasoning', () => {
    it.runIf(api === 'responses')(
      'carries the reasoning item through the thinking signature into the next turn',
      async () => {
        const proxy = await startTestProxy();
        proxy.mock.enqueue({
          output: [
            {
              type: 'reasoning',
              summary: ['Need the file first.', 'Then decide.'],
              encryptedContent: 'gAAAA-encrypted-state',
            },
            {
              type: 'tool_call',
              name: 'Read',
              arguments: '{"file_path":"/a.ts"}',
              callId: 'call_a',
            },
          ],
        });
        const client = proxy.client();
        const first = await client.messages
          .stream({ ...ask('Fix a.ts'), thinking: { type: 'enabled', budget_tokens: 20000 } })
          .finalMessage();
        const thinking = first.content[0];
        expect(thinking).toMatchObject({
          type: 'thinking',
          thinking: 'Need the file first.\n\nThen decide.',
        });
        expect(
          decodeReasoningSignature((thinking as Anthropic.ThinkingBlock).signature),
        ).toMatchObject({ encryptedContent: 'gAAAA-encrypted-state' });

        proxy.mock.enqueue({ output: [{ type: 'text', text: 'Fixed.' }] });
        await client.messages.create({
          ...ask('Fix a.ts'),
          thinking: { type: 'enabled', budget_tokens: 20000 },
          messages: [
            { role: 'user', content: 'Fix a.ts' },
            { role: 'assistant', content: first.content },
            {
              role: 'user',
              content: [
                { type: 'tool_result', tool_use_id: 'call_a', content: 'export const a = 1;' },
              ],
            },
          ],
        });
        const second = proxy.mock.requests[1]?.body as { input: unknown[]; reasoning: unknown };
        expect(second.reasoning).toEqual({ effort: 'high', summary: 'auto' });
        expect(second.input.slice(1)).toEqual([
          {
            type: 'reasoning',
            id: expect.stringMatching(/^rs_/),
            summary: [
              { type: 'summary_text', text: 'Need the file first.' },
              { type: 'summary_text', text: 'Then decide.' },
            ],
            encrypted_content: 'gAAAA-encrypted-state',
          },
          {
            type: 'function_call',
            call_id: 'call_a',
            name: 'Read',
            arguments: '{"file_path":"/a.ts"}',
          },
          { type: 'function_call_output', call_id: 'call_a', output: 'export const a = 1;' },
        ]);
      },
    );

    it('drops thinking blocks signed by another backend', async () => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
      await proxy.client().messages.create({
        ...ask(),
        messages: [
          { role: 'user', content: 'hi' },
          {
            role: 'assistant',
            content: [
              {
                type: 'thinking',
                thinking: 'real claude thought',
                signature: 'EqQBCkYIBxgCKkDrealAnthropicSignature',
              },
              { type: 'redacted_thinking', data: 'abc' },
              { type: 'text', text: 'Hello' },
            ],
          },
          { role: 'user', content: 'again' },
        ],
      });
      const sent = JSON.stringify(proxy.mock.requests[0]?.body);
      expect(sent).not.toContain('real claude thought');
      expect(sent).not.toContain('EqQBCkYIBxgCKkD');
      expect(sent).not.toContain('"reasoning","id"');
    });
  });

  describe('images and system messages', () => {
    it.runIf(api === 'responses')('sends base64 and URL images as input_image', async () => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue({ output: [{ type: 'text', text: 'A cat.' }] });
      await proxy.client().messages.create(
        ask([
          { type: 'text', text: 'What is this?' },
          {
            type: 'image',
            source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
          },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ]),
      );
      expect((proxy.mock.requests[0]?.body as { input: unknown[] }).input).toEqual([
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is this?' },
            {
              type: 'input_image',
              image_url: 'data:image/png;base64,iVBORw0KGgo=',
              detail: 'auto',
            },
            { type: 'input_image', image_url: 'https://example.com/cat.jpg', detail: 'auto' },
          ],
        },
      ]);
    });

    it.runIf(api === 'responses')(
      'keeps a role:"system" message in place as a developer item',
      async () => {
        const proxy = await startTestProxy();
        proxy.mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
        const response = await fetch(`${proxy.proxy.url}/v1/messages?beta=true`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${TEST_PROXY_KEY}`,
          },
          body: JSON.stringify({
            model: 'claude-opus-4-8',
            max_tokens: 100,
            messages: [
              { role: 'user', content: 'first' },
              { role: 'system', content: 'Agent types: general-purpose.' },
              { role: 'user', content: 'second' },
            ],
            context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
            output_config: { effort: 'high' },
            some_future_beta_field: { anything: true },
          }),
        });
        expect(response.status).toBe(200);
        expect((proxy.mock.requests[0]?.body as { input: unknown[] }).input).toEqual([
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'first' }] },
          { type: 'message', role: 'developer', content: 'Agent types: general-purpose.' },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'second' }] },
        ]);
      },
    );
  });

  describe('endings', () => {
    it('emulates stop sequences across delta boundaries, streaming and not', async () => {
      const proxy = await startTestProxy();
      const turn: ScriptedTurn = {
        output: [{ type: 'text', text: 'Step one.\n###END### never shown' }],
        deltaSize: 2,
      };
      const { once, streamed } = await bothWays(proxy, turn, {
        ...ask(),
        stop_sequences: ['###END###', 'unused'],
      });
      for (const message of [once, streamed]) {
        expect(message.content).toEqual([{ type: 'text', text: 'Step one.\n' }]);
        expect(message.stop_reason).toBe('stop_sequence');
        expect(message.stop_sequence).toBe('###END###');
      }
      expect(proxy.mock.requests[0]?.body).not.toHaveProperty('stop');
    });

    it('reports max_tokens when the upstream ran out of output tokens', async () => {
      const proxy = await startTestProxy();
      const { once, streamed } = await bothWays(
        proxy,
        { output: [{ type: 'text', text: 'Partial ans' }], incomplete: 'max_output_tokens' },
        ask(),
      );
      expect(once.stop_reason).toBe('max_tokens');
      expect(comparable(streamed)).toEqual(comparable(once));
    });

    it('serves /v1/messages/stream as a stream whatever the body says', async () => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue({ output: [{ type: 'text', text: 'streamed' }] });
      const { status, headers, frames } = await postForSse(
        `${proxy.proxy.url}/v1/messages/stream`,
        ask(),
      );
      expect(status).toBe(200);
      expect(headers.get('content-type')).toContain('text/event-stream');
      expect(headers.get('request-id')).toMatch(/^req_/);
      expect(lifecycleViolations(frames)).toEqual([]);
      expect(frames.map((frame) => frame.event)).toContain('message_stop');
    });

    it('sends pings while the upstream is silent', async () => {
      const proxy = await startTestProxy({ file: { pingIntervalMs: 20 } });
      proxy.mock.enqueue({ output: [{ type: 'text', text: 'slow' }], deltaSize: 4, delayMs: 80 });
      const { frames } = await postForSse(`${proxy.proxy.url}/v1/messages`, {
        ...ask(),
        stream: true,
      });
      expect(lifecycleViolations(frames)).toEqual([]);
      expect(frames.filter((frame) => frame.event === 'ping').length).toBeGreaterThan(3);
    });

    it('sends its 200 at once while the upstream is silent before its first event', async () => {
      // No ping for a minute: only the headers can arrive before the client gives up.
      const proxy = await startTestProxy({ file: { pingIntervalMs: 60_000 } });
      proxy.mock.enqueue({ fault: { kind: 'hang', afterEvents: 0 } });
      const leave = new AbortController();
      const response = await fetch(`${proxy.proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_PROXY_KEY },
        body: JSON.stringify({ ...ask(), stream: true }),
        signal: AbortSignal.any([leave.signal, AbortSignal.timeout(5_000)]),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      leave.abort();
    });
  });

  describe('request validation', () => {
    it('names the field path of a schema violation', async () => {
      const proxy = await startTestProxy();
      const failure = await proxy
        .client()
        .messages.create({
          model: 'claude-opus-4-8',
          max_tokens: 10,
          messages: [{ role: 'user', content: [{ type: 'tool_result' } as never] }],
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Anthropic.BadRequestError);
      expect((failure as Error).message).toContain('messages.0.content.0.tool_use_id');
      expect(proxy.mock.requests).toHaveLength(0);
    });
  });
});
