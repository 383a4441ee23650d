/**
 * Anthropic events -> text/event-stream frames. The frames of one tick (everything one network
 * read from the upstream produced) go out as one write, one HTTP chunk; a `ping` follows every
 * `pingIntervalMs` of silence so clients and proxies in between keep a long reasoning pause open.
 * A tick's frames are kept as pieces and joined once: concatenating them as they come would
 * build a tree of a few string nodes per event that the write then copies out again.
 */
import type { ServerResponse } from 'node:http';
import type { AnthropicStreamEvent } from '../protocol/anthropic-wire.ts';

const PING_FRAME = `event: ping\ndata: ${JSON.stringify({ type: 'ping' })}\n\n`;

/** The start of a frame for each event type, up to its data. */
const FRAME_HEADS: Readonly<Record<string, string>> = Object.fromEntries(
  (
    [
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
      'ping',
      'error',
    ] satisfies AnthropicStreamEvent['type'][]
  ).map((type) => [type, `event: ${type}\ndata: `]),
);

export class SseWriter {
  readonly #res: ServerResponse;
  readonly #pingTimer: NodeJS.Timeout;
  #ended = false;
  /** The pieces of the frames waiting for the end of this tick. */
  #pending: string[] = [];
  readonly #flush = (): void => {
    const frames = this.#take();
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
    if (events.length === 0 || this.#ended || this.#res.destroyed) return;
    if (this.#pending.length === 0) process.nextTick(this.#flush);
    for (let index = 0; index < events.length; index += 1) {
      const type = events[index]?.type ?? '';
      this.#pending.push(FRAME_HEADS[type] ?? `event: ${type}\ndata: `, texts[index] ?? '', '\n\n');
    }
    this.#pingTimer.refresh();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#pingTimer);
    const frames = this.#take();
    if (!this.#res.destroyed) this.#res.end(frames);
  }

  #write(frames: string): void {
    if (this.#ended || this.#res.destroyed) return;
    if (this.#pending.length === 0) process.nextTick(this.#flush);
    this.#pending.push(frames);
  }

  #take(): string {
    if (this.#pending.length === 0) return '';
    const frames = this.#pending.join('');
    this.#pending = [];
    return frames;
  }
}
