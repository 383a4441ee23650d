/**
 * A tiny incremental text/event-stream reader for tests (the WHATWG rules, minus id/retry).
 * Bytes go through a streaming TextDecoder, so a multi-byte character split across chunks
 * survives, and a line is only parsed once its `\n` has arrived, so a chunk may end anywhere:
 * mid-line, mid-field name, or between the `\r` and `\n` of a CRLF.
 */
export interface SseEvent {
  /** The `event:` field, or 'message' when the event had none. */
  readonly event: string;
  /** All `data:` lines of the event joined with \n, verbatim (trailing spaces included). */
  readonly data: string;
}

export class SseReader {
  readonly #decoder = new TextDecoder('utf-8');
  /** The current line, not yet terminated; kept as parts so 1-byte feeding stays linear. */
  #partial: string[] = [];
  #event = '';
  #data: string[] = [];

  /** Feeds the next chunk; returns the events it completed. */
  feed(chunk: Uint8Array | string): SseEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    return this.#take(text);
  }

  /** The input is over: flushes the decoder and the last unterminated line and event. */
  end(): SseEvent[] {
    const events = this.#take(this.#decoder.decode());
    if (this.#partial.length > 0) this.#line(this.#partial.join(''), events);
    this.#partial = [];
    this.#dispatch(events);
    return events;
  }

  #take(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      this.#partial.push(text.slice(start, newline));
      this.#line(this.#partial.join(''), events);
      this.#partial = [];
      start = newline + 1;
    }
    if (start < text.length) this.#partial.push(text.slice(start));
    return events;
  }

  #line(raw: string, events: SseEvent[]): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      this.#dispatch(events);
      return;
    }
    if (line.startsWith(':')) return; // comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    // id, retry and unknown fields: nothing the tests need
  }

  #dispatch(events: SseEvent[]): void {
    // An event with no data line is not dispatched (as in browsers), but its name is reset.
    if (this.#data.length > 0) {
      events.push({
        event: this.#event === '' ? 'message' : this.#event,
        data: this.#data.join('\n'),
      });
    }
    this.#event = '';
    this.#data = [];
  }
}

/** Parses a whole stream at once. */
export function parseSse(text: string | Uint8Array): SseEvent[] {
  const reader = new SseReader();
  return [...reader.feed(text), ...reader.end()];
}
