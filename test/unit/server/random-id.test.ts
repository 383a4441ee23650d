import { describe, expect, it } from 'vitest';
import { randomId } from '../../../app/server/random-id.ts';

describe('randomId', () => {
  it('gives the prefix and 24 hex digits, never the same id twice across pool refills', () => {
    const ids = Array.from({ length: 2_000 }, () => randomId('msg_'));
    for (const id of ids) expect(id).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
