/**
 * Anthropic events -> text/event-stream frames. The frames of one tick (everything one network
 * read from the upstream produced) go out as one write, one HTTP chunk; a `ping` follows every
 * `pingIntervalMs` of silence so clients and proxies in between keep a long reasoning pause open.
 */
import type { ServerResponse } from 'node:http';
import type { AnthropicStreamEvent } from '../protocol/anthropic-wire.ts';

const PING_FRAME = `event: ping\ndata: ${JSON.stringify({ type: 'ping' })}\n\n`;

export class SseWriter {
  readonly #res: ServerResponse;
  readonly #pingTimer: NodeJS.Timeout;
  #ended = false;
  /** Frames waiting for the end of this tick. */
  #pending = '';
  readonly #flush = (): void => {
    const frames = this.#pending;
    this.#pending = '';
    if (frames !== '' && !this.#res.destroyed) this.#res.write(frames);
  };

  constructor(res: ServerResponse, pingIntervalMs: number) {
    this.#res = res;
    this.#pingTimer = setTimeout(() => {
      this.#write(PING_FRAME);
      this.#pingTimer.refresh();
    }, pingIntervalMs);
    this.#pingTimer.unref();
  }

  /** Sends the status line and headers; call once the upstream has answered (T16). */
  open(headers: Readonly<Record<string, string>>): void {
    this.#res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.#res.flushHeaders();
  }

  /** Sends events already serialised: `texts[i]` is `events[i]` as JSON. */
  send(events: readonly AnthropicStreamEvent[], texts: readonly string[]): void {
    if (events.length === 0) return;
    let frames = '';
    events.forEach((event, index) => {
      frames += `event: ${event.type}\ndata: ${texts[index] ?? ''}\n\n`;
    });
    this.#write(frames);
    this.#pingTimer.refresh();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#pingTimer);
    const frames = this.#pending;
    this.#pending = '';
    if (!this.#res.destroyed) this.#res.end(frames);
  }

  #write(frames: string): void {
    if (this.#ended || this.#res.destroyed) return;
    if (this.#pending === '') process.nextTick(this.#flush);
    this.#pending += frames;
  }
}
