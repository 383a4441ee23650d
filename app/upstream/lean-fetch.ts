/**
 * The `fetch` the SDK calls, built on undici's `request` instead of its `fetch`. The SDK still
 * builds, authenticates, times, retries and types every call; this only carries it. Measured on
 * a bare Node pipe (bench/README.md), fetch's WHATWG layers (Request, Headers lists, a web
 * stream per body) cost 0.4 ms of CPU per 200-event stream, half of everything the pipe does.
 *
 * An event stream's body is not wrapped at all: the Response has none, and `eventStreamOf`
 * hands the Node stream to the SSE reader. Every other body (errors, whole JSON answers) is read
 * first and given to an ordinary Response, as the SDK expects. Redirects are not followed (no
 * API answers one), and no compression is asked for, so none has to be undone.
 */
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';

/** The event-stream bodies of the responses this fetch returned, to be read as Node streams. */
const eventStreams = new WeakMap<Response, Readable>();

export function eventStreamOf(response: Response): Readable | undefined {
  return eventStreams.get(response);
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
    const whole = eventStream || bodiless ? null : await answer.body.arrayBuffer();
    if (bodiless) answer.body.resume();
    const response = new Response(whole, { status, headers });
    if (eventStream) eventStreams.set(response, answer.body);
    return response;
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
