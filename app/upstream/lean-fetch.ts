/**
 * The `fetch` the SDK calls, built on undici's `request` instead of its `fetch`. The SDK still
 * builds, authenticates, times, retries and types every call; this only carries it. Measured on
 * a bare Node pipe (bench/README.md), fetch's WHATWG layers (Request, Headers lists, a web
 * stream per body) cost 0.4 ms of CPU per 200-event stream, half of everything the pipe does.
 *
 * An event stream's body is not wrapped at all: the Response has none, and `takeEventStream`
 * hands the Node stream to the SSE reader. Every other body (errors, whole JSON answers) is read
 * first and given to an ordinary Response, as the SDK expects. Redirects are not followed (no
 * API answers one), and no compression is asked for, so none has to be undone.
 */
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';

/**
 * A response whose event-stream body is the Node stream itself, handed over once. The SDK keeps
 * the responses it returned (and its request options) reachable in ways V8's young-generation
 * collections cannot see through (WeakMaps, WeakRefs), so whatever a response still points to
 * outlives each request until the next full collection. Kept in a WeakMap, or left on the
 * response, the stream took the socket's state, its readers and the route's closures along:
 * 140 KB promoted to the old generation per scavenge at concurrency 1, scavenges of 1 ms; taken
 * off the response once read, 44 KB and 0.4 ms (`--trace-gc-nvp`).
 */
class EventStreamResponse extends Response {
  #stream: Readable | undefined;

  constructor(stream: Readable, init: ResponseInit) {
    super(null, init);
    this.#stream = stream;
  }

  /** The body's stream; undefined once taken. */
  take(): Readable | undefined {
    const stream = this.#stream;
    this.#stream = undefined;
    return stream;
  }
}

/** The Response this fetch gives for an event stream: `stream` is its body, for takeEventStream. */
export function eventStreamResponse(stream: Readable, init: ResponseInit): Response {
  return new EventStreamResponse(stream, init);
}

/**
 * The event-stream body of a response this fetch returned, as a Node stream: given to the first
 * caller only (its reader), and no longer held by the response.
 */
export function takeEventStream(response: Response): Readable | undefined {
  return response instanceof EventStreamResponse ? response.take() : undefined;
}

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A fetch option: called with the request body's bytes as they are sent, each time (a retry
 * sends them again). It is how the traffic record keeps what really went upstream; the SDK passes
 * it through with the rest of its `fetchOptions`.
 */
export const onBodySent: unique symbol = Symbol('parley.onBodySent');

export type BodySentListener = (bytes: Uint8Array) => void;

/** The fetch options this fetch reads beyond RequestInit's. */
export interface BodySentOption {
  readonly [onBodySent]?: BodySentListener | undefined;
}

export function leanFetch(dispatcher: Dispatcher): Fetch {
  return async (input, init = {}) => {
    if (input instanceof Request) throw new TypeError('leanFetch takes a URL, not a Request.');
    const { body } = init;
    if (body !== undefined && body !== null && typeof body !== 'string' && !isBytes(body))
      throw new TypeError('leanFetch sends strings and bytes only.');
    const sent = bodySent(init, body ?? null);
    const answer = await request(input, {
      method: init.method ?? 'GET',
      // A Headers object (what the SDK passes), a record or pairs: undici takes each as it is.
      headers: (init.headers ?? null) as NonNullable<Dispatcher.RequestOptions['headers']>,
      body: sent,
      ...(init.signal ? { signal: init.signal } : {}),
      dispatcher,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const each of value) headers.append(name, each);
      else if (value !== undefined) headers.append(name, value);
    }
    const status = answer.statusCode;
    const type = headers.get('content-type')?.toLowerCase() ?? '';
    const eventStream = status >= 200 && status < 300 && type.startsWith('text/event-stream');
    // Statuses whose Response may not have a body.
    const bodiless = status === 204 || status === 205 || status === 304;
    if (eventStream) return eventStreamResponse(answer.body, { status, headers });
    const whole = bodiless ? null : await answer.body.arrayBuffer();
    if (bodiless) answer.body.resume();
    return new Response(whole, { status, headers });
  };
}

/** The body to send; given to the `onBodySent` listener first, as bytes, if there is one. */
function bodySent(
  init: RequestInit & BodySentOption,
  body: string | Uint8Array<ArrayBuffer> | null,
): string | Uint8Array | null {
  const listener = init[onBodySent];
  if (!listener || body === null) return body;
  // Encoded here once, for the listener and the socket alike.
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  try {
    listener(bytes);
  } catch {
    // A record that fails must not fail the request.
  }
  return bytes;
}

function isBytes(body: NonNullable<RequestInit['body']>): body is Uint8Array<ArrayBuffer> {
  return body instanceof Uint8Array;
}
