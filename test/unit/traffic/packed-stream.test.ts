import { describe, expect, it } from 'vitest';
import {
  ColumnPool,
  isStreamEvent,
  mergeBySeq,
  StreamEventLog,
  TextArena,
  type StreamEvent,
} from '../../../app/traffic/packed-stream.ts';
import { REDACTED, textRedactor } from '../../../app/traffic/redact.ts';
import { TrafficBus } from '../../../app/traffic/traffic-bus.ts';
import type { TrafficEvent } from '../../../app/traffic/traffic-event.ts';
import { exchangeStarted } from '../../support/traffic-events.ts';

const noSecrets = textRedactor([]);
const newLog = (arena = new TextArena(), redact = noSecrets, pool = new ColumnPool()) =>
  new StreamEventLog(arena, pool, redact);
const at = (seq: number) => ({ exchangeId: 'x1', seq, at: 1_767_225_600_000 + seq, t: 10.5 + seq });
const exchange: TrafficEvent[] = [
  exchangeStarted({ request: { model: 'claude-opus-4-8' }, ...at(0) }),
  { type: 'upstream.event-received', json: '{"type":"response.created"}', ...at(1) },
  { type: 'client.event-sent', event: 'message_start', json: '{"type":"message_start"}', ...at(2) },
  // Multi-line data and text beyond ASCII survive: texts are cut by offsets, not separators.
  { type: 'upstream.event-received', json: '{"a":\n"ünï 😀"}', ...at(3) },
  { type: 'client.event-sent', event: 'content_block_delta', json: '{"text":"😀"}', ...at(4) },
  { type: 'client.event-sent', event: 'ping', json: '', ...at(5) },
  {
    type: 'usage.reported',
    inputTokens: 1,
    outputTokens: 2,
    cacheReadInputTokens: 0,
    cacheCreationInputTokens: 0,
    estimated: false,
    costUsd: null,
    ...at(6),
  },
  {
    type: 'exchange.finished',
    status: 200,
    stopReason: 'end_turn',
    ttfbMs: 1,
    durationMs: 2,
    ...at(7),
  },
];

describe('packed stream events', () => {
  it('give back exactly the events that were kept, before and after sealing', () => {
    const log = newLog();
    const stream = exchange.filter(isStreamEvent);
    for (const event of stream) expect(log.add(event)).toBe(true);
    const others = exchange.filter((event) => !isStreamEvent(event));
    expect(mergeBySeq(others, log.events('x1'))).toEqual(exchange);
    log.seal();
    expect(log.size).toBe(5);
    expect(mergeBySeq(others, log.events('x1'))).toEqual(exchange);
    // Nothing is added once the exchange has ended.
    const [first] = stream;
    if (!first) throw new Error('no stream events in the sample');
    expect(log.add(first)).toBe(false);
    expect(log.size).toBe(5);
  });

  it('grow past their first allocation, whatever the texts are made of', () => {
    const log = newLog();
    // 2,000 events of up to 1,200 UTF-8 bytes each: several times the log's first arrays.
    const events: StreamEvent[] = Array.from({ length: 2_000 }, (_, seq) => {
      const json = JSON.stringify({ n: seq, text: 'añ😀'.repeat(seq % 200) });
      return seq % 3 === 0
        ? { type: 'upstream.event-received', json, ...at(seq) }
        : { type: 'client.event-sent', event: `kind_${String(seq % 5)}`, json, ...at(seq) };
    });
    for (const event of events) log.add(event);
    expect(log.events('x1')).toEqual(events);
    log.seal();
    expect(log.events('x1')).toEqual(events);
  });

  it('keep nothing once released, and give their arena space back', () => {
    const arena = new TextArena();
    const log = newLog(arena);
    for (const event of exchange.filter(isStreamEvent)) log.add(event);
    log.seal();
    const probe = arena.write('x');
    log.release();
    expect(log.size).toBe(0);
    expect(log.events('x1')).toEqual([]);
    expect(log.add({ type: 'upstream.event-received', json: '{}', ...at(9) })).toBe(false);
    // The probe still holds the buffer the log wrote into; once it goes, the buffer starts over.
    arena.release(probe);
    const next = arena.write('y');
    expect(next.chunk).toBe(probe.chunk);
    expect(next.start).toBe(0);
  });

  it('are redacted as they are read, before and after sealing, each text keeping its bounds', () => {
    const secret = 'sk-upstream-0123456789';
    const arena = new TextArena();
    const log = newLog(arena, textRedactor([secret]));
    const texts = [`{"a":"${secret}"}`, '{"b":"ünï 😀"}', `{"c":"x${secret}${secret}"}`, '{}'];
    texts.forEach((json, seq) => log.add({ type: 'upstream.event-received', json, ...at(seq) }));
    const expected = texts.map((json, seq) => ({
      type: 'upstream.event-received',
      json: json.replaceAll(secret, REDACTED),
      ...at(seq),
    }));
    expect(log.events('x1')).toEqual(expected);
    log.seal();
    expect(log.events('x1')).toEqual(expected);
    // A log without a secret is read as it was written.
    const clean = newLog(arena, textRedactor([secret]));
    clean.add({ type: 'upstream.event-received', json: '{"d":"[redacted] is a word"}', ...at(0) });
    clean.seal();
    expect(clean.events('x1')[0]?.json).toBe('{"d":"[redacted] is a word"}');
  });

  it('share an arena across exchanges, into as many buffers as their texts need', () => {
    const arena = new TextArena();
    const logs = [0, 1, 2].map(() => newLog(arena));
    // 3 × 200 KB: more than one arena buffer, written as each exchange ends.
    const json = (n: number): string => JSON.stringify({ n, pad: 'é'.repeat(1_000) });
    logs.forEach((log, exchange) => {
      for (let seq = 0; seq < 100; seq += 1)
        log.add({ type: 'upstream.event-received', json: json(exchange * 100 + seq), ...at(seq) });
      log.seal();
    });
    logs.forEach((log, exchange) => {
      expect(log.events('x1').map((event) => event.json)).toEqual(
        Array.from({ length: 100 }, (_, seq) => json(exchange * 100 + seq)),
      );
    });
  });

  it('write their pending texts into the arena when told, and every 64 texts without', () => {
    const arena = new TextArena();
    const log = newLog(arena);
    const texts = ['{"a":1}', '{"b":"é"}', '{}'];
    texts.forEach((json, seq) => log.add({ type: 'upstream.event-received', json, ...at(seq) }));
    expect(arena.used).toBe(0);
    log.writePending();
    expect(arena.used).toBe(Buffer.byteLength(texts.join('')));
    log.writePending(); // nothing pending: nothing written
    expect(arena.used).toBe(Buffer.byteLength(texts.join('')));
    for (let seq = 3; seq < 3 + StreamEventLog.TEXTS_PER_WRITE; seq += 1)
      log.add({ type: 'upstream.event-received', json: '{"c":0}', ...at(seq) });
    expect(arena.used).toBe(Buffer.byteLength(texts.join('')) + 7 * StreamEventLog.TEXTS_PER_WRITE);
    expect(log.events('x1').map((event) => event.json)).toEqual([
      ...texts,
      ...Array<string>(StreamEventLog.TEXTS_PER_WRITE).fill('{"c":0}'),
    ]);
  });

  it('keep their texts apart while exchanges running together write into one arena', () => {
    const arena = new TextArena();
    const pool = new ColumnPool();
    // Three exchanges at once, one event of each in turn, past several buffers and past the
    // columns' first size; one ends early and is released while the others go on, so its
    // buffers are written again only once they no longer hold a text of the others.
    const logs = [0, 1, 2].map(() => newLog(arena, noSecrets, pool));
    const json = (log: number, seq: number): string =>
      JSON.stringify({ log, seq, pad: (seq % 2 ? 'é😀' : 'x').repeat((seq * 37) % 900) });
    const events = (log: number, count: number): StreamEvent[] =>
      Array.from({ length: count }, (_, seq) =>
        seq % 2
          ? { type: 'upstream.event-received', json: json(log, seq), ...at(seq) }
          : {
              type: 'client.event-sent',
              event: 'content_block_delta',
              json: json(log, seq),
              ...at(seq),
            },
      );
    const [first, second, third, fourthEvents] = [300, 700, 1_100, 200].map((count, log) =>
      events(log, count),
    );
    const streams = [first, second, third];
    for (let seq = 0; seq < 1_100; seq += 1) {
      logs.forEach((log, index) => {
        const event = streams[index]?.[seq];
        if (event) expect(log.add(event)).toBe(true);
      });
      if (seq === 300) {
        logs[0]?.seal();
        expect(logs[0]?.events('x1')).toEqual(first);
        logs[0]?.release();
      }
      if (seq === 700) logs[1]?.seal();
    }
    logs[2]?.seal();
    expect(logs[1]?.events('x1')).toEqual(second);
    expect(logs[2]?.events('x1')).toEqual(third);
    // A fourth, on the columns the first gave back, leaves the others as they were.
    const fourth = newLog(arena, noSecrets, pool);
    for (const event of fourthEvents ?? []) fourth.add(event);
    fourth.seal();
    expect(fourth.events('x1')).toEqual(fourthEvents);
    expect(logs[1]?.events('x1')).toEqual(second);
    expect(logs[2]?.events('x1')).toEqual(third);
  });

  it('fill an arena buffer by the bytes texts take, not by the most they could', () => {
    const arena = new TextArena();
    const ascii = 'x'.repeat(100_000); // 3 bytes a unit at most: 300 KB, more than a buffer
    const first = arena.write(ascii);
    const second = arena.write(ascii);
    expect(second.chunk).toBe(first.chunk); // 200 KB of 256: both fit
    expect([first.start, first.end, second.start, second.end]).toEqual([0, 1e5, 1e5, 2e5]);
    expect(arena.write(ascii).chunk).not.toBe(first.chunk);
  });

  it('share the arena with bodies written as bytes, a body bigger than a buffer included', () => {
    const arena = new TextArena();
    const small = new TextEncoder().encode('{"a":"é"}');
    const big = new Uint8Array(TextArena.CHUNK_BYTES + 10).fill(0x20);
    const places = [small, big, small].map((bytes) => ({
      bytes,
      written: arena.writeBytes(bytes),
    }));
    for (const { bytes, written } of places) {
      const { chunk, start, end } = written;
      expect(chunk.bytes.subarray(start, end).equals(bytes)).toBe(true);
    }
    // The big body got a buffer of its own; what came after it, another.
    const [first, second, third] = places.map(({ written }) => written.chunk);
    expect(second).not.toBe(first);
    expect(third).not.toBe(second);
    expect(first?.bytes.subarray(0, small.length).equals(small)).toBe(true);
  });

  it('write a buffer again once every text in it is released, and never before', () => {
    const arena = new TextArena();
    const text = (fill: string): string => fill.repeat(TextArena.CHUNK_BYTES / 2 - 10);
    const a = arena.write(text('a'));
    const b = arena.write(text('b'));
    const c = arena.write(text('c')); // a and b fill the first buffer: c starts the second
    expect(c.chunk).not.toBe(a.chunk);
    arena.release(a);
    // b still holds the first buffer: the next one is new.
    const d = arena.write(text('d'));
    const e = arena.write(text('e'));
    expect([d.chunk, e.chunk]).not.toContain(a.chunk);
    expect(b.chunk.bytes.toString('utf8', b.start, b.end)).toBe(text('b'));
    arena.release(b);
    // Nothing holds the first buffer now: once e's buffer is full, it takes the next texts.
    const f = arena.write(text('f'));
    expect(f.chunk).toBe(e.chunk);
    const g = arena.write(text('g'));
    expect(g.chunk).toBe(a.chunk);
    expect(g.start).toBe(0);
    for (const [slice, fill] of [
      [c, 'c'],
      [d, 'd'],
      [e, 'e'],
      [f, 'f'],
      [g, 'g'],
    ] as const)
      expect(slice.chunk.bytes.toString('utf8', slice.start, slice.end)).toBe(text(fill));
  });

  it('start the buffer being written again when all it holds is released', () => {
    const arena = new TextArena();
    const text = 'x'.repeat(TextArena.CHUNK_BYTES - 100);
    const first = arena.write(text);
    arena.release(first);
    const second = arena.write(text);
    expect(second.chunk).toBe(first.chunk);
    expect(second.start).toBe(0);
  });

  it('keep every stored exchange readable while old ones are let go and their buffers reused', () => {
    // A store of about 40 exchanges, each 40–90 KB of stream texts and a body: hundreds of
    // buffers written again over 400 exchanges; a buffer reused too early would show here.
    const bus = new TrafficBus({ secrets: [], maxBytes: 3 * 1024 * 1024 });
    const published = new Map<string, TrafficEvent[]>();
    for (let n = 0; n < 400; n += 1) {
      const id = `x${String(n)}`;
      const stamp = (seq: number) => ({ exchangeId: id, seq, at: seq, t: seq });
      const events: TrafficEvent[] = [];
      const body = { model: 'claude-opus-4-8', n, pad: 'p'.repeat(n % 7 === 0 ? 300_000 : 500) };
      const start = exchangeStarted({ request: body, ...stamp(0) });
      bus.publish(start, new TextEncoder().encode(JSON.stringify(body)));
      events.push(start);
      const deltas = 200 + ((n * 37) % 250);
      for (let seq = 1; seq <= deltas; seq += 1) {
        const json = JSON.stringify({ n, seq, text: `${String(n)}é`.repeat(seq % 40) });
        const event: TrafficEvent = { type: 'upstream.event-received', json, ...stamp(seq) };
        bus.publish(event);
        events.push(event);
      }
      const finished: TrafficEvent = {
        type: 'exchange.finished',
        status: 200,
        stopReason: 'end_turn',
        ttfbMs: 1,
        durationMs: 2,
        ...stamp(deltas + 1),
      };
      bus.publish(finished);
      events.push(finished);
      published.set(id, events);
      if (n % 25 === 24) {
        const recent = bus.recent();
        const kept = [...new Set(recent.map((event) => event.exchangeId))];
        expect(kept.length).toBeGreaterThan(10);
        expect(recent).toEqual(kept.flatMap((keptId) => published.get(keptId) ?? []));
      }
    }
  });

  it('are what the bus gives a late subscriber once an exchange has ended', () => {
    const bus = new TrafficBus({ secrets: [] });
    for (const event of exchange) bus.publish(event);
    expect(bus.recent()).toEqual(exchange);
  });
});
