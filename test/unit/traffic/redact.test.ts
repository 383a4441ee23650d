import { describe, expect, it } from 'vitest';
import { REDACTED, redactUrl, textRedactor } from '../../../app/traffic/redact.ts';

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
});
