/**
 * text/event-stream -> messages (the WHATWG event-stream grammar), fed text as it arrives, in
 * chunks split anywhere. A pure state machine: lines end in LF, CRLF or a lone CR (a CR at the
 * end of a chunk waits to see whether an LF follows); `data` lines join with LF; comments and
 * the fields this proxy has no use for (`id`, `retry`) are skipped; a blank line dispatches.
 *
 * It exists because the `openai` SDK's stream iteration costs about 1.1 ms of CPU per
 * 200-delta stream (three nested async generators per event), measured against 0.16 ms for
 * this reader plus JSON.parse: most of Parley's per-stream budget. The SDK still makes every
 * call; only the reading of the body is ours.
 */

export interface SseMessage {
  /** The `event:` field, or null when the message had none. */
  readonly event: string | null;
  readonly data: string;
}

export class SseDecoder {
  /** The unfinished line, in the pieces it came in (joined only once it ends: a long line is
   * not rescanned at every chunk). Holds no line break. */
  #partial: string[] = [];
  /** The last chunk ended in CR: the next may begin with its LF. */
  #pendingCr = false;
  #event: string | null = null;
  #data: string[] = [];
  #hasData = false;

  /** Messages completed by this chunk of text. */
  push(text: string): SseMessage[] {
    let chunk = this.#pendingCr ? `\r${text}` : text;
    this.#pendingCr = chunk.endsWith('\r');
    if (this.#pendingCr) chunk = chunk.slice(0, -1);
    if (!chunk.includes('\n') && !chunk.includes('\r')) {
      if (chunk !== '') this.#partial.push(chunk);
      return [];
    }
    let buffer = this.#partial.join('') + chunk;
    this.#partial = [];
    if (buffer.includes('\r')) buffer = buffer.replace(/\r\n?/g, '\n');

    const messages: SseMessage[] = [];
    let start = 0;
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n', start)) {
      const message = this.#line(buffer.slice(start, end));
      if (message) messages.push(message);
      start = end + 1;
    }
    if (start < buffer.length) this.#partial.push(buffer.slice(start));
    return messages;
  }

  /** The stream ended: a last message without its blank line still counts (servers omit it). */
  end(): SseMessage[] {
    const rest = this.#partial.join('');
    this.#partial = [];
    this.#pendingCr = false;
    const messages: SseMessage[] = [];
    for (const line of [rest, '']) {
      const message = this.#line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  #line(line: string): SseMessage | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.#data.push(value);
      this.#hasData = true;
    } else if (field === 'event') this.#event = value;
    return undefined;
  }

  #dispatch(): SseMessage | undefined {
    const message = this.#hasData ? { event: this.#event, data: this.#data.join('\n') } : undefined;
    this.#event = null;
    this.#data = [];
    this.#hasData = false;
    return message;
  }
}
