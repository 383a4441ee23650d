/**
 * Stop-sequence emulation (the Responses API has no `stop`). Text goes through the matcher delta
 * by delta; it holds back only a tail that could still become a stop sequence, so a match split
 * across deltas is found and nothing after it is ever emitted.
 */
export interface StopMatch {
  /** Text that can go to the client now. */
  readonly emit: string;
  /** The stop sequence that matched; nothing after it may be sent. */
  readonly matched?: string;
}

export class StopSequenceMatcher {
  readonly #sequences: readonly string[];
  #held = '';

  constructor(sequences: readonly string[]) {
    this.#sequences = sequences.filter((sequence) => sequence !== '');
  }

  get active(): boolean {
    return this.#sequences.length > 0;
  }

  push(text: string): StopMatch {
    if (!this.active) return { emit: text };
    const buffer = this.#held + text;
    let best: { at: number; sequence: string } | undefined;
    for (const sequence of this.#sequences) {
      const at = buffer.indexOf(sequence);
      if (at !== -1 && (best === undefined || at < best.at)) best = { at, sequence };
    }
    if (best) {
      this.#held = '';
      return { emit: buffer.slice(0, best.at), matched: best.sequence };
    }
    const keep = this.#longestPendingPrefix(buffer);
    this.#held = buffer.slice(buffer.length - keep);
    return { emit: buffer.slice(0, buffer.length - keep) };
  }

  /** At the end of a text block the held tail was not a stop sequence after all. */
  flush(): string {
    const held = this.#held;
    this.#held = '';
    return held;
  }

  #longestPendingPrefix(buffer: string): number {
    let longest = 0;
    for (const sequence of this.#sequences) {
      for (let length = Math.min(sequence.length - 1, buffer.length); length > longest; length--) {
        if (buffer.endsWith(sequence.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}

/** The same rule for a finished text: cut at the earliest stop sequence. */
export function cutAtStopSequence(text: string, sequences: readonly string[]): StopMatch {
  const matcher = new StopSequenceMatcher(sequences);
  const result = matcher.push(text);
  return result.matched === undefined ? { emit: result.emit + matcher.flush() } : result;
}
