/**
 * rememberingCounter: long texts are counted once and then remembered, short ones every time;
 * what is kept stays under its bound, the least recently used going first.
 */
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { rememberingCounter } from '../../../app/upstream/remembered-counts.ts';

/** A counter that counts words, and the texts it was asked to count. */
function countingWords() {
  const asked: string[] = [];
  const count = (text: string): number => {
    asked.push(text);
    return text.split(' ').length;
  };
  return { asked, count };
}

const long = (word: string, words = 20): string =>
  Array.from({ length: words }, () => word).join(' ');

describe('rememberingCounter', () => {
  it('counts a long text once, and gives the same count when it comes again', () => {
    const { asked, count } = countingWords();
    const remembering = rememberingCounter(count, { minChars: 10, maxChars: 1_000 });
    const text = long('history');
    expect(remembering(text)).toBe(20);
    // A copy built apart, as the next request's parsed body is: equal text, another string.
    expect(remembering(long('history'))).toBe(20);
    expect(asked).toEqual([text]);
  });

  it('counts short texts every time', () => {
    const { asked, count } = countingWords();
    const remembering = rememberingCounter(count, { minChars: 10, maxChars: 1_000 });
    remembering('a b');
    remembering('a b');
    expect(asked).toEqual(['a b', 'a b']);
  });

  it('keeps no more characters than its bound, letting the least recently used go first', () => {
    const { asked, count } = countingWords();
    // Room for two texts of 20 words of 7 characters (159 characters each).
    const remembering = rememberingCounter(count, { minChars: 10, maxChars: 320 });
    const first = long('first..');
    const second = long('second.');
    const third = long('third..');
    remembering(first);
    remembering(second);
    remembering(first); // used again: now the second is the oldest
    remembering(third); // over the bound: the second goes
    asked.length = 0;
    remembering(first);
    remembering(third);
    expect(asked).toEqual([]);
    remembering(second);
    expect(asked).toEqual([second]);
  });

  it('does not keep a text longer than its whole bound', () => {
    const { asked, count } = countingWords();
    const remembering = rememberingCounter(count, { minChars: 10, maxChars: 50 });
    const huge = long('enormous', 40);
    remembering(huge);
    remembering(huge);
    expect(asked).toEqual([huge, huge]);
  });

  it('gives the real tokenizer’s counts, remembered or not', () => {
    const remembering = rememberingCounter(o200k);
    const text = (): string =>
      long('Parley translates every delta → and remembers long texts…', 40);
    expect(remembering(text())).toBe(o200k(text()));
    expect(remembering(text())).toBe(o200k(text()));
    expect(remembering('short')).toBe(o200k('short'));
  });
});
