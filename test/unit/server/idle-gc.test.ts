import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  IDLE_GC_DELAY_MS,
  IdleCollector,
  idleCollector,
  TRIM_DELAY_MS,
} from '../../../app/server/idle-gc.ts';
import { InFlightStreams } from '../../../app/server/in-flight.ts';

describe('IdleCollector, watching the streams in flight', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const setup = (): { collections: () => number; streams: InFlightStreams } => {
    let collected = 0;
    const streams = new InFlightStreams(new IdleCollector(() => (collected += 1)));
    return { collections: () => collected, streams };
  };

  it('collects once, when the last stream has ended and nothing started for the delay', () => {
    const { collections, streams } = setup();
    const first = streams.add(() => undefined);
    const second = streams.add(() => undefined);
    first();
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS * 2);
    expect(collections()).toBe(0); // one is still running
    second();
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS - 1);
    expect(collections()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(collections()).toBe(1);
    // Quiet on: nothing new to collect.
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS * 10);
    expect(collections()).toBe(1);
  });

  it('waits again when traffic comes back before the delay is out', () => {
    const { collections, streams } = setup();
    streams.add(() => undefined)();
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS / 2);
    const again = streams.add(() => undefined);
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS);
    expect(collections()).toBe(0);
    again();
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS);
    expect(collections()).toBe(1);
  });

  it('keeps one timer however many streams come and go, and counts the delay from the last', () => {
    const { collections, streams } = setup();
    const arming = vi.spyOn(globalThis, 'setTimeout');
    for (let stream = 0; stream < 1_000; stream += 1) {
      streams.add(() => undefined)();
      vi.advanceTimersByTime(7);
    }
    expect(arming).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(1);
    // The last stream ended 7 ms ago; the first timer was armed 7 s ago.
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS - 7 - 1);
    expect(collections()).toBe(0);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(collections()).toBe(1);
    // Armed when traffic first stopped, and once more for the rest of the delay.
    expect(arming).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('collects after traffic that was running when the timer fired stops', () => {
    const { collections, streams } = setup();
    streams.add(() => undefined)();
    const long = streams.add(() => undefined);
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS * 3);
    expect(collections()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    long();
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS);
    expect(collections()).toBe(1);
  });

  it('never collects before any traffic, nor after stop()', () => {
    let collected = 0;
    const collector = new IdleCollector(() => (collected += 1));
    collector.idle();
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS * 2);
    expect(collected).toBe(0);
    collector.busy();
    collector.idle();
    collector.stop();
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS * 2);
    expect(collected).toBe(0);
  });
});

describe('idleCollector', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is there only where gc is exposed, and then looks for no trim', () => {
    const loadTrim = vi.fn(() => undefined);
    expect(idleCollector(undefined, loadTrim)).toBeUndefined();
    expect(loadTrim).not.toHaveBeenCalled();
  });

  it("collects fully and at once, and hands the C heap's free pages back a second later", () => {
    const calls: string[] = [];
    const gc = vi.fn(() => {
      calls.push('gc');
    }) as unknown as NodeJS.GCFunction;
    const collector = idleCollector(gc, () => () => calls.push('trim'));
    collector?.busy();
    collector?.idle();
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS);
    expect(calls).toEqual(['gc']);
    vi.advanceTimersByTime(TRIM_DELAY_MS - 1);
    expect(calls).toEqual(['gc']);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['gc', 'trim']);
    expect(gc).toHaveBeenCalledWith({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  });

  it('still collects where there is nothing to trim with', () => {
    let collected = 0;
    const gc = (() => (collected += 1)) as unknown as NodeJS.GCFunction;
    const collector = idleCollector(gc, () => undefined);
    collector?.busy();
    collector?.idle();
    vi.advanceTimersByTime(IDLE_GC_DELAY_MS);
    expect(collected).toBe(1);
    // No trim is waiting for its turn.
    expect(vi.getTimerCount()).toBe(0);
  });
});
