import { describe, expect, it } from 'vitest';
import { REDACTED, redactUrl, textRedactor, valueRedactor } from '../../../app/traffic/redact.ts';

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
