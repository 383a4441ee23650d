import { describe, expect, it } from 'vitest';
import {
  REDACTED,
  redactHeaders,
  secretHeaderValues,
  valueRedactor,
} from '../../../app/traffic/redact.ts';
import { TrafficBus } from '../../../app/traffic/traffic-bus.ts';
import type { JsonValue, TrafficEvent } from '../../../app/traffic/traffic-event.ts';
import { exchangeStarted } from '../../support/traffic-events.ts';

const base = (exchangeId: string, seq: number) => ({ exchangeId, seq, at: 1, t: 1 });
const started = (exchangeId: string, request: JsonValue = {}): TrafficEvent =>
  exchangeStarted({
    ...base(exchangeId, 0),
    headers: {
      'x-api-key': 'parley-secret-key-123',
      authorization: 'Bearer parley-secret-key-123',
      'x-custom-token': 'abc',
      'user-agent': 'claude-cli',
    },
    request,
  });
const sent = (exchangeId: string, seq: number): TrafficEvent => ({
  ...base(exchangeId, seq),
  type: 'client.event-sent',
  event: 'ping',
  json: '{"type":"ping"}',
});
const finished = (exchangeId: string, seq: number): TrafficEvent => ({
  ...base(exchangeId, seq),
  type: 'exchange.finished',
  status: 200,
  stopReason: 'end_turn',
  ttfbMs: 1,
  durationMs: 2,
});

describe('redaction', () => {
  it('redacts headers by name, failing closed', () => {
    expect(
      redactHeaders({
        'x-api-key': 'k',
        Authorization: 'Bearer k',
        cookie: 'c',
        'x-goog-api-key': 'g',
        'proxy-authorization': 'p',
        'x-session-token': 's',
        'content-type': 'application/json',
        'anthropic-beta': 'a,b',
      }),
    ).toEqual({
      'x-api-key': REDACTED,
      Authorization: REDACTED,
      cookie: REDACTED,
      'x-goog-api-key': REDACTED,
      'proxy-authorization': REDACTED,
      'x-session-token': REDACTED,
      'content-type': 'application/json',
      'anthropic-beta': 'a,b',
    });
  });

  it('replaces secrets wherever they appear in a body, and leaves field names alone', () => {
    const redact = valueRedactor(['parley-secret-key-123', 'sk-upstream-secret-456', undefined]);
    expect(
      redact({
        max_tokens: 10,
        text: 'use parley-secret-key-123 now',
        nested: [{ deep: 'sk-upstream-secret-456' }],
        'parley-secret-key-123': true,
      }),
    ).toEqual({
      max_tokens: 10,
      text: `use ${REDACTED} now`,
      nested: [{ deep: REDACTED }],
      [REDACTED]: true,
    });
  });

  it('takes the credentials of headers named like secrets, with and without their scheme', () => {
    expect(
      secretHeaderValues({
        'cf-aig-authorization': 'Bearer gw-0123456789',
        'x-portkey-api-key': 'pk-abcdef',
        'HTTP-Referer': 'https://example.com',
      }),
    ).toEqual(['Bearer gw-0123456789', 'gw-0123456789', 'pk-abcdef', 'pk-abcdef']);
  });

  it('ignores secrets too short to redact safely', () => {
    expect(valueRedactor(['', 'ab'])({ text: 'ab' })).toEqual({ text: 'ab' });
  });
});

describe('TrafficBus', () => {
  it('publishes redacted events to subscribers and the store alike', () => {
    const bus = new TrafficBus({ secrets: ['parley-secret-key-123'] });
    const seen: TrafficEvent[] = [];
    bus.subscribe((event) => seen.push(event));
    bus.publish(started('a', { prompt: 'my key is parley-secret-key-123' }));
    const text = JSON.stringify([seen, bus.recent()]);
    expect(text).not.toContain('parley-secret-key-123');
    expect(seen[0]).toMatchObject({
      headers: { 'user-agent': 'claude-cli', 'x-api-key': REDACTED, 'x-custom-token': REDACTED },
      request: { prompt: `my key is ${REDACTED}` },
    });
  });

  it('keeps only the last exchanges', () => {
    const bus = new TrafficBus({ secrets: [], maxExchanges: 2 });
    for (const id of ['a', 'b', 'c']) bus.publish(started(id));
    expect(bus.recent().map((event) => event.exchangeId)).toEqual(['b', 'c']);
  });

  it('bounds the stream events kept per exchange, but keeps its tool calls, usage and ending', () => {
    const bus = new TrafficBus({ secrets: [], maxStreamEventsPerExchange: 2 });
    bus.publish(started('a'));
    for (let seq = 1; seq <= 5; seq++) bus.publish(sent('a', seq));
    bus.publish({
      ...base('a', 6),
      type: 'tool-call.completed',
      toolUseId: 'toolu_1',
      name: 'Write',
      input: {},
    });
    bus.publish(finished('a', 7));
    expect(bus.recent().map((event) => event.seq)).toEqual([0, 1, 2, 6, 7]);
    expect(bus.droppedFromStore).toBe(3);
  });

  it('bounds the other events of an exchange too, its ending always kept', () => {
    const bus = new TrafficBus({ secrets: [], maxEventsPerExchange: 2 });
    bus.publish(started('a'));
    for (let seq = 1; seq <= 3; seq++)
      bus.publish({
        ...base('a', seq),
        type: 'tool-call.started',
        toolUseId: `t${seq}`,
        name: 'f',
      });
    bus.publish(finished('a', 4));
    expect(bus.recent().map((event) => event.seq)).toEqual([0, 1, 4]);
  });

  it('does not bring back an exchange evicted while it ran, as one without its start', () => {
    const bus = new TrafficBus({ secrets: [], maxExchanges: 2 });
    bus.publish(started('a'));
    bus.publish(started('b'));
    bus.publish(started('c'));
    // 'a' was evicted running: its later events are not kept.
    bus.publish(sent('a', 1));
    bus.publish(finished('a', 2));
    expect(bus.recent().map((event) => event.exchangeId)).toEqual(['b', 'c']);
    bus.publish(finished('b', 1));
    expect(bus.recent().map((event) => [event.exchangeId, event.seq])).toEqual([
      ['b', 0],
      ['b', 1],
      ['c', 0],
    ]);
  });

  it('drops a subscriber that throws; the others and the publisher carry on', () => {
    const bus = new TrafficBus({ secrets: [] });
    let calls = 0;
    bus.subscribe(() => {
      throw new Error('broken window');
    });
    bus.subscribe(() => (calls += 1));
    expect(() => {
      bus.publish(started('a'));
      bus.publish(finished('a', 1));
    }).not.toThrow();
    expect(calls).toBe(2);
  });

  it('stops calling a subscriber after it unsubscribes', () => {
    const bus = new TrafficBus({ secrets: [] });
    let calls = 0;
    const unsubscribe = bus.subscribe(() => (calls += 1));
    bus.publish(started('a'));
    unsubscribe();
    bus.publish(finished('a', 1));
    expect(calls).toBe(1);
  });
});

describe('the byte bound', () => {
  it('lets the oldest exchanges go when the bodies kept pass maxBytes, keeping the newest', () => {
    // A body kept as objects counts twice its JSON (what it takes in the heap): 40 KB each here.
    const bus = new TrafficBus({ secrets: [], maxBytes: 100_000 });
    const body = { prompt: 'x'.repeat(20_000) };
    for (const id of ['a', 'b', 'c', 'd']) bus.publish(started(id, body));
    expect([...new Set(bus.recent().map((event) => event.exchangeId))]).toEqual(['c', 'd']);
    expect(bus.storedBytes).toBeGreaterThan(80_000);
    expect(bus.storedBytes).toBeLessThanOrEqual(100_000);
    const huge = new TrafficBus({ secrets: [], maxBytes: 1_000 });
    huge.publish(started('only', body));
    expect(huge.recent().map((event) => event.exchangeId)).toEqual(['only']);
  });
});

describe('bodies published with their bytes', () => {
  const wire = (text: string): Uint8Array => new TextEncoder().encode(text);
  const secret = 'parley-secret-key-123';

  it('keeps a clean body as its bytes, counted once, and gives it back parsed from them', () => {
    const bus = new TrafficBus({ secrets: [secret] });
    const text = JSON.stringify({ model: 'm', prompt: 'x'.repeat(10_000), stream: true });
    // The event's own body is a stand-in: the bytes are what went over the wire.
    bus.publish(started('a', { model: 'm' }), wire(text));
    const [kept] = bus.recent();
    expect(kept).toMatchObject({
      type: 'exchange.started',
      request: JSON.parse(text) as JsonValue,
    });
    expect(kept).toMatchObject({ headers: { 'x-api-key': REDACTED } });
    expect(bus.storedBytes).toBeGreaterThanOrEqual(text.length);
    expect(bus.storedBytes).toBeLessThan(text.length * 1.2); // not the 2x of parsed objects
  });

  it('gives live listeners the body parsed from the bytes too', () => {
    const bus = new TrafficBus({ secrets: [secret] });
    const seen: TrafficEvent[] = [];
    bus.subscribe((event) => seen.push(event));
    bus.publish(started('a', { stand: 'in' }), wire('{"model":"m","stream":true}'));
    expect(seen).toEqual(bus.recent());
    expect(seen[0]).toMatchObject({ request: { model: 'm', stream: true } });
  });

  it('finds a secret the text hides behind an escape, and keeps the body redacted', () => {
    const bus = new TrafficBus({ secrets: [secret] });
    const seen: TrafficEvent[] = [];
    bus.subscribe((event) => seen.push(event));
    // "\u002d" is "-": the bytes never spell the key, the parsed value does.
    const text = '{"prompt":"parley\\u002dsecret-key-123"}';
    expect(text).not.toContain(secret);
    bus.publish(started('a', JSON.parse(text) as JsonValue), wire(text));
    expect(JSON.stringify([seen, bus.recent()])).not.toContain(secret);
    expect(bus.recent()[0]).toMatchObject({ request: { prompt: REDACTED } });
  });

  it('finds a secret only the bytes hold (a duplicate key parsing drops)', () => {
    const bus = new TrafficBus({ secrets: [secret] });
    const text = `{"prompt":"${secret}","prompt":"clean"}`;
    bus.publish(started('a', JSON.parse(text) as JsonValue), wire(text));
    const stored = JSON.stringify(bus.recent());
    expect(stored).not.toContain(secret);
    expect(bus.recent()[0]).toMatchObject({ request: { prompt: 'clean' } });
  });

  it('reads bytes that start with a byte-order mark, as body-parser does', () => {
    const bus = new TrafficBus({ secrets: [secret] });
    const seen: TrafficEvent[] = [];
    bus.subscribe((event) => seen.push(event));
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
    const json = (text: string): Uint8Array => new Uint8Array([...bom, ...wire(text)]);
    bus.publish(started('a', { model: 'm' }), json('{"model":"m"}'));
    // With a secret behind an escape: found in the value, redacted in what is kept and sent.
    const escaped = '{"prompt":"parley\\u002dsecret-key-123"}';
    bus.publish(started('b', JSON.parse(escaped) as JsonValue), json(escaped));
    expect(bus.recent().map((event) => event.type === 'exchange.started' && event.request)).toEqual(
      [{ model: 'm' }, { prompt: REDACTED }],
    );
    expect(seen).toEqual(bus.recent());
    expect(JSON.stringify(seen)).not.toContain(secret);
  });

  it('keeps bytes that are not JSON as their text, without throwing', () => {
    const bus = new TrafficBus({ secrets: [secret] });
    expect(() => {
      bus.publish(started('a', { stand: 'in' }), wire('not json'));
    }).not.toThrow();
    expect(bus.recent()[0]).toMatchObject({ request: 'not json' });
  });

  it('lets exchanges go by the bytes of their bodies', () => {
    const bus = new TrafficBus({ secrets: [], maxBytes: 50_000 });
    const text = JSON.stringify({ prompt: 'x'.repeat(20_000) });
    for (const id of ['a', 'b', 'c', 'd']) bus.publish(started(id), wire(text));
    expect([...new Set(bus.recent().map((event) => event.exchangeId))]).toEqual(['c', 'd']);
  });
});
