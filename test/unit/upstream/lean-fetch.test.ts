import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeEventStream, leanFetch, onBodySent } from '../../../app/upstream/lean-fetch.ts';

let server: Server;
let base = '';
const dispatcher = new Agent();
const fetch = leanFetch(dispatcher);
/** Ends the event stream the server is holding open. */
let finishEvents = (): void => undefined;
/** What the last request to the server was. */
let seen: { method: string; headers: IncomingMessage['headers']; body: string } | undefined;

const routes: Record<string, (res: ServerResponse) => void> = {
  '/json': (res) => {
    res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
    res.end('{"ok":true}');
  },
  '/events': (res) => {
    res.writeHead(200, { 'content-type': 'Text/Event-Stream; charset=utf-8' });
    res.write('data: {"n":1}\n\n');
    finishEvents = () => res.end('data: [DONE]\n\n');
  },
  '/events-refused': (res) => {
    res.writeHead(429, { 'content-type': 'text/event-stream', 'retry-after': '2' });
    res.end('{"error":{"message":"slow down"}}');
  },
  '/empty': (res) => {
    res.writeHead(204);
    res.end();
  },
  '/hang': () => undefined,
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen = { method: req.method ?? '', headers: req.headers, body };
      routes[req.url ?? '']?.(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await dispatcher.close();
});

describe('leanFetch', () => {
  it('sends method, headers and body as given, and answers a whole body as a Response', async () => {
    const response = await fetch(`${base}/json`, {
      method: 'POST',
      headers: new Headers({ authorization: 'Bearer k', 'content-type': 'application/json' }),
      body: '{"model":"m"}',
    });
    expect(seen).toMatchObject({
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: '{"model":"m"}',
    });
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ ok: true });
    expect(takeEventStream(response)).toBeUndefined();
  });

  it('reports the body it sends, as the bytes that went out, each time it sends it', async () => {
    const reported: string[] = [];
    const text = '{"prompt":"naïve → ✓ 🤖"}'; // beyond Latin-1: bytes differ from units
    const init = {
      method: 'POST',
      body: text,
      [onBodySent]: (bytes: Uint8Array) => reported.push(Buffer.from(bytes).toString('utf8')),
    };
    await (await fetch(`${base}/json`, init)).arrayBuffer();
    expect(seen?.body).toBe(text);
    await (await fetch(`${base}/json`, init)).arrayBuffer();
    expect(reported).toEqual([text, text]);
    expect(Buffer.byteLength(text)).toBeGreaterThan(text.length);
  });

  it('sends the request even when the body listener throws', async () => {
    const response = await fetch(`${base}/json`, {
      method: 'POST',
      body: '{"a":1}',
      [onBodySent]: () => {
        throw new Error('recorder broke');
      },
    } as RequestInit);
    expect(response.status).toBe(201);
    expect(seen?.body).toBe('{"a":1}');
  });

  it('hands an event stream over once, as the Node stream it is, as it arrives', async () => {
    const response = await fetch(`${base}/events`, { method: 'POST', body: new Uint8Array([1]) });
    expect(response.body).toBeNull();
    const stream = takeEventStream(response);
    if (!stream) throw new Error('no event stream');
    // Handed over once: the response no longer holds it.
    expect(takeEventStream(response)).toBeUndefined();
    // The first event arrives while the server still holds the stream open.
    const chunks = stream[Symbol.asyncIterator]();
    expect(String((await chunks.next()).value)).toBe('data: {"n":1}\n\n');
    finishEvents();
    let rest = '';
    for (let chunk = await chunks.next(); chunk.done !== true; chunk = await chunks.next())
      rest += String(chunk.value);
    expect(rest).toBe('data: [DONE]\n\n');
  });

  it('reads a refused stream whole, so the SDK can read the error and its retry-after', async () => {
    const response = await fetch(`${base}/events-refused`, { method: 'POST' });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(takeEventStream(response)).toBeUndefined();
    expect(await response.text()).toBe('{"error":{"message":"slow down"}}');
  });

  it('answers 204 without a body', async () => {
    const response = await fetch(`${base}/empty`);
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it('rejects with an AbortError when the signal fires before the answer', async () => {
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 20);
    await expect(fetch(`${base}/hang`, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('rejects with the network error itself when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetch(`http://127.0.0.1:${String(port)}/`)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('refuses what it cannot send rather than sending something else', async () => {
    await expect(fetch(new Request(`${base}/json`))).rejects.toThrow(TypeError);
    await expect(fetch(`${base}/json`, { method: 'POST', body: new FormData() })).rejects.toThrow(
      'strings and bytes only',
    );
  });
});
