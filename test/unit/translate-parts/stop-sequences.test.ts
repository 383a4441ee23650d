import { describe, expect, it } from 'vitest';
import { StopSequenceMatcher, cutAtStopSequence } from '../../../app/translate/stop-sequences.ts';

/** Feeds text in the given pieces and returns what was emitted and which sequence matched. */
function feed(sequences: string[], pieces: string[]): { emitted: string; matched?: string } {
  const matcher = new StopSequenceMatcher(sequences);
  let emitted = '';
  for (const piece of pieces) {
    const result = matcher.push(piece);
    emitted += result.emit;
    if (result.matched !== undefined) return { emitted, matched: result.matched };
  }
  return { emitted: emitted + matcher.flush() };
}

/** Every way to cut `text` into two pieces, plus one character at a time. */
function splits(text: string): string[][] {
  const ways = [Array.from(text)];
  for (let at = 0; at <= text.length; at++) ways.push([text.slice(0, at), text.slice(at)]);
  return ways;
}

describe('StopSequenceMatcher', () => {
  it('finds a sequence however the text is split, and emits nothing after it', () => {
    const text = 'alpha beta\n\nHuman: gamma';
    for (const pieces of splits(text)) {
      expect(feed(['\n\nHuman:'], pieces)).toEqual({
        emitted: 'alpha beta',
        matched: '\n\nHuman:',
      });
    }
  });

  it('gives back a held tail that turned out not to be a stop sequence', () => {
    for (const pieces of splits('ends with END- almost')) {
      expect(feed(['END-STOP'], pieces)).toEqual({ emitted: 'ends with END- almost' });
    }
  });

  it('reports the earliest of several sequences', () => {
    expect(feed(['world', 'lo w'], ['hello world'])).toEqual({ emitted: 'hel', matched: 'lo w' });
  });

  it('passes text straight through without sequences and ignores empty ones', () => {
    const matcher = new StopSequenceMatcher(['']);
    expect(matcher.active).toBe(false);
    expect(matcher.push('anything')).toEqual({ emit: 'anything' });
  });

  it('never splits a surrogate pair when it holds text back', () => {
    const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    const matcher = new StopSequenceMatcher(['😀😁']);
    const emitted: string[] = [];
    for (const piece of Array.from('smile 😀😀 STOP 😀')) emitted.push(matcher.push(piece).emit);
    emitted.push(matcher.flush());
    expect(emitted.join('')).toBe('smile 😀😀 STOP 😀');
    for (const piece of emitted) expect(piece).not.toMatch(loneSurrogate);
  });
});

describe('cutAtStopSequence', () => {
  it('cuts a finished text at the first match', () => {
    expect(cutAtStopSequence('a STOP b STOP', ['STOP'])).toEqual({ emit: 'a ', matched: 'STOP' });
    expect(cutAtStopSequence('no match', ['STOP'])).toEqual({ emit: 'no match' });
  });
});
