/**
 * The mock upstream is only worth something if it is faithful on the wire: its output goes
 * through the `openai` SDK's own SSE parser and stream helpers, which must rebuild exactly the
 * final objects the script describes.
 */
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../support/mock-openai/mock-upstream.ts';
import type { ScriptedTurn } from '../support/mock-openai/script.ts';

let mock: MockUpstream;
let client: OpenAI;

beforeEach(async () => {
  mock = await startMockUpstream();
  client = new OpenAI({
    apiKey: 'test-key-mock',
    baseURL: mock.url,
    maxRetries: 0,
    timeout: 5_000,
  });
});
afterEach(async () => {
  await mock.close();
});

const agenticTurn: ScriptedTurn = {
  output: [
    {
      type: 'reasoning',
      summary: ['Plan: read the file.', 'Then run the tests.'],
      encryptedContent: 'enc-abc',
    },
    { type: 'text', text: 'I will do both at once — 🚀 naïvely.' },
    {
      type: 'tool_call',
      name: 'Read',
      arguments: '{"file_path":"/home/dev/project/a.ts"}',
      callId: 'call_read',
    },
    {
      type: 'tool_call',
      name: 'Bash',
      arguments: '{"command":"npm test","timeout":120000}',
      callId: 'call_bash',
    },
  ],
  deltaSize: 3,
  usage: { input: 900, output: 120, cached: 512, reasoning: 64 },
};

describe('mock upstream: Responses API', () => {
  it('streams events the SDK stream helper rebuilds into the scripted response', async () => {
    mock.enqueue(agenticTurn);
    const stream = client.responses.stream({ model: 'gpt-5.1', input: 'go' });
    const types: string[] = [];
    const sequence: number[] = [];
    let argumentDeltas = 0;
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.function_call_arguments.delta') argumentDeltas += 1;
    }
    const final = await stream.finalResponse();

    expect(sequence).toEqual(sequence.map((_, index) => index));
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(argumentDeltas).toBeGreaterThan(10); // arguments split across many deltas
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('I will do both at once — 🚀 naïvely.');
    expect(final.output.map((item) => item.type)).toEqual([
      'reasoning',
      'message',
      'function_call',
      'function_call',
    ]);
    const [reasoning, , read, bash] = final.output;
    expect(reasoning).toMatchObject({
      summary: [
        { type: 'summary_text', text: 'Plan: read the file.' },
        { type: 'summary_text', text: 'Then run the tests.' },
      ],
      encrypted_content: 'enc-abc',
    });
    expect(read).toMatchObject({
      call_id: 'call_read',
      name: 'Read',
      arguments: '{"file_path":"/home/dev/project/a.ts"}',
    });
    expect(bash).toMatchObject({ call_id: 'call_bash', name: 'Bash' });
    expect(JSON.parse((bash as { arguments: string }).arguments)).toEqual({
      command: 'npm test',
      timeout: 120000,
    });
    expect(final.usage).toMatchObject({
      input_tokens: 900,
      output_tokens: 120,
      input_tokens_details: { cached_tokens: 512 },
      output_tokens_details: { reasoning_tokens: 64 },
    });
  });

  it('answers non-streaming requests with the same objects', async () => {
    mock.enqueue(agenticTurn);
    const response = await client.responses.create({ model: 'gpt-5.1', input: 'go' });
    expect(response.output_text).toBe('I will do both at once — 🚀 naïvely.');
    expect(response.output).toHaveLength(4);
    expect(response.usage?.input_tokens).toBe(900);
  });

  it('ends an over-long answer as incomplete with the reason', async () => {
    mock.enqueue({ output: [{ type: 'text', text: 'cut sho' }], incomplete: 'max_output_tokens' });
    const stream = client.responses.stream({ model: 'gpt-5.1', input: 'go' });
    const terminal: string[] = [];
    for await (const event of stream) {
      if (event.type === 'response.incomplete')
        terminal.push(event.response.incomplete_details?.reason ?? '');
    }
    expect(terminal).toEqual(['max_output_tokens']);
  });

  it('records each request it received', async () => {
    mock.enqueue({ output: [{ type: 'text', text: 'hi' }] });
    await client.responses.create({ model: 'gpt-5.1', input: 'hello', store: false });
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/responses',
      body: { model: 'gpt-5.1', input: 'hello', store: false },
    });
    expect(mock.requests[0]?.headers.authorization).toBe('Bearer test-key-mock');
    expect(mock.pending()).toBe(0);
  });
});

describe('mock upstream: Chat Completions', () => {
  it('streams chunks the SDK stream helper rebuilds into the scripted completion', async () => {
    mock.enqueue(agenticTurn);
    const stream = client.chat.completions.stream({
      model: 'deepseek-chat',
      messages: [{ role: 'user', content: 'go' }],
      stream_options: { include_usage: true },
    });
    let chunks = 0;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      chunks += 1;
    }
    const final = await stream.finalChatCompletion();
    const message = final.choices[0]?.message;

    expect(chunks).toBeGreaterThan(30);
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(message?.content).toBe('I will do both at once — 🚀 naïvely.');
    expect(message?.tool_calls?.map((call) => call.id)).toEqual(['call_read', 'call_bash']);
    expect(
      message?.tool_calls?.map((call) => (call.type === 'function' ? call.function.arguments : '')),
    ).toEqual([
      '{"file_path":"/home/dev/project/a.ts"}',
      '{"command":"npm test","timeout":120000}',
    ]);
    expect(final.usage).toMatchObject({ prompt_tokens: 900, completion_tokens: 120 });
  });

  it('sends reasoning as reasoning_content and no usage unless asked', async () => {
    mock.enqueue({
      output: [
        { type: 'reasoning', summary: ['think'] },
        { type: 'text', text: 'ok' },
      ],
    });
    const stream = await client.chat.completions.create({
      model: 'deepseek-reasoner',
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
    });
    let reasoning = '';
    let usageSeen = false;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      if (chunk.usage) usageSeen = true;
    }
    expect(reasoning).toBe('think');
    expect(usageSeen).toBe(false);
  });

  it('answers non-streaming requests with a chat.completion', async () => {
    mock.enqueue({
      output: [{ type: 'text', text: 'plain answer' }],
      incomplete: 'max_output_tokens',
    });
    const completion = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: 'go' }],
    });
    expect(completion.choices[0]?.message.content).toBe('plain answer');
    expect(completion.choices[0]?.finish_reason).toBe('length');
  });
});

describe('mock upstream: faults', () => {
  it('answers an HTTP error with its status, body and headers', async () => {
    mock.enqueue({
      fault: {
        kind: 'http-error',
        status: 429,
        body: {
          error: {
            message: 'Rate limit reached',
            type: 'requests',
            param: null,
            code: 'rate_limit_exceeded',
          },
        },
        headers: { 'retry-after': '7' },
      },
    });
    const failure = await client.responses
      .create({ model: 'gpt-5.1', input: 'go' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
    const error = failure as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.headers.get('retry-after')).toBe('7');
  });

  it('resets the connection mid-stream', async () => {
    mock.enqueue({
      output: [{ type: 'text', text: 'a long answer that never finishes' }],
      fault: { kind: 'reset', afterEvents: 5 },
    });
    const stream = await client.responses.create({ model: 'gpt-5.1', input: 'go', stream: true });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const event of stream) seen.push(event.type);
    })().catch((error: unknown) => error);
    expect(seen).toHaveLength(5);
    expect(failure).toBeInstanceOf(Error);
  });

  it('hangs before the headers until the client gives up', async () => {
    mock.enqueue({ fault: { kind: 'hang' } });
    const impatient = new OpenAI({
      apiKey: 'test-key-mock',
      baseURL: mock.url,
      maxRetries: 0,
      timeout: 150,
    });
    const failure = await impatient.responses
      .create({ model: 'gpt-5.1', input: 'go' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('hangs mid-stream until the client aborts', async () => {
    mock.enqueue({
      output: [{ type: 'text', text: 'stalls here' }],
      fault: { kind: 'hang', afterEvents: 3 },
    });
    const controller = new AbortController();
    const stream = await client.responses.create(
      { model: 'gpt-5.1', input: 'go', stream: true },
      { signal: controller.signal },
    );
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const event of stream) {
        seen.push(event.type);
        if (seen.length === 3)
          setTimeout(() => {
            controller.abort();
          }, 50);
      }
    })().catch((error: unknown) => error);
    // The SDK ends the iteration quietly on abort; what matters is that nothing more arrived.
    expect(failure).toBeUndefined();
    expect(controller.signal.aborted).toBe(true);
    expect(seen).toHaveLength(3);
    expect(seen).not.toContain('response.completed');
  });

  it('refuses loudly when no turn is left', async () => {
    const failure = await client.responses
      .create({ model: 'gpt-5.1', input: 'go' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    expect((failure as Error).message).toContain('no scripted turn left');
  });
});
