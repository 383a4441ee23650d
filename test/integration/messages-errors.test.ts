/**
 * Errors as Claude Code needs them (CLAUDE-CODE.md §6): before the first byte an HTTP status and
 * Anthropic error body it can retry on; after it, a final SSE `error` event, never a silent
 * close or a fake end_turn; and a client that goes away takes the upstream call with it.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { lifecycleViolations } from '../../app/translate/lifecycle.ts';
import { postForSse } from '../support/anthropic-sse.ts';
import type { ScriptedTurn } from '../support/mock-openai/script.ts';
import {
  postWithKey,
  TEST_PROXY_KEY,
  useTestProxies,
  type TestProxyOptions,
} from '../support/test-proxy.ts';

const startProxyOf = useTestProxies();
const params = {
  model: 'claude-opus-4-8',
  max_tokens: 1000,
  messages: [{ role: 'user' as const, content: 'hi' }],
};

const openAiError = (
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
) => ({
  error: { message, type, param, code },
});

interface ErrorCase {
  readonly name: string;
  readonly fault: Extract<NonNullable<ScriptedTurn['fault']>, { kind: 'http-error' }>;
  readonly status: number;
  readonly type: string;
  readonly message: RegExp;
  readonly headers?: Readonly<Record<string, string>>;
}

const cases: ErrorCase[] = [
  {
    name: 'a bad request',
    fault: {
      kind: 'http-error',
      status: 400,
      body: openAiError(
        "Unsupported parameter: 'temperature'",
        'invalid_request_error',
        null,
        'temperature',
      ),
    },
    status: 400,
    type: 'invalid_request_error',
    message: /Upstream \(gpt-5\.1\): Unsupported parameter: 'temperature'/,
  },
  {
    name: 'a context overflow, in the words Claude Code compacts on',
    fault: {
      kind: 'http-error',
      status: 400,
      body: openAiError(
        "This model's maximum context length is 400000 tokens. However, your messages resulted in 412345 tokens.",
        'invalid_request_error',
        'context_length_exceeded',
        'input',
      ),
    },
    status: 400,
    type: 'invalid_request_error',
    message: /^prompt is too long: 412345 tokens > 400000 maximum/,
  },
  {
    name: 'a rejected upstream key',
    fault: {
      kind: 'http-error',
      status: 401,
      body: openAiError(
        'Incorrect API key provided: sk-proj-****abcd.',
        'invalid_request_error',
        'invalid_api_key',
      ),
    },
    status: 401,
    type: 'authentication_error',
    message: /upstream API key \(OPENAI_API_KEY\), not your proxy key/,
  },
  {
    name: 'a forbidden region',
    fault: {
      kind: 'http-error',
      status: 403,
      body: openAiError(
        'Country, region, or territory not supported',
        'request_forbidden',
        'unsupported_country_region_territory',
      ),
    },
    status: 403,
    type: 'permission_error',
    message: /Country, region, or territory not supported/,
  },
  {
    name: 'an unknown upstream model',
    fault: {
      kind: 'http-error',
      status: 404,
      body: openAiError(
        'The model `gpt-5.1` does not exist or you do not have access to it.',
        'invalid_request_error',
        'model_not_found',
      ),
    },
    status: 404,
    type: 'not_found_error',
    message: /does not know model "gpt-5\.1"/,
  },
  {
    name: 'a rate limit, passing retry-after',
    fault: {
      kind: 'http-error',
      status: 429,
      body: openAiError('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'),
      headers: { 'retry-after': '7' },
    },
    status: 429,
    type: 'rate_limit_error',
    message: /Rate limit reached/,
    headers: { 'retry-after': '7' },
  },
  {
    name: 'an exhausted quota, which retrying cannot fix',
    fault: {
      kind: 'http-error',
      status: 429,
      body: openAiError(
        'You exceeded your current quota.',
        'insufficient_quota',
        'insufficient_quota',
      ),
    },
    status: 429,
    type: 'rate_limit_error',
    message: /exceeded your current quota/,
    headers: { 'x-should-retry': 'false' },
  },
  {
    name: 'a server error',
    fault: {
      kind: 'http-error',
      status: 500,
      body: openAiError(
        'The server had an error while processing your request.',
        'server_error',
        null,
      ),
    },
    status: 500,
    type: 'api_error',
    message: /server had an error/,
  },
  {
    name: 'an overloaded upstream',
    fault: {
      kind: 'http-error',
      status: 503,
      body: openAiError('The engine is currently overloaded.', 'server_error', null),
    },
    status: 529,
    type: 'overloaded_error',
    message: /overloaded/,
  },
];

describe.each(['responses', 'chat'] as const)('through the %s API', (api) => {
  const startTestProxy = (options: TestProxyOptions = {}) =>
    startProxyOf({ ...options, file: { upstreamApi: api, ...options.file } });

  describe('upstream errors before the first byte become HTTP errors', () => {
    for (const errorCase of cases) {
      it(`maps ${errorCase.name} (${errorCase.fault.status} -> ${errorCase.status} ${errorCase.type}), streaming and not`, async () => {
        const proxy = await startTestProxy();
        proxy.mock.enqueue({ fault: errorCase.fault }, { fault: errorCase.fault });

        const failure = await proxy
          .client()
          .messages.create(params)
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(Anthropic.APIError);
        const apiError = failure as InstanceType<typeof Anthropic.APIError>;
        expect(apiError.status).toBe(errorCase.status);
        expect(apiError.error).toMatchObject({
          type: 'error',
          error: { type: errorCase.type, message: expect.stringMatching(errorCase.message) },
        });
        for (const [name, value] of Object.entries(errorCase.headers ?? {}))
          expect(apiError.headers?.get(name)).toBe(value);

        // Streaming: the upstream failed before answering, so the client gets the same HTTP error.
        const streamed = await postWithKey(`${proxy.proxy.url}/v1/messages`, {
          ...params,
          stream: true,
        });
        expect(streamed.status).toBe(errorCase.status);
        expect(await streamed.json()).toMatchObject({
          type: 'error',
          error: { type: errorCase.type },
        });
        expect(proxy.mock.requests).toHaveLength(2);
      });
    }

    it('answers a stream request with the HTTP error, not a 200 stream', async () => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue({
        fault: {
          kind: 'http-error',
          status: 429,
          body: openAiError('slow down', 'requests', 'rate_limit_exceeded'),
          headers: { 'retry-after': '3' },
        },
      });
      const response = await postWithKey(`${proxy.proxy.url}/v1/messages`, {
        ...params,
        stream: true,
      });
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('3');
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(await response.json()).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error' },
      });
    });

    it('never shows the credentials of the base URL in an error', async () => {
      const proxy = await startTestProxy({
        file: { baseUrl: 'http://parley:hunter2-pass@127.0.0.1:9/v1?token=abc-secret-token' },
      });
      const failure = await proxy
        .client()
        .messages.create(params)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Anthropic.InternalServerError);
      const message = (failure as Error).message;
      expect(message).toContain('Cannot reach the upstream at http://127.0.0.1:9/v1');
      expect(message).not.toContain('hunter2');
      expect(message).not.toContain('abc-secret-token');
      const recorded = JSON.stringify(proxy.proxy.traffic?.recent());
      expect(recorded).not.toContain('hunter2');
      expect(recorded).not.toContain('abc-secret-token');
    });

    it('answers a stream request with an HTTP error when the upstream sends a JSON error with a 200', async () => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue({
        fault: {
          kind: 'http-error',
          status: 200,
          body: openAiError('Model is warming up, try again', 'server_error', 'overloaded'),
        },
      });
      const response = await postWithKey(`${proxy.proxy.url}/v1/messages`, {
        ...params,
        stream: true,
      });
      expect(response.status).toBe(529);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(await response.json()).toMatchObject({
        type: 'error',
        error: { type: 'overloaded_error', message: expect.stringContaining('warming up') },
      });
    });

    it('says so when the upstream cannot be reached', async () => {
      const proxy = await startTestProxy({ file: { baseUrl: 'http://127.0.0.1:9/v1' } });
      const failure = await proxy
        .client()
        .messages.create(params)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Anthropic.InternalServerError);
      expect((failure as Error).message).toContain(
        'Cannot reach the upstream at http://127.0.0.1:9/v1',
      );
    });
  });

  describe('failures after the first byte end the stream with an error event', () => {
    const partial = {
      output: [{ type: 'text' as const, text: 'This answer is cut off somewhere in the middle.' }],
      deltaSize: 3,
    };

    it('reports a connection reset mid-stream', async () => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue({ ...partial, fault: { kind: 'reset', afterEvents: 8 } });
      const { status, frames } = await postForSse(`${proxy.proxy.url}/v1/messages`, {
        ...params,
        stream: true,
      });
      expect(status).toBe(200);
      expect(lifecycleViolations(frames)).toEqual([]);
      expect(frames.some((frame) => frame.event === 'content_block_delta')).toBe(true);
      expect(frames.at(-1)).toMatchObject({
        event: 'error',
        data: { type: 'error', error: { type: 'api_error' } },
      });
      expect(frames.map((frame) => frame.event)).not.toContain('message_stop');
    });

    it('reports an upstream that ends cleanly without completing, never a fake end_turn', async () => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue({ ...partial, fault: { kind: 'cut', afterEvents: 8 } });
      const { frames } = await postForSse(`${proxy.proxy.url}/v1/messages`, {
        ...params,
        stream: true,
      });
      expect(lifecycleViolations(frames)).toEqual([]);
      expect(frames.at(-1)).toMatchObject({
        event: 'error',
        data: {
          error: {
            type: 'api_error',
            message: expect.stringContaining('ended before the response was complete'),
          },
        },
      });
      expect(JSON.stringify(frames)).not.toContain('end_turn');
    });

    /** The last frame of a stream whose upstream sent this error event after `afterEvents`. */
    const lastFrameAfterErrorEvent = async (
      error: { type: string; code: string; message: string },
      afterEvents: number,
    ) => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue({ ...partial, fault: { kind: 'error-event', afterEvents, error } });
      const { frames } = await postForSse(`${proxy.proxy.url}/v1/messages`, {
        ...params,
        stream: true,
      });
      expect(lifecycleViolations(frames)).toEqual([]);
      return frames.at(-1);
    };

    it('maps an upstream error event by its code', async () => {
      const last = await lastFrameAfterErrorEvent(
        {
          type: 'tokens',
          code: 'rate_limit_exceeded',
          message: 'Rate limit reached for tokens per min',
        },
        8,
      );
      expect(last).toMatchObject({
        event: 'error',
        data: {
          error: {
            type: 'rate_limit_error',
            message: expect.stringContaining('Rate limit reached for tokens per min'),
          },
        },
      });
    });

    it('words a context overflow reported mid-stream as Claude Code compacts on', async () => {
      const last = await lastFrameAfterErrorEvent(
        {
          type: 'invalid_request_error',
          code: 'context_length_exceeded',
          message: 'Your input exceeds the context window of this model.',
        },
        2,
      );
      expect(last).toMatchObject({
        event: 'error',
        data: {
          error: {
            type: 'invalid_request_error',
            message: expect.stringMatching(/^prompt is too long: \d+ tokens > \d+ maximum/),
          },
        },
      });
    });

    it('surfaces as an error to the SDK stream helper, which Claude Code answers with the non-streaming fallback', async () => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue(
        { ...partial, fault: { kind: 'cut', afterEvents: 8 } },
        { output: [{ type: 'text', text: 'Complete answer.' }] },
      );
      const client = proxy.client();
      const failure = await client.messages
        .stream(params)
        .finalMessage()
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Anthropic.APIError);
      const fallback = await client.messages.create(params);
      expect(fallback.content).toEqual([{ type: 'text', text: 'Complete answer.' }]);
    });
  });

  describe('a client that goes away', () => {
    it('aborts the upstream stream within a second', async () => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue({
        output: [{ type: 'text', text: 'a long answer that stalls' }],
        fault: { kind: 'hang', afterEvents: 6 },
      });
      const controller = new AbortController();
      const response = await fetch(`${proxy.proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_PROXY_KEY },
        body: JSON.stringify({ ...params, stream: true }),
        signal: controller.signal,
      });
      const chunks = (response.body as unknown as AsyncIterable<Uint8Array>)[
        Symbol.asyncIterator
      ]();
      const first = (await chunks.next()) as IteratorYieldResult<Uint8Array>;
      expect(new TextDecoder().decode(first.value)).toContain('message_start');
      const abortedAt = performance.now();
      controller.abort();
      await proxy.mock.waitForAborts(1);
      expect(performance.now() - abortedAt).toBeLessThan(1_000);
    });

    it('aborts a non-streaming upstream call too', async () => {
      const proxy = await startTestProxy();
      proxy.mock.enqueue({ fault: { kind: 'hang' } });
      const controller = new AbortController();
      const pending = proxy
        .client()
        .messages.create(params, { signal: controller.signal })
        .catch((error: unknown) => error);
      while (proxy.mock.requests.length === 0)
        await new Promise((resolve) => setTimeout(resolve, 5));
      const abortedAt = performance.now();
      controller.abort();
      await proxy.mock.waitForAborts(1);
      expect(performance.now() - abortedAt).toBeLessThan(1_000);
      expect(await pending).toBeInstanceOf(Anthropic.APIUserAbortError);
    });
  });
});

describe('upstream timeouts', () => {
  const startProxy = useTestProxies();
  const body = {
    model: 'claude-opus-4-8',
    max_tokens: 100,
    messages: [{ role: 'user' as const, content: 'hi' }],
  };

  it('answers an upstream that never answers with 504 timeout_error', async () => {
    const { mock, client } = await startProxy({ file: { upstreamTimeoutMs: 200 } });
    mock.enqueue({ fault: { kind: 'hang' } });
    const failure = await client()
      .messages.create(body)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect((failure as InstanceType<typeof Anthropic.APIError>).status).toBe(504);
    expect((failure as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      error: { type: 'timeout_error' },
    });
  });

  it('ends a stream whose upstream goes silent with a timeout_error event and aborts the upstream', async () => {
    const { mock, proxy } = await startProxy({
      file: { upstreamIdleTimeoutMs: 150, pingIntervalMs: 50 },
    });
    mock.enqueue({
      output: [{ type: 'text', text: 'stalls here for good' }],
      fault: { kind: 'hang', afterEvents: 6 },
    });
    const { frames } = await postForSse(`${proxy.url}/v1/messages`, { ...body, stream: true });
    expect(lifecycleViolations(frames)).toEqual([]);
    expect(frames.at(-1)).toMatchObject({
      event: 'error',
      data: {
        error: { type: 'timeout_error', message: expect.stringContaining('upstreamIdleTimeoutMs') },
      },
    });
    await mock.waitForAborts(1);
  });

  it('keeps a slow but living stream open past the idle timeout', async () => {
    const { mock, proxy } = await startProxy({ file: { upstreamIdleTimeoutMs: 150 } });
    mock.enqueue({
      output: [{ type: 'text', text: 'slow but steady, one piece at a time' }],
      deltaSize: 4,
      delayMs: 60,
    });
    const { frames } = await postForSse(`${proxy.url}/v1/messages`, { ...body, stream: true });
    expect(frames.at(-1)?.event).toBe('message_stop');
  });
});

describe('retries', () => {
  const startProxy = useTestProxies();
  const body = {
    model: 'claude-opus-4-8',
    max_tokens: 100,
    messages: [{ role: 'user' as const, content: 'hi' }],
  };
  const error = (status: number) => ({
    kind: 'http-error' as const,
    status,
    body: { error: { message: `status ${status}`, type: 'server_error', param: null, code: null } },
    headers: { 'retry-after-ms': '10' },
  });

  it('retries a 429, 5xx or lost connection before anything reached the client', async () => {
    const { mock, client } = await startProxy({ file: { upstreamMaxRetries: 3 } });
    mock.enqueue(
      { fault: error(429) },
      { fault: error(503) },
      { fault: { kind: 'reset', afterEvents: 0 } },
      { output: [{ type: 'text', text: 'third time lucky' }] },
    );
    const message = await client().messages.create(body);
    expect(message.content).toEqual([{ type: 'text', text: 'third time lucky' }]);
    expect(mock.requests).toHaveLength(4);
  });

  it('waits as long as the upstream’s retry-after asks before retrying', async () => {
    const { mock, client } = await startProxy({ file: { upstreamMaxRetries: 1 } });
    const firstAt = performance.now();
    let retriedAt = 0;
    // Longer than the SDK's own first backoff (at most 0.5 s), so only retry-after explains it.
    mock.enqueue({ fault: { ...error(429), headers: { 'retry-after-ms': '1200' } } });
    mock.setDefaultTurn(() => {
      retriedAt = performance.now();
      return { output: [{ type: 'text', text: 'after the wait' }] };
    });
    const message = await client().messages.create(body);
    expect(message.content).toEqual([{ type: 'text', text: 'after the wait' }]);
    expect(retriedAt - firstAt).toBeGreaterThanOrEqual(1_200);
  });

  it('never retries 400, 401, 403 or 404', async () => {
    for (const status of [400, 401, 403, 404]) {
      const { mock, client } = await startProxy({ file: { upstreamMaxRetries: 3 } });
      mock.enqueue(
        { fault: error(status) },
        { output: [{ type: 'text', text: 'must not be reached' }] },
      );
      await client()
        .messages.create(body)
        .catch(() => undefined);
      expect(mock.requests, `status ${status}`).toHaveLength(1);
    }
  });
});
