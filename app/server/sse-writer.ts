/**
 * Anthropic events -> text/event-stream frames. Events are queued and go out with the next
 * `flush()` (or `end()`): the messages route flushes once per upstream read, so everything one
 * read produced is one write, one HTTP chunk. A `ping` follows every `pingIntervalMs` of silence
 * so clients and proxies in between keep a long reasoning pause open. Frames are kept as pieces
 * and joined once per write: concatenating them as they come would build a tree of a few string
 * nodes per event that the write then copies out again.
 */
import type { ServerResponse } from 'node:http';
import type { AnthropicStreamEvent } from '../protocol/anthropic-wire.ts';
import { SilenceTimer } from './silence-timer.ts';

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
  readonly #silence: SilenceTimer;
  #ended = false;
  /** Something (frames, a ping, the end) went out: the headers with it. */
  #wrote = false;
  /** The pieces of the frames queued since the last write. */
  #pending: string[] = [];

  constructor(res: ServerResponse, pingIntervalMs: number) {
    this.#res = res;
    this.#silence = new SilenceTimer(
      pingIntervalMs,
      () => {
        if (this.#ended || this.#res.destroyed) return;
        this.#wrote = true;
        this.#res.write(PING_FRAME);
      },
      { repeat: true },
    ).unref();
  }

  /**
   * Sends the status line and headers; call once the upstream has answered (T16). They go out
   * with the first frames, in one write, when those are ready by the next turn of the event loop
   * (the upstream's first events usually come in the read that brought its headers); otherwise
   * alone then, so a client waiting on an upstream that thinks first still sees its 200 at once.
   */
  open(headers: Readonly<Record<string, string>>): void {
    this.#res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    setImmediate(() => {
      if (!this.#wrote && !this.#res.destroyed) this.#res.flushHeaders();
    });
  }

  /** Queues events already serialised (`texts[i]` is `events[i]` as JSON) for the next flush. */
  queue(events: readonly AnthropicStreamEvent[], texts: readonly string[]): void {
    if (events.length === 0 || this.#ended || this.#res.destroyed) return;
    for (let index = 0; index < events.length; index += 1) {
      const type = events[index]?.type ?? '';
      this.#pending.push(FRAME_HEADS[type] ?? `event: ${type}\ndata: `, texts[index] ?? '', '\n\n');
    }
  }

  /** Writes what is queued, as one write. */
  flush(): void {
    const frames = this.#take();
    if (frames === '' || this.#res.destroyed) return;
    this.#wrote = true;
    this.#res.write(frames);
    this.#silence.touch();
  }

  /** Writes what is queued and ends the response. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#silence.stop();
    const frames = this.#take();
    this.#wrote = true;
    if (!this.#res.destroyed) this.#res.end(frames);
  }

  #take(): string {
    if (this.#pending.length === 0) return '';
    const frames = this.#pending.join('');
    this.#pending = [];
    return frames;
  }
}
