/**
 * Graceful shutdown: stop accepting, let streams in flight finish within the grace period, and
 * end those still running afterwards with an SSE error event (never a silent cut).
 */
import { describe, expect, it } from 'vitest';
import { lifecycleViolations } from '../../app/translate/lifecycle.ts';
import { postForSse } from '../support/anthropic-sse.ts';
import { useTestProxies } from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();
const body = {
  model: 'claude-opus-4-8',
  max_tokens: 100,
  stream: true,
  messages: [{ role: 'user', content: 'hi' }],
};

describe('shutdown', () => {
  it('lets a stream that finishes within the grace period finish', async () => {
    const { proxy, mock } = await startTestProxy();
    mock.enqueue({
      output: [{ type: 'text', text: 'almost done now' }],
      deltaSize: 3,
      delayMs: 20,
    });
    const streaming = postForSse(`${proxy.url}/v1/messages`, body);
    while (mock.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const closed = proxy.close(2_000);
    const { frames } = await streaming;
    await closed;
    expect(lifecycleViolations(frames)).toEqual([]);
    expect(frames.at(-1)?.event).toBe('message_stop');
  });

  it('ends a stream still running at the deadline with an error event, and refuses new connections', async () => {
    const { proxy, mock } = await startTestProxy();
    mock.enqueue({
      output: [{ type: 'text', text: 'this one never ends' }],
      fault: { kind: 'hang', afterEvents: 6 },
    });
    const streaming = postForSse(`${proxy.url}/v1/messages`, body);
    while (mock.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    const closed = proxy.close(100);
    const { frames } = await streaming;
    await closed;
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(lifecycleViolations(frames)).toEqual([]);
    expect(frames.at(-1)).toMatchObject({
      event: 'error',
      data: {
        error: { type: 'overloaded_error', message: expect.stringContaining('shutting down') },
      },
    });
    await mock.waitForAborts(1);
    await expect(fetch(`${proxy.url}/health`)).rejects.toThrow();
  });
});
