/**
 * The body of a streaming upstream response -> its JSON events, one batch per chunk read, so
 * the messages route awaits once per network read instead of once per event. Each event comes
 * with its JSON text as received, for the traffic record. Error semantics are the `openai`
 * SDK's (its `Stream`, legacy mode): `data: [DONE]` ends the stream; an `event: error` message
 * or a payload with an `error` field is thrown as the SDK's APIError; a payload that is not
 * JSON is a SyntaxError; an abort through `controller` ends quietly.
 */
import OpenAI from 'openai';
import { eventStreamOf } from './lean-fetch.ts';
import { SseDecoder, type SseMessage } from './sse-decoder.ts';

export async function* upstreamEvents(
  response: Response,
  controller: AbortController,
): AsyncGenerator<UpstreamBatch> {
  const { signal } = controller;
  let body: TextChunks | undefined;
  // An abort ends a pending read at once, whatever the body does with the signal.
  const cancel = (): void => {
    body?.cancel();
  };
  signal.addEventListener('abort', cancel, { once: true });
  let complete = false;
  try {
    body = textChunks(response);
    const decoder = new SseDecoder();
    for (;;) {
      const { done, text } = await body.next();
      if (signal.aborted) return;
      const messages = done ? [...decoder.push(text), ...decoder.end()] : decoder.push(text);
      const batch = parse(messages, response.headers);
      if (batch.events.length > 0) yield { events: batch.events, texts: batch.texts };
      if (batch.error) throw batch.error;
      if (batch.done || done) {
        complete = true;
        if (!done) drainAfterDone(body);
        return;
      }
    }
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  } finally {
    signal.removeEventListener('abort', cancel);
    // Left early (a stop sequence, an error, the client went away): release the request. A
    // stream read to its end needs no abort, and its connection goes back to the pool.
    if (!complete) {
      controller.abort();
      cancel();
    }
  }
}

/** A body as text, a network read at a time; at the end, `text` is what the decoder held back. */
interface TextChunks {
  next(): Promise<{ readonly done: boolean; readonly text: string }>;
  /** Stops the body; a pending `next` ends. */
  cancel(): void;
}

function textChunks(response: Response): TextChunks {
  const decoder = new TextDecoder();
  const text = (done: boolean, value?: Uint8Array): { done: boolean; text: string } =>
    done
      ? { done: true, text: decoder.decode() }
      : { done: false, text: decoder.decode(value, { stream: true }) };
  const stream = eventStreamOf(response);
  if (stream) {
    // The lean fetch's event stream, read as a Node stream: no web stream in between.
    const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array, undefined>;
    return {
      next: async () => {
        const { done, value } = await chunks.next();
        return text(done === true, value);
      },
      cancel: () => {
        stream.destroy();
      },
    };
  }
  if (!response.body) throw new OpenAI.OpenAIError('The upstream answered a stream with no body.');
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  return {
    next: async () => {
      const { done, value } = await reader.read();
      return text(done, value);
    },
    cancel: () => {
      reader.cancel().catch(() => undefined);
    },
  };
}

/** How long a body may run on after `[DONE]` before it is cancelled. */
const AFTER_DONE_MS = 2_000;

/**
 * Whatever follows `[DONE]` is read and dropped rather than cancelled: the body normally ends
 * right after it, and a cancel would abort the request (the connection lost to the pool). A
 * server that keeps the body open is cut after AFTER_DONE_MS.
 */
function drainAfterDone(body: TextChunks): void {
  const deadline = setTimeout(() => {
    body.cancel();
  }, AFTER_DONE_MS);
  const stop = (): void => {
    clearTimeout(deadline);
  };
  const next = (): void => {
    body.next().then((result) => {
      if (result.done) stop();
      else next();
    }, stop);
  };
  next();
}

export interface UpstreamBatch {
  /** The events before any `[DONE]` or error, in order, parsed. */
  readonly events: readonly unknown[];
  /** Their JSON texts as received: `texts[i]` is what `events[i]` was parsed from. */
  readonly texts: readonly string[];
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
    if (message.data === '[DONE]') return { events, texts, done: true };
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

/** A truthy `error` field, as the SDK tests it. */
function errorField(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || !('error' in data)) return undefined;
  const { error } = data;
  return error ? error : undefined;
}
