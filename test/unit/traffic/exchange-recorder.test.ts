import { describe, expect, it, vi } from 'vitest';
import { ExchangeRecorder, type TrafficClock } from '../../../app/traffic/exchange-recorder.ts';
import { TrafficBus } from '../../../app/traffic/traffic-bus.ts';
import type { TrafficEvent } from '../../../app/traffic/traffic-event.ts';
import type { AnthropicStreamEvent } from '../../../app/protocol/anthropic-wire.ts';

/** A clock that moves 1 ms at every read, so each read shows in the stamps. */
function steppingClock(): TrafficClock {
  let ms = 0;
  return { now: () => 1_767_225_600_000 + ms, monotonic: () => ++ms };
}

const toolStart: AnthropicStreamEvent = {
  type: 'content_block_start',
  index: 1,
  content_block: { type: 'tool_use', id: 'toolu_1', name: 'Read', input: {} },
};
const toolDelta: AnthropicStreamEvent = {
  type: 'content_block_delta',
  index: 1,
  delta: { type: 'input_json_delta', partial_json: '{"file_path":"a.ts"}' },
};
const toolStop: AnthropicStreamEvent = { type: 'content_block_stop', index: 1 };

describe('ExchangeRecorder', () => {
  it('publishes stream events as they happen, and the tool calls they imply, in order', () => {
    const bus = new TrafficBus({ secrets: [] });
    const seen: TrafficEvent[] = [];
    bus.subscribe((event) => seen.push(event));
    const recorder = new ExchangeRecorder(bus, 'req_1', steppingClock());
    const events = [toolStart, toolDelta, toolStop];
    recorder.upstreamEvent('{"type":"response.output_item.added"}');
    recorder.clientEvents(
      events,
      events.map((event) => JSON.stringify(event)),
      () => false,
    );
    recorder.finished(200, 'tool_use');
    expect(seen.map((event) => [event.seq, event.type])).toEqual([
      [0, 'upstream.event-received'],
      [1, 'client.event-sent'],
      [2, 'tool-call.started'],
      [3, 'client.event-sent'],
      [4, 'client.event-sent'],
      [5, 'tool-call.completed'],
      [6, 'exchange.finished'],
    ]);
    expect(seen[1]).toMatchObject({
      event: 'content_block_start',
      json: JSON.stringify(toolStart),
    });
    expect(seen[5]).toMatchObject({ toolUseId: 'toolu_1', input: { file_path: 'a.ts' } });
    // Events sent together share a time; the wall clock is read off the monotonic one.
    expect(seen[3]?.t).toBe(seen[1]?.t);
    expect((seen[0]?.at ?? 0) - (seen[0]?.t ?? 0)).toBe((seen[6]?.at ?? 0) - (seen[6]?.t ?? 0));
    expect(bus.recent()).toEqual(seen);
  });

  it('never fails a request over a tool input that is not JSON, and keeps times in seq order', () => {
    const bus = new TrafficBus({ secrets: [] });
    const recorder = new ExchangeRecorder(bus, 'req_1', steppingClock());
    const broken: AnthropicStreamEvent = {
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'input_json_delta', partial_json: '{"file_path":' },
    };
    const events = [toolStart, broken, toolStop, { type: 'ping' } as const];
    expect(() => {
      recorder.clientEvents(
        events,
        events.map((event) => JSON.stringify(event)),
        () => false,
      );
    }).not.toThrow();
    const recent = bus.recent();
    expect(recent.find((event) => event.type === 'tool-call.completed')).toMatchObject({
      input: '{"file_path":',
    });
    const times = recent.map((event) => event.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('stamps the stream events of one synchronous run with one clock reading, and reads again after', async () => {
    const bus = new TrafficBus({ secrets: [] });
    const seen: TrafficEvent[] = [];
    bus.subscribe((event) => seen.push(event));
    const recorder = new ExchangeRecorder(bus, 'req_1', steppingClock());
    recorder.upstreamEvent('{"n":1}');
    recorder.clientEvents([toolStop], [JSON.stringify(toolStop)], () => false);
    recorder.upstreamEvent('{"n":2}');
    await Promise.resolve();
    recorder.upstreamEvent('{"n":3}');
    const times = seen.map((event) => event.t);
    expect(times[1]).toBe(times[0]);
    expect(times[2]).toBe(times[0]);
    expect(times[3]).toBeGreaterThan(times[0] ?? Infinity);
  });

  it("tells the bus once a run's stream events are all in, so their texts leave the heap", async () => {
    const bus = new TrafficBus({ secrets: [] });
    const runEnded = vi.spyOn(bus, 'streamRunEnded');
    const recorder = new ExchangeRecorder(bus, 'req_1', steppingClock());
    recorder.upstreamEvent('{"n":1}');
    recorder.clientEvents([toolStop], [JSON.stringify(toolStop)], () => false);
    expect(runEnded).not.toHaveBeenCalled();
    await Promise.resolve();
    expect(runEnded.mock.calls).toEqual([['req_1']]);
    recorder.upstreamEvent('{"n":2}');
    await Promise.resolve();
    expect(runEnded).toHaveBeenCalledTimes(2);
    // What was written stays readable with the rest.
    recorder.finished(200, 'end_turn');
    expect(bus.recent().map((event) => event.type)).toEqual([
      'upstream.event-received',
      'client.event-sent',
      'upstream.event-received',
      'exchange.finished',
    ]);
  });
});
