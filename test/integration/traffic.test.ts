/**
 * What the inspector will show: every exchange through the proxy recorded on the traffic bus as
 * plain, redacted events — the request, what went upstream (with what the translation changed),
 * the raw upstream events, the Anthropic events as sent, tool calls, usage and the ending.
 */
import { describe, expect, it } from 'vitest';
import { lifecycleViolations } from '../../app/translate/lifecycle.ts';
import type { TrafficEvent } from '../../app/traffic/traffic-event.ts';
import { postForSse } from '../support/anthropic-sse.ts';
import {
  postWithKey,
  TEST_PROXY_KEY,
  TEST_UPSTREAM_KEY,
  useTestProxies,
} from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();

function eventsOf(all: readonly TrafficEvent[], exchangeId: string): TrafficEvent[] {
  return all.filter((event) => event.exchangeId === exchangeId);
}

describe('traffic recording', () => {
  it('records a streamed tool-call exchange from request to ending', async () => {
    const { proxy, mock } = await startTestProxy();
    mock.enqueue({
      output: [
        { type: 'text', text: 'Running it.' },
        {
          type: 'tool_call',
          name: 'Bash',
          arguments: '{"command":"npm test"}',
          callId: 'call_bash',
        },
      ],
      usage: { input: 300, cached: 100, output: 20 },
    });
    const clientBody = {
      model: 'claude-opus-4-8',
      max_tokens: 500_000,
      stream: true,
      tools: [{ name: 'Bash', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: 'test it' }],
    };
    const { headers, frames } = await postForSse(`${proxy.url}/v1/messages?beta=true`, clientBody);
    const exchangeId = headers.get('request-id') ?? '';
    const events = eventsOf(proxy.traffic?.recent() ?? [], exchangeId);

    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
    expect(events[0]).toMatchObject({
      type: 'exchange.started',
      route: '/v1/messages',
      clientModel: 'claude-opus-4-8',
      upstreamModel: 'gpt-5.1',
      routingRule: 'main',
      stream: true,
    });
    expect(events[1]).toMatchObject({
      type: 'upstream.requested',
      api: 'responses',
      body: { model: 'gpt-5.1', max_output_tokens: 128000 },
    });
    // Both bodies as they went over the wire: the client's as sent, the upstream's as the mock
    // received it, with what the SDK adds (stream: true).
    expect(events[0]?.type === 'exchange.started' && events[0].request).toEqual(clientBody);
    expect(events[1]?.type === 'upstream.requested' && events[1].body).toEqual(
      mock.requests[0]?.body,
    );
    expect(mock.requests[0]?.body).toMatchObject({ stream: true });
    expect(events[1]?.type === 'upstream.requested' && events[1].notes).toContainEqual(
      expect.stringContaining('max_tokens 500000 -> max_output_tokens 128000'),
    );

    const upstreamEvents = events.filter((event) => event.type === 'upstream.event-received');
    expect(upstreamEvents.length).toBeGreaterThan(10);
    const sent = events.flatMap((event) =>
      event.type === 'client.event-sent'
        ? [{ event: event.event, data: JSON.parse(event.json) as unknown }]
        : [],
    );
    expect(lifecycleViolations(sent)).toEqual([]);
    expect(sent.length).toBe(frames.filter((frame) => frame.event !== 'ping').length + 1); // the recorded stream includes the first ping

    expect(events.filter((event) => event.type.startsWith('tool-call.'))).toMatchObject([
      { type: 'tool-call.started', toolUseId: 'call_bash', name: 'Bash' },
      {
        type: 'tool-call.completed',
        toolUseId: 'call_bash',
        name: 'Bash',
        input: { command: 'npm test' },
      },
    ]);
    expect(events.find((event) => event.type === 'usage.reported')).toMatchObject({
      inputTokens: 200,
      cacheReadInputTokens: 100,
      outputTokens: 20,
      estimated: false,
      // gpt-5.1 at $1.25 / $0.125 cached / $10 per million tokens:
      // 200 x 1.25 + 100 x 0.125 + 20 x 10 = 462.5 micro-dollars.
      costUsd: 0.0004625,
    });
    expect(events.at(-1)).toMatchObject({
      type: 'exchange.finished',
      status: 200,
      stopReason: 'tool_use',
      ttfbMs: expect.any(Number),
    });

    // Plain data: survives JSON and structured clone unchanged.
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
    expect(structuredClone(events)).toEqual(events);
  });

  it('records a non-streaming exchange and an upstream failure', async () => {
    const { proxy, mock } = await startTestProxy();
    mock.enqueue(
      { output: [{ type: 'text', text: 'fine' }] },
      {
        fault: {
          kind: 'http-error',
          status: 429,
          body: {
            error: {
              message: 'slow down',
              type: 'requests',
              code: 'rate_limit_exceeded',
              param: null,
            },
          },
        },
      },
    );
    const body = {
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    };
    const post = () => postWithKey(`${proxy.url}/v1/messages`, body);
    const ok = await post();
    const limited = await post();
    const okEvents = eventsOf(proxy.traffic?.recent() ?? [], ok.headers.get('request-id') ?? '');
    expect(okEvents.map((event) => event.type)).toEqual([
      'exchange.started',
      'upstream.requested',
      'upstream.event-received',
      'client.event-sent',
      'usage.reported',
      'exchange.finished',
    ]);
    expect(okEvents[0]).toMatchObject({
      upstreamModel: 'gpt-5-mini',
      routingRule: 'small',
      stream: false,
    });
    const failed = eventsOf(proxy.traffic?.recent() ?? [], limited.headers.get('request-id') ?? '');
    expect(failed.at(-1)).toMatchObject({
      type: 'exchange.failed',
      status: 429,
      errorType: 'rate_limit_error',
      upstreamStatus: 429,
    });
  });

  it('records each attempt sent upstream, a retry included, and what a live listener saw', async () => {
    const { proxy, mock } = await startTestProxy({ file: { upstreamMaxRetries: 1 } });
    const live: TrafficEvent[] = [];
    proxy.traffic?.subscribe((event) => live.push(event));
    mock.enqueue(
      {
        fault: {
          kind: 'http-error',
          status: 503,
          body: { error: { message: 'busy', type: 'server_error', param: null, code: null } },
          headers: { 'retry-after-ms': '10' },
        },
      },
      { output: [{ type: 'text', text: 'second time' }] },
    );
    const response = await postWithKey(`${proxy.url}/v1/messages`, {
      model: 'claude-opus-4-8',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(response.status).toBe(200);
    const id = response.headers.get('request-id') ?? '';
    const sentBodies = eventsOf(proxy.traffic?.recent() ?? [], id).flatMap((event) =>
      event.type === 'upstream.requested' ? [event.body] : [],
    );
    expect(mock.requests).toHaveLength(2);
    expect(sentBodies).toEqual(mock.requests.map((request) => request.body));
    // A listener gets the same events the store gives back later.
    expect(eventsOf(live, id)).toEqual(eventsOf(proxy.traffic?.recent() ?? [], id));
  });

  it('records an invalid request as a failed exchange', async () => {
    const { proxy } = await startTestProxy();
    const response = await postWithKey(`${proxy.url}/v1/messages`, {
      model: 'claude-opus-4-8',
      messages: [],
    });
    const events = eventsOf(
      proxy.traffic?.recent() ?? [],
      response.headers.get('request-id') ?? '',
    );
    expect(events.map((event) => event.type)).toEqual(['exchange.started', 'exchange.failed']);
    expect(events[1]).toMatchObject({
      status: 400,
      errorType: 'invalid_request_error',
      message: expect.stringContaining('max_tokens'),
    });
  });

  it('never records a key, even one the model repeats back', async () => {
    const { proxy, mock } = await startTestProxy();
    mock.enqueue({
      output: [{ type: 'text', text: `Your keys are ${TEST_PROXY_KEY} and ${TEST_UPSTREAM_KEY}.` }],
      deltaSize: 1000,
    });
    await postForSse(`${proxy.url}/v1/messages`, {
      model: 'claude-opus-4-8',
      max_tokens: 100,
      stream: true,
      messages: [{ role: 'user', content: `remember ${TEST_PROXY_KEY} and ${TEST_UPSTREAM_KEY}` }],
    });
    const recorded = JSON.stringify(proxy.traffic?.recent());
    expect(recorded.length).toBeGreaterThan(1000);
    expect(recorded).not.toContain(TEST_PROXY_KEY);
    expect(recorded).not.toContain(TEST_UPSTREAM_KEY);
    expect(recorded).toContain('[redacted]');
  });

  it("never records or answers with a gateway's credential from upstreamHeaders, echoed by the upstream", async () => {
    const gatewayKey = 'gw-0123456789abcdef';
    const { proxy, mock } = await startTestProxy({
      file: { upstreamHeaders: { 'cf-aig-authorization': `Bearer ${gatewayKey}` } },
    });
    mock.enqueue({
      fault: {
        kind: 'http-error',
        status: 401,
        body: {
          error: { message: `Invalid gateway token ${gatewayKey}`, type: 'auth', code: null },
        },
      },
    });
    const response = await postWithKey(`${proxy.url}/v1/messages`, {
      model: 'claude-opus-4-8',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(mock.requests[0]?.headers['cf-aig-authorization']).toBe(`Bearer ${gatewayKey}`);
    const answered = await response.text();
    expect(answered).toContain('Invalid gateway token [redacted]');
    const recorded = JSON.stringify(proxy.traffic?.recent());
    expect(recorded).toContain('exchange.failed');
    expect(recorded).not.toContain(gatewayKey);
  });

  it('redacts a key a Chat server echoes in a 200 that carries an error', async () => {
    const { proxy, mock } = await startTestProxy({ file: { upstreamApi: 'chat' } });
    mock.enqueue({
      fault: {
        kind: 'http-error',
        status: 200,
        body: { error: { message: `Key ${TEST_UPSTREAM_KEY} is not allowed`, code: null } },
      },
    });
    const response = await postWithKey(`${proxy.url}/v1/messages`, {
      model: 'claude-opus-4-8',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(response.status).toBe(500);
    const answered = await response.text();
    expect(answered).toContain('Upstream error: Key [redacted] is not allowed');
    expect(JSON.stringify(proxy.traffic?.recent())).not.toContain(TEST_UPSTREAM_KEY);
  });

  it('prices usage from settings for a model the table lacks, and not at all when unknown', async () => {
    const { proxy, mock, logLines } = await startTestProxy({
      file: {
        routes: [{ match: 'claude-haiku-*', model: 'llama-local' }],
        models: { 'llama-local': { price: { inputPerMTok: 0.5, outputPerMTok: 1.5 } } },
      },
    });
    mock.enqueue(
      { output: [{ type: 'text', text: 'a' }], usage: { input: 1000, output: 100 } },
      { output: [{ type: 'text', text: 'b' }], usage: { input: 1000, output: 100 } },
    );
    const post = async (model: string): Promise<string> => {
      const response = await postWithKey(`${proxy.url}/v1/messages`, {
        model,
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      });
      return response.headers.get('request-id') ?? '';
    };
    const usageOf = (id: string): TrafficEvent | undefined =>
      eventsOf(proxy.traffic?.recent() ?? [], id).find((event) => event.type === 'usage.reported');
    // 1000 x 0.5 + 100 x 1.5 = 650 micro-dollars.
    expect(usageOf(await post('claude-haiku-4-5'))).toMatchObject({ costUsd: 0.00065 });
    expect(usageOf(await post('some-unpriced-model'))).toMatchObject({ costUsd: null });
    // The request log line says what it cost too, when the price is known.
    await expect
      .poll(() => logLines.join('\n'))
      .toContain('-> llama-local end_turn (1000 in, 100 out, $0.00065)');
    expect(logLines.join('\n')).toMatch(/-> some-unpriced-model end_turn \(1000 in, 100 out\)/);
  });
});
