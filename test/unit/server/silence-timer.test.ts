/**
 * SilenceTimer: fires after `ms` without a touch, however many touches came before; a touch is
 * only a clock read, so a timer that fires early sets itself again for the silence still missing.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SilenceTimer } from '../../../app/server/silence-timer.ts';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SilenceTimer', () => {
  it('fires once, after ms of silence and not before', () => {
    const fired = vi.fn();
    new SilenceTimer(100, fired);
    vi.advanceTimersByTime(99);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1_000);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('counts the silence from the last touch', () => {
    const fired = vi.fn();
    const timer = new SilenceTimer(100, fired);
    for (let at = 10; at <= 250; at += 10) {
      vi.advanceTimersByTime(10);
      timer.touch();
    }
    expect(fired).not.toHaveBeenCalled(); // 250 ms of events, never 100 ms of silence
    vi.advanceTimersByTime(99);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('with repeat, fires after each further period of silence', () => {
    const fired = vi.fn();
    const timer = new SilenceTimer(100, fired, { repeat: true });
    vi.advanceTimersByTime(300);
    expect(fired).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(50);
    timer.touch();
    vi.advanceTimersByTime(99);
    expect(fired).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(4);
  });

  it('never fires once stopped, even from a pending re-arm', () => {
    const fired = vi.fn();
    const timer = new SilenceTimer(100, fired, { repeat: true });
    vi.advanceTimersByTime(60);
    timer.touch(); // the first firing, at 100, re-arms for 60 more
    vi.advanceTimersByTime(50);
    timer.stop();
    vi.advanceTimersByTime(1_000);
    expect(fired).not.toHaveBeenCalled();
  });

  it('keeps one timer pending at a time, touched or not', () => {
    const timer = new SilenceTimer(100, () => undefined, { repeat: true });
    for (let step = 0; step < 50; step += 1) {
      vi.advanceTimersByTime(30);
      timer.touch();
    }
    expect(vi.getTimerCount()).toBe(1);
    timer.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
