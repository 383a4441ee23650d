/**
 * A token counter that remembers what it counted for long texts. Claude Code sends the whole
 * conversation with every turn, so all but the last messages of a request were counted the turn
 * before: once a session is near its context window the pre-flight check counts every request
 * (prompt-size.ts), and /context counts it again in 14 parts. Counting the fixtures' 89 KB
 * Claude Code turn took 15–20 ms each time; remembered, 2 ms, and the next turn with two more
 * messages 2 ms. A remembered text costs a lookup: V8 hashes a string of up to 16,383 characters
 * whole (about 1.6 ns a character) and a longer one by its length alone; a hit compares it once.
 */

export type Counter = (text: string) => number;

export interface RememberOptions {
  /** Shorter texts are counted every time: that is cheaper than keeping them. */
  readonly minChars: number;
  /** The characters of all texts kept; the least recently used go first when over. */
  readonly maxChars: number;
}

/** Texts of a few hundred characters count in microseconds; 4 M characters is 4–8 MB kept. */
const REMEMBER_DEFAULTS: RememberOptions = { minChars: 512, maxChars: 4_000_000 };

export function rememberingCounter(
  count: Counter,
  { minChars, maxChars }: RememberOptions = REMEMBER_DEFAULTS,
): Counter {
  // In the order last used: a Map iterates in insertion order, so the first is the oldest.
  const counts = new Map<string, number>();
  let keptChars = 0;
  return (text) => {
    if (text.length < minChars) return count(text);
    const known = counts.get(text);
    if (known !== undefined) {
      counts.delete(text);
      counts.set(text, known);
      return known;
    }
    const counted = count(text);
    if (text.length > maxChars) return counted;
    counts.set(text, counted);
    keptChars += text.length;
    for (const oldest of counts.keys()) {
      if (keptChars <= maxChars) break;
      counts.delete(oldest);
      keptChars -= oldest.length;
    }
    return counted;
  };
}
