/** Routes from the settings file, end to end: the upstream model, its overrides, and the record. */
import { afterEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../support/mock-openai/mock-upstream.ts';
import { TEST_PROXY_KEY, TEST_UPSTREAM_KEY, useTestProxies } from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();
const otherMocks: MockUpstream[] = [];
afterEach(async () => {
  await Promise.all(otherMocks.splice(0).map((mock) => mock.close()));
});
async function otherUpstream(): Promise<MockUpstream> {
  const mock = await startMockUpstream();
  otherMocks.push(mock);
  return mock;
}

describe('routing rules', () => {
  it('sends a matching Claude name where its rule says, with the rule’s limits, and records the rule', async () => {
    const { mock, client, proxy } = await startTestProxy({
      file: {
        routes: [
          { match: 'claude-opus-*', model: 'gpt-4.1', maxOutputTokens: 2000, sampling: 'drop' },
        ],
      },
    });
    mock.enqueue({ output: [{ type: 'text', text: 'routed' }] });
    await client().messages.create({
      model: 'claude-opus-4-8',
      max_tokens: 64000,
      messages: [{ role: 'user', content: 'hi' }],
      ...{ temperature: 0.3 },
    });
    expect(mock.requests[0]?.body).toMatchObject({ model: 'gpt-4.1', max_output_tokens: 2000 });
    expect(mock.requests[0]?.body).not.toHaveProperty('temperature');
    const started = proxy.traffic?.recent().find((event) => event.type === 'exchange.started');
    expect(started).toMatchObject({
      clientModel: 'claude-opus-4-8',
      upstreamModel: 'gpt-4.1',
      routingRule: 'rule 1: claude-opus-*',
    });
  });

  it('sends a route to its own provider, with that provider’s API, key and record', async () => {
    const local = await otherUpstream();
    const work = await otherUpstream();
    const { mock, client, proxy } = await startTestProxy({
      env: { OPENAI_API_KEY: TEST_UPSTREAM_KEY, WORK_KEY: 'work-key-0123456789' },
      file: {
        routes: [
          { match: 'claude-haiku-*', model: 'qwen3-coder', provider: 'local' },
          { match: 'claude-sonnet-*', model: 'gpt-4.1', provider: 'work' },
        ],
        providers: {
          local: { preset: 'vllm', baseUrl: local.url },
          work: { preset: 'openai', baseUrl: work.url, apiKeyEnv: 'WORK_KEY' },
        },
      },
    });
    mock.enqueue({ output: [{ type: 'text', text: 'from the main upstream' }] });
    local.enqueue({ output: [{ type: 'text', text: 'from vLLM' }] });
    work.enqueue({ output: [{ type: 'text', text: 'from work' }] });
    const ask = async (model: string, content = 'hi'): Promise<string> => {
      const message = await client().messages.create({
        model,
        max_tokens: 100,
        messages: [{ role: 'user', content }],
      });
      return message.content[0]?.type === 'text' ? message.content[0].text : '';
    };

    expect(await ask('claude-haiku-4-5')).toBe('from vLLM');
    // (A user pasting that provider's key into the chat: the record must not keep it.)
    expect(await ask('claude-sonnet-4-5', 'my key is work-key-0123456789')).toBe('from work');
    expect(await ask('claude-opus-4-8')).toBe('from the main upstream');

    // Each upstream got the API of its preset, the routed model, and its own key.
    expect(local.requests[0]).toMatchObject({
      path: '/v1/chat/completions',
      body: { model: 'qwen3-coder', max_tokens: expect.any(Number) },
    });
    expect(work.requests[0]).toMatchObject({ path: '/v1/responses', body: { model: 'gpt-4.1' } });
    expect(work.requests[0]?.headers.authorization).toBe('Bearer work-key-0123456789');
    expect(mock.requests[0]?.headers.authorization).toBe(`Bearer ${TEST_UPSTREAM_KEY}`);

    // The record says where each went; the route's key is redacted like the others.
    const recorded = proxy.traffic?.recent() ?? [];
    const urls = recorded.flatMap((event) =>
      event.type === 'upstream.requested' ? [event.url] : [],
    );
    expect(JSON.stringify(recorded)).not.toContain('work-key-0123456789');
    expect(JSON.stringify(recorded)).toContain('my key is [redacted]');
    expect(urls).toEqual([
      `${local.url}/chat/completions`,
      `${work.url}/responses`,
      `${mock.url}/responses`,
    ]);

    // count_tokens counts a request as its route's provider would receive it.
    const counted = await client().messages.countTokens({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
  });

  it('answers 401 naming the variable when a route’s provider has no key', async () => {
    const { mock, proxy } = await startTestProxy({
      file: { routes: [{ match: 'claude-haiku-*', model: 'llama-3.3-70b', provider: 'groq' }] },
    });
    const post = (model: string): Promise<Response> =>
      fetch(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_PROXY_KEY },
        body: JSON.stringify({
          model,
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
    const refused = await post('claude-haiku-4-5');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error', message: expect.stringContaining('GROQ_API_KEY') },
    });
    // /health says which provider lacks its key (and never shows a key).
    expect(await (await fetch(`${proxy.url}/health`)).json()).toMatchObject({
      routeProviders: [
        {
          name: 'groq',
          api: 'chat',
          baseUrl: 'https://api.groq.com/openai/v1',
          keyConfigured: false,
        },
      ],
    });
    // The run's own upstream still answers the other names.
    mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
    expect((await post('claude-opus-4-8')).status).toBe(200);
  });

  it('names the route provider’s own key variable when its upstream refuses the key', async () => {
    const work = await otherUpstream();
    const { client } = await startTestProxy({
      env: { OPENAI_API_KEY: TEST_UPSTREAM_KEY, WORK_KEY: 'work-key-0123456789' },
      file: {
        routes: [{ match: 'claude-sonnet-*', model: 'gpt-4.1', provider: 'work' }],
        providers: { work: { preset: 'openai', baseUrl: work.url, apiKeyEnv: 'WORK_KEY' } },
      },
    });
    work.enqueue({
      fault: {
        kind: 'http-error',
        status: 401,
        body: { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error' } },
      },
    });
    const failure = await client()
      .messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      status: 401,
      error: { error: { type: 'authentication_error' } },
    });
    expect((failure as Error).message).toContain('(WORK_KEY), not your proxy key');
  });
});
