import { describe, expect, it } from 'vitest';
import type { MessagesRequest } from '../../../app/protocol/messages-request.ts';
import {
  answerFailure,
  streamErrorType,
  toAnthropicError,
  type UpstreamFailure,
} from '../../../app/translate/errors.ts';
import { effortFor } from '../../../app/translate/reasoning-effort.ts';
import { fromChatUsage, toAnthropicUsage } from '../../../app/translate/usage.ts';
import { capabilitiesFor } from '../../../app/upstream/capabilities.ts';
import { routeModel } from '../../../app/upstream/routing.ts';

const where = { upstreamModel: 'gpt-5.1', baseUrl: 'https://api.openai.com/v1' };
const ctx = { promptTokenEstimate: 5000, contextWindow: 400_000 };
const http = (status: number, message: string, code: string | null = null): UpstreamFailure => ({
  kind: 'http',
  status,
  code,
  message,
  ...where,
});

describe('toAnthropicError', () => {
  it('rewords context overflow into the phrase Claude Code compacts on', () => {
    const error = toAnthropicError(
      http(
        400,
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130,512 tokens.",
        'context_length_exceeded',
      ),
      ctx,
    );
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^prompt is too long: 130512 tokens > 128000 maximum/);
  });

  it('does not call an output request too large for the window a long prompt (vLLM)', () => {
    const error = toAnthropicError(
      http(
        400,
        "'max_tokens' or 'max_completion_tokens' is too large: 32000. This model's maximum context length is 32768 tokens and your request has 18000 input tokens (32000 > 32768 - 18000).",
      ),
      ctx,
    );
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error' });
    expect(error.message).not.toMatch(/prompt is too long/);
    expect(error.message).toContain('set "maxOutputTokens"');
  });

  it('calls it a long prompt after all when too little room is left to answer in', () => {
    const error = toAnthropicError(
      http(
        400,
        "'max_tokens' or 'max_completion_tokens' is too large: 4096. This model's maximum context length is 32768 tokens and your request has 32000 input tokens (4096 > 32768 - 32000).",
      ),
      ctx,
    );
    expect(error.message).toMatch(/^prompt is too long: /);
  });

  it('falls back to Parley figures when the upstream names none', () => {
    const error = toAnthropicError(http(400, 'Input too long.', 'context_length_exceeded'), ctx);
    expect(error.message).toMatch(/^prompt is too long: 400001 tokens > 400000 maximum/);
  });

  it('rewords a context overflow reported inside a stream too (an error event has no status)', () => {
    const inStream: UpstreamFailure = {
      kind: 'http',
      code: 'context_length_exceeded',
      message: 'Your input exceeds the context window of this model.',
      ...where,
    };
    expect(toAnthropicError(inStream, ctx)).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringMatching(/^prompt is too long: 400001 tokens > 400000 maximum/),
    });
    // A failed response (streamed or not) says it in its error object.
    const answer = { inputTokenEstimate: 5000, contextWindow: 400_000 };
    expect(
      answerFailure(
        'context_length_exceeded',
        inStream.message,
        'Upstream response failed',
        answer,
      ),
    ).toEqual({
      type: 'invalid_request_error',
      message: expect.stringMatching(/^prompt is too long: 400001 tokens > 400000 maximum/),
    });
    expect(answerFailure('server_error', 'boom', 'Upstream response failed', answer)).toEqual({
      type: 'api_error',
      message: 'Upstream response failed: boom',
    });
  });

  it('keeps timeouts and connection failures apart', () => {
    expect(
      toAnthropicError({ kind: 'timeout', message: 'timed out', ...where }, ctx),
    ).toMatchObject({ status: 504, type: 'timeout_error' });
    expect(
      toAnthropicError({ kind: 'connection', message: 'ECONNREFUSED', ...where }, ctx),
    ).toMatchObject({ status: 500, type: 'api_error' });
  });

  it('maps the statuses that decide whether Claude Code retries', () => {
    const statuses: [number, number, string][] = [
      [400, 400, 'invalid_request_error'],
      [422, 400, 'invalid_request_error'],
      [401, 401, 'authentication_error'],
      [402, 402, 'billing_error'],
      [403, 403, 'permission_error'],
      [404, 404, 'not_found_error'],
      [408, 504, 'timeout_error'],
      [409, 400, 'invalid_request_error'],
      [413, 413, 'request_too_large'],
      [429, 429, 'rate_limit_error'],
      [500, 500, 'api_error'],
      [502, 500, 'api_error'],
      [503, 529, 'overloaded_error'],
      [504, 504, 'timeout_error'],
    ];
    for (const [upstream, status, type] of statuses) {
      expect(toAnthropicError(http(upstream, 'x'), ctx), `upstream ${upstream}`).toMatchObject({
        status,
        type,
      });
    }
  });

  it('sends a 404 to the model and the URL only when it is not about an item of the request', () => {
    const model = toAnthropicError(
      http(404, 'The model `gpt-5.1` does not exist or you do not have access to it.'),
      ctx,
    );
    expect(model.message).toMatch(/^The upstream does not know model "gpt-5\.1" \(or the base URL/);
    const route = toAnthropicError(http(404, 'Invalid URL (POST /v1/responses)'), ctx);
    expect(route.message).toMatch(/^The upstream does not know model "gpt-5\.1" \(or the base URL/);

    const stored =
      "Item with id 'rs_123' not found. Items are not persisted when `store` is set to false.";
    const item = toAnthropicError(http(404, stored), ctx);
    expect(item).toMatchObject({ status: 404, type: 'not_found_error' });
    expect(item.message).toBe(`Upstream (gpt-5.1): ${stored}`);
  });

  it('answers a redirect as a base URL to fix (400), not a server error to retry', () => {
    const error = toAnthropicError(http(301, 'Moved Permanently'), ctx);
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error' });
    expect(error.message).toContain('answered 301, a redirect, which Parley does not follow');
  });

  it('maps mid-stream error codes', () => {
    expect(streamErrorType('rate_limit_exceeded')).toBe('rate_limit_error');
    expect(streamErrorType('insufficient_quota')).toBe('rate_limit_error');
    expect(streamErrorType('server_error')).toBe('api_error');
    expect(streamErrorType(null)).toBe('api_error');
  });
});

describe('effortFor', () => {
  const request = (fields: Partial<MessagesRequest>): MessagesRequest => ({
    model: 'claude-opus-4-8',
    max_tokens: 100,
    messages: [],
    ...fields,
  });
  const gpt51 = capabilitiesFor('gpt-5.1');
  const gpt5 = capabilitiesFor('gpt-5-mini');

  it('maps thinking budgets and adaptive effort to what the model supports', () => {
    expect(effortFor(request({ thinking: { type: 'enabled', budget_tokens: 1024 } }), gpt51)).toBe(
      'low',
    );
    expect(effortFor(request({ thinking: { type: 'enabled', budget_tokens: 8000 } }), gpt51)).toBe(
      'medium',
    );
    expect(effortFor(request({ thinking: { type: 'enabled', budget_tokens: 32000 } }), gpt51)).toBe(
      'high',
    );
    expect(
      effortFor(
        request({ thinking: { type: 'adaptive' }, output_config: { effort: 'high' } }),
        gpt51,
      ),
    ).toBe('high');
    expect(
      effortFor(
        request({ thinking: { type: 'adaptive' }, output_config: { effort: 'max' } }),
        gpt51,
      ),
    ).toBe('high');
    expect(effortFor(request({}), gpt51)).toBe('medium');
  });

  it('uses the lowest effort when thinking is disabled, and none for models without reasoning', () => {
    expect(effortFor(request({ thinking: { type: 'disabled' } }), gpt51)).toBe('none');
    expect(effortFor(request({ thinking: { type: 'disabled' } }), gpt5)).toBe('minimal');
    expect(
      effortFor(
        request({ thinking: { type: 'enabled', budget_tokens: 32000 } }),
        capabilitiesFor('gpt-4.1'),
      ),
    ).toBeUndefined();
  });
});

describe('usage and routing', () => {
  it('subtracts cached tokens from input (T14)', () => {
    expect(
      toAnthropicUsage({
        inputTokens: 6047,
        cachedTokens: 2944,
        cacheWriteTokens: 0,
        outputTokens: 1623,
      }),
    ).toEqual({
      input_tokens: 3103,
      cache_read_input_tokens: 2944,
      cache_creation_input_tokens: 0,
      output_tokens: 1623,
    });
  });

  it('counts tokens written to a cache once: as cache creation, not again as input', () => {
    expect(
      toAnthropicUsage({
        inputTokens: 1000,
        cachedTokens: 300,
        cacheWriteTokens: 500,
        outputTokens: 9,
      }),
    ).toEqual({
      input_tokens: 200,
      cache_read_input_tokens: 300,
      cache_creation_input_tokens: 500,
      output_tokens: 9,
    });
  });

  it('reads the cache writes OpenRouter reports on Chat Completions', () => {
    const usage = fromChatUsage({
      prompt_tokens: 1000,
      completion_tokens: 9,
      prompt_tokens_details: { cached_tokens: 300, cache_write_tokens: 500 },
    });
    expect(usage && toAnthropicUsage(usage)).toEqual({
      input_tokens: 200,
      cache_read_input_tokens: 300,
      cache_creation_input_tokens: 500,
      output_tokens: 9,
    });
  });

  it('routes Claude families and passes other names through', () => {
    const models = { model: 'gpt-5.1', smallModel: 'gpt-5-mini' };
    expect(routeModel('claude-opus-4-8', models)).toMatchObject({
      upstreamModel: 'gpt-5.1',
      rule: 'main',
    });
    expect(routeModel('claude-fable-5', models)).toMatchObject({
      upstreamModel: 'gpt-5.1',
      rule: 'main',
    });
    expect(routeModel('claude-haiku-4-5-20251001', models)).toMatchObject({
      upstreamModel: 'gpt-5-mini',
      rule: 'small',
    });
    expect(routeModel('claude-unknown-9', models)).toMatchObject({
      upstreamModel: 'gpt-5.1',
      rule: 'claude-default',
    });
    expect(routeModel('my-big-model', models)).toMatchObject({
      upstreamModel: 'my-big-model',
      rule: 'passthrough',
    });
  });
});
