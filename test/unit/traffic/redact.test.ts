import { describe, expect, it } from 'vitest';
import {
  bodySecretFinder,
  REDACTED,
  redactUrl,
  textRedactor,
  valueRedactor,
} from '../../../app/traffic/redact.ts';

describe('redactUrl', () => {
  it('hides the values of query parameters named like secrets, and keeps the rest', () => {
    expect(redactUrl('/inspector/?key=parley-abc&view=live')).toBe(
      `/inspector/?key=${REDACTED}&view=live`,
    );
    expect(redactUrl('/v1/messages?beta=true')).toBe('/v1/messages?beta=true');
    expect(redactUrl('/x?access%5Ftoken=abc&api_key')).toBe(
      `/x?access%5Ftoken=${REDACTED}&api_key=${REDACTED}`,
    );
    expect(redactUrl('/v1/models')).toBe('/v1/models');
  });
});

describe('textRedactor', () => {
  it('replaces every occurrence of each secret, and leaves short values alone', () => {
    const redact = textRedactor(['sk-upstream-0123456789', undefined, 'short']);
    expect(
      redact('Incorrect API key provided: sk-upstream-0123456789 (sk-upstream-0123456789)'),
    ).toBe(`Incorrect API key provided: ${REDACTED} (${REDACTED})`);
    expect(redact('a short word')).toBe('a short word');
  });

  it('takes secrets literally, and a secret containing another goes whole', () => {
    const redact = textRedactor([
      'key.with+(meta)$^',
      'parley-key-12345678',
      'parley-key-12345678-long',
    ]);
    expect(redact('a key.with+(meta)$^ b keyXwith+(meta)$^')).toBe(
      `a ${REDACTED} b keyXwith+(meta)$^`,
    );
    expect(redact('parley-key-12345678-long and parley-key-12345678')).toBe(
      `${REDACTED} and ${REDACTED}`,
    );
    expect(textRedactor([undefined, 'short'])('short stays')).toBe('short stays');
  });
});

describe('valueRedactor', () => {
  const secret = 'sk-upstream-0123456789';
  const redact = valueRedactor([secret]);

  it('gives back the very same object when nothing in it is secret (no copy per event)', () => {
    const event = {
      type: 'content_block_delta',
      index: 0,
      delta: { text: 'hello', list: [1, 'a'] },
    };
    expect(redact(event)).toBe(event);
  });

  it('replaces a secret at any depth, in values and in keys, and leaves the original alone', () => {
    const value = { a: [{ b: `x ${secret} y` }, 'plain'], [secret]: 1, c: { d: 2 } };
    const redacted = redact(value);
    expect(redacted).toEqual({
      a: [{ b: `x ${REDACTED} y` }, 'plain'],
      [REDACTED]: 1,
      c: { d: 2 },
    });
    expect(value.a[0]).toEqual({ b: `x ${secret} y` });
    expect(redacted.c).toBe(value.c);
  });
});

describe('bodySecretFinder', () => {
  const secret = 'sk-upstream/0123456789';
  const find = bodySecretFinder([secret, 'parley-proxy-key-abcdef']);
  const check = (json: string): boolean => find(JSON.parse(json), Buffer.from(json, 'utf8'));

  it('finds a secret written as it is, or hidden behind an escape JSON allows', () => {
    expect(check(JSON.stringify({ text: `see ${secret}` }))).toBe(true);
    expect(check(JSON.stringify({ [`k ${secret}`]: 1 }))).toBe(true);
    // The same characters, some written as \u escapes or as \/: only the parsed value shows it.
    expect(check('{"text":"sk-upstream\\/0123456789"}')).toBe(true);
    expect(check('{"text":"\\u0073k-upstream/0123456789"}')).toBe(true);
    expect(check('{"a":["x",{"b":"parley-proxy-\\u006bey-abcdef"}]}')).toBe(true);
    // A duplicate key's first value is gone once parsed, but not from the bytes kept.
    expect(check(`{"a":"${secret}","a":"x"}`)).toBe(true);
  });

  it('reads the bytes themselves when given no value', () => {
    const escaped = Buffer.from('{"text":"\\u0073k-upstream/0123456789"}', 'utf8');
    expect(find(null, escaped)).toBe(true);
    expect(find(null, Buffer.from('{"text":"\\u0073k-upstream 0123456789"}', 'utf8'))).toBe(false);
    expect(find(null, Buffer.from('not json \\u0073', 'utf8'))).toBe(false);
  });

  it('finds nothing where nothing is, escapes or not', () => {
    expect(check(JSON.stringify({ text: 'line\nbreak "quoted" C:\\users', n: [1, null] }))).toBe(
      false,
    );
    expect(check('{"text":"\\u0073k-upstream 0123456789"}')).toBe(false);
  });

  it('walks the value when a secret has characters JSON writes escaped', () => {
    const quoted = 'a "quoted" secret';
    const findQuoted = bodySecretFinder([quoted]);
    const json = JSON.stringify({ text: `x ${quoted} y` });
    expect(findQuoted(JSON.parse(json), Buffer.from(json))).toBe(true);
  });
});
