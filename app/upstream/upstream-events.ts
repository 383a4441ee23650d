/**
 * The body of a streaming upstream response -> its JSON events, one batch per chunk read, so
 * the messages route awaits once per network read instead of once per event. Error semantics
 * are the `openai` SDK's (its `Stream`, legacy mode): `data: [DONE]` ends the stream; an
 * `event: error` message or a payload with an `error` field is thrown as the SDK's APIError;
 * a payload that is not JSON is a SyntaxError; an abort through `controller` ends quietly.
 */
import OpenAI from 'openai';
import { SseDecoder, type SseMessage } from './sse-decoder.ts';

export async function* upstreamEvents(
  response: Response,
  controller: AbortController,
): AsyncGenerator<readonly unknown[]> {
  const { body } = response;
  if (!body) throw new OpenAI.OpenAIError('The upstream answered a stream with no body.');
  const decoder = new SseDecoder();
  const text = new TextDecoder();
  let complete = false;
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      const batch = parse(decoder.push(text.decode(chunk, { stream: true })), response.headers);
      if (batch.length > 0) yield batch;
      if (batch.done) {
        complete = true;
        return;
      }
    }
    const last = parse([...decoder.push(text.decode()), ...decoder.end()], response.headers);
    complete = true;
    if (last.length > 0) yield last;
  } catch (error) {
    if (controller.signal.aborted) return;
    throw error;
  } finally {
    // Left early (a stop sequence, an error, the client went away): release the request. A
    // stream read to its end needs no abort, and its connection goes back to the pool.
    if (!complete) controller.abort();
  }
}

type Batch = unknown[] & { done?: true };

/** The JSON events of these messages, cut at `[DONE]` (then `done` is set). */
function parse(messages: readonly SseMessage[], headers: Headers): Batch {
  const events: Batch = [];
  for (const message of messages) {
    if (message.data === '[DONE]') {
      events.done = true;
      return events;
    }
    let data: unknown;
    try {
      data = JSON.parse(message.data);
    } catch {
      throw new SyntaxError('Error reading response: malformed server-sent event JSON.');
    }
    const error = errorField(data);
    if (message.event === 'error' || error !== undefined)
      throw new OpenAI.APIError(undefined, (error ?? data) as object, undefined, headers);
    events.push(data);
  }
  return events;
}

/** A truthy `error` field, as the SDK tests it. */
function errorField(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || !('error' in data)) return undefined;
  const { error } = data;
  return error ? error : undefined;
}
