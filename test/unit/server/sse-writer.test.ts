/**
 * SseWriter: queued frames go out with the next flush as one write; end() writes what is left;
 * a ping follows each pingIntervalMs of silence, never after the end.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnthropicStreamEvent } from '../../../app/protocol/anthropic-wire.ts';
import { SseWriter } from '../../../app/server/sse-writer.ts';

/** The parts of a ServerResponse the writer uses, recording each write. */
function fakeResponse() {
  const writes: string[] = [];
  const res = {
    destroyed: false,
    ended: false,
    headers: {} as Record<string, string>,
    writeHead(status: number, headers: Record<string, string>) {
      expect(status).toBe(200);
      res.headers = headers;
    },
    headerFlushes: 0,
    flushHeaders() {
      res.headerFlushes += 1;
    },
    write(chunk: string) {
      writes.push(chunk);
      return true;
    },
    end(chunk?: string) {
      if (chunk) writes.push(chunk);
      res.ended = true;
    },
  };
  return { res, writes, writer: () => new SseWriter(res as unknown as ServerResponse, 100) };
}

const ping: AnthropicStreamEvent = { type: 'ping' };
const stop: AnthropicStreamEvent = { type: 'message_stop' };
const json = (event: AnthropicStreamEvent): string => JSON.stringify(event);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SseWriter', () => {
  it('sends event-stream headers that keep proxies from buffering', () => {
    const { res, writer } = fakeResponse();
    writer().open({ 'request-id': 'req_1' });
    expect(res.headers).toMatchObject({
      'request-id': 'req_1',
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
  });

  it('sends the headers with the first frames when those are ready in the same turn', async () => {
    const { res, writes, writer } = fakeResponse();
    const sse = writer();
    sse.open({});
    sse.queue([ping], [json(ping)]);
    sse.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(res.headerFlushes).toBe(0);
    expect(writes).toHaveLength(1);
  });

  it('sends the headers alone on the next turn when no frame is ready', async () => {
    const { res, writes, writer } = fakeResponse();
    writer().open({});
    expect(res.headerFlushes).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(res.headerFlushes).toBe(1);
    expect(writes).toEqual([]);
  });

  it('writes nothing until a flush, then every queued frame in one write', () => {
    const { writes, writer } = fakeResponse();
    const sse = writer();
    sse.queue([ping, stop], [json(ping), json(stop)]);
    sse.queue([stop], [json(stop)]);
    expect(writes).toEqual([]);
    sse.flush();
    expect(writes).toEqual([
      'event: ping\ndata: {"type":"ping"}\n\n' +
        'event: message_stop\ndata: {"type":"message_stop"}\n\n' +
        'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ]);
    sse.flush();
    expect(writes).toHaveLength(1); // nothing queued, nothing written
  });

  it('writes what is still queued with the end, and nothing after it', () => {
    const { res, writes, writer } = fakeResponse();
    const sse = writer();
    sse.queue([stop], [json(stop)]);
    sse.end();
    expect(res.ended).toBe(true);
    expect(writes).toEqual(['event: message_stop\ndata: {"type":"message_stop"}\n\n']);
    sse.queue([stop], [json(stop)]);
    sse.flush();
    vi.advanceTimersByTime(1_000);
    expect(writes).toHaveLength(1);
  });

  it('pings after each interval of silence, counted from the last write', () => {
    const { writes, writer } = fakeResponse();
    const sse = writer();
    vi.advanceTimersByTime(100);
    expect(writes).toEqual(['event: ping\ndata: {"type":"ping"}\n\n']);
    vi.advanceTimersByTime(50);
    sse.queue([stop], [json(stop)]);
    sse.flush();
    vi.advanceTimersByTime(99);
    expect(writes).toHaveLength(2); // the ping and the flush: silence is counted from the flush
    vi.advanceTimersByTime(1);
    expect(writes).toHaveLength(3);
    expect(writes[2]).toContain('event: ping');
    sse.end();
  });

  it('does not write to a destroyed response', () => {
    const { res, writes, writer } = fakeResponse();
    const sse = writer();
    res.destroyed = true;
    sse.queue([stop], [json(stop)]);
    sse.flush();
    vi.advanceTimersByTime(500);
    sse.end();
    expect(writes).toEqual([]);
  });
});
