/**
 * The body of a streaming upstream response -> its JSON events, handed over as they arrive:
 * the events completed by each network read go to `onBatch` at once, inside that read's own
 * callback. Reading by callbacks instead of an async iterator spares every read the promise
 * hops of a stream iterator, a decoding step and a generator, which is most of what an event
 * costs once the upstream paces its tokens, as real ones do. Each event comes with its JSON text
 * as received, for the traffic record.
 *
 * Error semantics are the `openai` SDK's (its `Stream`, legacy mode): `data: [DONE]` ends the
 * stream; an `event: error` message or a payload with an `error` field rejects with the SDK's
 * APIError; a payload that is not JSON with a SyntaxError; an abort through `controller` ends
 * quietly. Ending early (an error, or `onBatch` saying stop) aborts the request; a stream read to
 * its end does not, and its connection goes back to the pool.
 */
import type { Readable } from 'node:stream';
import OpenAI, { type APIError } from 'openai';
import { takeEventStream } from './lean-fetch.ts';
import { SseDecoder, type SseMessage } from './sse-decoder.ts';

export interface UpstreamBatch {
  /** The events before any `[DONE]` or error, in order, parsed. */
  readonly events: readonly unknown[];
  /** Their JSON texts as received: `texts[i]` is what `events[i]` was parsed from. */
  readonly texts: readonly string[];
}

/** Takes a batch; `'stop'` ends the reading there and aborts the request. */
export type BatchHandler = (batch: UpstreamBatch) => 'stop' | undefined;

/**
 * Reads the stream to its end, `[DONE]`, an abort, or `onBatch`'s stop, and resolves then;
 * rejects with what the stream failed with (an error `onBatch` throws included).
 */
export function readUpstreamEvents(
  response: Response,
  controller: AbortController,
  onBatch: BatchHandler,
  onBytes?: () => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    new EventReading(response, controller, onBatch, resolve, reject, onBytes).start();
  });
}

/** How long a body may run on after `[DONE]` before it is cancelled. */
const AFTER_DONE_MS = 2_000;

/** Where a body is read from: a Node stream (the lean fetch's) or a web stream. */
interface BodySource {
  /** Stops the body; nothing more is delivered. */
  cancel(): void;
}

/** 'draining': past `[DONE]`, what follows is read and dropped so the connection is reusable. */
type State = 'reading' | 'draining' | 'finished';

class EventReading {
  readonly #response: Response;
  readonly #controller: AbortController;
  readonly #onBatch: BatchHandler;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;
  /**
   * Called for every chunk, events or not: a keep-alive comment (OpenRouter sends them while
   * the model works) or part of an event is a sign of life too, for the caller's idle watchdog.
   */
  readonly #onBytes: (() => void) | undefined;
  readonly #sse = new SseDecoder();
  readonly #utf8 = new TextDecoder();
  #state: State = 'reading';
  #body: BodySource | undefined;
  #drainDeadline: NodeJS.Timeout | undefined;
  // An abort ends the reading at once, whatever the body does with the signal.
  readonly #onAbort = (): void => {
    if (this.#state === 'reading') this.#finish(undefined);
  };

  constructor(
    response: Response,
    controller: AbortController,
    onBatch: BatchHandler,
    resolve: () => void,
    reject: (error: unknown) => void,
    onBytes?: () => void,
  ) {
    this.#onBytes = onBytes;
    this.#response = response;
    this.#controller = controller;
    this.#onBatch = onBatch;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(): void {
    const { signal } = this.#controller;
    if (signal.aborted) {
      this.#finish(undefined);
      return;
    }
    signal.addEventListener('abort', this.#onAbort, { once: true });
    const stream = takeEventStream(this.#response);
    if (stream) this.#body = this.#readNode(stream);
    else if (this.#response.body) this.#body = this.#readWeb(this.#response.body);
    else this.#finish(new OpenAI.OpenAIError('The upstream answered a stream with no body.'));
  }

  /**
   * The lean fetch's event stream, read as the Node stream it is. By 'readable' rather than
   * 'data': undici pushes each HTTP chunk (often one event each) separately, and what one
   * 'readable' finds buffered (what one network read brought) is one batch. Node 26 hands that
   * out one pushed chunk per `read()` (nodejs/node#60441), where 22 and 24 joined it all into
   * one. Taken one by one, each event was a batch of its own, with a write to the client each
   * (200 instead of one per stream), and Node 26 cost 12–29% more CPU per stream than 24. So the
   * chunks are joined here and decoded once (decoding each cost 14% more garbage on 26).
   */
  #readNode(stream: Readable): BodySource {
    stream.on('readable', () => {
      const chunks: Uint8Array[] = [];
      for (let chunk: unknown = stream.read(); chunk !== null; chunk = stream.read()) {
        chunks.push(chunk as Uint8Array);
      }
      const [first] = chunks;
      if (first) this.#chunk(chunks.length === 1 ? first : Buffer.concat(chunks));
    });
    stream.once('end', () => {
      this.#end();
    });
    // Stays attached after the reading is over: an unheard 'error' would crash the process.
    stream.on('error', (error) => {
      this.#failed(error);
    });
    stream.once('close', () => {
      if (this.#state !== 'finished') this.#failed(prematureClose());
    });
    return {
      cancel: () => {
        stream.destroy();
      },
    };
  }

  #readWeb(body: ReadableStream<Uint8Array>): BodySource {
    const reader = body.getReader();
    const pump = (): void => {
      reader.read().then(
        ({ done, value }) => {
          if (done) this.#end();
          else this.#chunk(value);
          if (!done && this.#state !== 'finished') pump();
        },
        (error: unknown) => {
          this.#failed(error);
        },
      );
    };
    pump();
    return {
      cancel: () => {
        reader.cancel().catch(() => undefined);
      },
    };
  }

  #chunk(bytes: Uint8Array): void {
    if (this.#state !== 'reading') return;
    this.#onBytes?.();
    this.#deliver(this.#sse.push(this.#utf8.decode(bytes, { stream: true })), false);
  }

  #end(): void {
    if (this.#state === 'reading') {
      this.#deliver([...this.#sse.push(this.#utf8.decode()), ...this.#sse.end()], true);
    } else if (this.#state === 'draining') this.#finish(undefined, { complete: true });
  }

  #failed(error: unknown): void {
    if (this.#state === 'reading') this.#finish(error);
    else if (this.#state === 'draining') this.#finish(undefined, { complete: true });
  }

  #deliver(messages: readonly SseMessage[], atEnd: boolean): void {
    const batch = parse(messages, this.#response.headers);
    if (batch.events.length > 0) {
      let verdict: 'stop' | undefined;
      try {
        verdict = this.#onBatch({ events: batch.events, texts: batch.texts });
      } catch (error) {
        this.#finish(error);
        return;
      }
      // The handler may have aborted the reading itself.
      if (this.#state !== 'reading') return;
      if (verdict === 'stop') {
        this.#finish(undefined);
        return;
      }
    }
    if (batch.error) this.#finish(batch.error);
    else if (batch.done && !atEnd) this.#drain();
    else if (batch.done || atEnd) this.#finish(undefined, { complete: true });
  }

  /**
   * Whatever follows `[DONE]` is read and dropped rather than cancelled: the body normally ends
   * right after it, and a cancel would abort the request (the connection lost to the pool). A
   * server that keeps the body open is cut after AFTER_DONE_MS.
   */
  #drain(): void {
    this.#state = 'draining';
    this.#controller.signal.removeEventListener('abort', this.#onAbort);
    this.#drainDeadline = setTimeout(() => {
      this.#finish(undefined, { complete: true });
      this.#body?.cancel();
    }, AFTER_DONE_MS);
    this.#resolve();
  }

  /**
   * Ends the reading, once. Unless the stream was complete, the request is aborted and the body
   * cancelled; an error is reported only if nobody aborted (an abort ends quietly).
   */
  #finish(error: unknown, { complete = false } = {}): void {
    const wasDraining = this.#state === 'draining';
    if (this.#state === 'finished') return;
    this.#state = 'finished';
    clearTimeout(this.#drainDeadline);
    const { signal } = this.#controller;
    signal.removeEventListener('abort', this.#onAbort);
    if (wasDraining) return;
    if (!complete) {
      const aborted = signal.aborted;
      this.#controller.abort();
      this.#body?.cancel();
      if (error !== undefined && !aborted) {
        this.#reject(error);
        return;
      }
    }
    this.#resolve();
  }
}

/** What a Node stream's own iterator throws when the stream closes before its end. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

interface Batch extends UpstreamBatch {
  readonly done: boolean;
  /** What the stream failed with after `events`; they are still delivered first. */
  readonly error?: Error;
}

function parse(messages: readonly SseMessage[], headers: Headers): Batch {
  const events: unknown[] = [];
  const texts: string[] = [];
  for (const message of messages) {
    if (message.data.trim() === '[DONE]') return { events, texts, done: true };
    let data: unknown;
    try {
      data = JSON.parse(message.data);
    } catch {
      const error = new SyntaxError('Error reading response: malformed server-sent event JSON.');
      return { events, texts, done: false, error };
    }
    const error = errorField(data);
    if (message.event === 'error' || error !== undefined) {
      const details = (error ?? data) as object;
      return {
        events,
        texts,
        done: false,
        error: new OpenAI.APIError(undefined, details, undefined, headers),
      };
    }
    events.push(data);
    texts.push(message.data);
  }
  return { events, texts, done: false };
}

/**
 * What a JSON answer to a streaming call means, before anything reaches the client: the error
 * some servers send with a 200, or a server that does not stream. Read as an event stream it
 * would be nothing, and the client would hear only that the stream ended early. Undefined for an
 * answer that is not JSON.
 */
export async function jsonAnswerToStream(response: Response): Promise<APIError | undefined> {
  if (!(response.headers.get('content-type') ?? '').toLowerCase().includes('json'))
    return undefined;
  const data: unknown = await response.json().catch(() => undefined);
  const error = errorField(data) as object | undefined;
  const details = error ?? {
    message:
      'The upstream answered a streaming request with one JSON body: it does not stream. Check the base URL and upstreamApi.',
  };
  return new OpenAI.APIError(undefined, details, undefined, response.headers);
}

/** A truthy `error` field, as the SDK tests it. */
function errorField(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || !('error' in data)) return undefined;
  const { error } = data;
  return error ? error : undefined;
}
