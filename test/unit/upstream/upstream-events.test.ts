/**
 * readUpstreamEvents: a streaming upstream Response -> batches of JSON events handed to a
 * callback, one batch per body chunk, with the openai SDK's `Stream.fromSSEResponse` semantics (legacy mode): `[DONE]` ends
 * the stream, error events and error payloads throw the SDK's APIError, bad JSON a SyntaxError,
 * an abort ends quietly, stopping early aborts the controller and reading to the end does not.
 * Both bodies are read: a web stream (any fetch) and the lean fetch's Node stream.
 * Last, every recorded Chat and Responses capture, cut several ways, reads as the SDK reads it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import OpenAI, { APIError, OpenAIError } from 'openai';
import { Stream } from 'openai/core/streaming';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Agent } from 'undici';
import { eventStreamResponse, leanFetch } from '../../../app/upstream/lean-fetch.ts';
import {
  jsonAnswerToStream,
  readUpstreamEvents,
  type UpstreamBatch,
} from '../../../app/upstream/upstream-events.ts';
import { mulberry32, randomChunks } from '../../support/chunkings.ts';
import { sharedFixturesAvailable, sharedFixturesDir } from '../../support/shared-fixtures.ts';
import { parseSse } from '../../support/sse-reader.ts';

const utf8 = new TextEncoder();
type Piece = string | Uint8Array;
const bytesOf = (piece: Piece): Uint8Array =>
  typeof piece === 'string' ? utf8.encode(piece) : piece;

interface Body {
  readonly body: ReadableStream<Uint8Array>;
  /** Ends a body left open. */
  readonly close: () => void;
  /** Whether the reader cancelled the body. */
  readonly cancelled: () => boolean;
}

/**
 * A body that delivers these pieces, one chunk each, then closes, or stays open (`open`). With
 * `abortedBy`, it errors when that signal aborts, as a fetch body does when its request is
 * aborted.
 */
function bodyOf(
  pieces: readonly Piece[],
  options: { open?: boolean; abortedBy?: AbortSignal } = {},
): Body {
  let cancelled = false;
  let source: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      source = controller;
      for (const piece of pieces) controller.enqueue(bytesOf(piece));
      if (options.open !== true) controller.close();
      options.abortedBy?.addEventListener('abort', () => {
        controller.error(options.abortedBy?.reason);
      });
    },
    cancel() {
      cancelled = true;
    },
  });
  return {
    body,
    close: () => {
      try {
        source?.close();
      } catch {
        // already closed, errored or cancelled
      }
    },
    cancelled: () => cancelled,
  };
}

const responseOf = (pieces: readonly Piece[], headers?: Record<string, string>): Response =>
  new Response(bodyOf(pieces).body, headers ? { headers } : {});

async function batchesOf(
  response: Response,
  controller = new AbortController(),
): Promise<(readonly unknown[])[]> {
  const batches: (readonly unknown[])[] = [];
  await readUpstreamEvents(response, controller, (batch) => {
    // Each event comes with the very text it was parsed from.
    expect(batch.texts.map((text) => JSON.parse(text) as unknown)).toEqual(batch.events);
    batches.push(batch.events);
    return undefined;
  });
  return batches;
}

/** Reads, keeping every event; resolves with them, or rejects with them kept in `into`. */
async function eventsOf(response: Response, into: unknown[] = []): Promise<unknown[]> {
  await readUpstreamEvents(response, new AbortController(), (batch) => {
    into.push(...batch.events);
    return undefined;
  });
  return into;
}

/**
 * A reading whose batches can be awaited one at a time: `next()` resolves with the next batch
 * delivered, or 'ended' once the reading has settled.
 */
function readingOf(response: Response, controller: AbortController) {
  const delivered: UpstreamBatch[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const done = readUpstreamEvents(response, controller, (batch) => {
    delivered.push(batch);
    wake?.();
    return undefined;
  }).finally(() => {
    ended = true;
    wake?.();
  });
  const next = async (): Promise<UpstreamBatch | 'ended'> => {
    while (delivered.length === 0 && !ended) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    return delivered.shift() ?? 'ended';
  };
  return { next, done };
}

/** The error a promise rejects with (the test fails if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const sleep = (ms: number): Promise<'timed out'> =>
  new Promise((resolve) => {
    setTimeout(() => {
      resolve('timed out');
    }, ms);
  });

describe('readUpstreamEvents: batches', () => {
  it('delivers one batch per body chunk, with every event that chunk completed', async () => {
    const batches = await batchesOf(
      responseOf([
        'data: {"a":1}\n\nevent: x\ndata: {"b":2}\n\n',
        'data: {"c":3}\n\n',
        'data: [1,"two",null]\n\ndata: "s"\n\ndata: 4\n\ndata: null\n\n',
      ]),
    );
    expect(batches).toEqual([[{ a: 1 }, { b: 2 }], [{ c: 3 }], [[1, 'two', null], 's', 4, null]]);
  });

  it('delivers no batch for a chunk that completes no event', async () => {
    const batches = await batchesOf(
      responseOf(['data: {"a"', ':1}\n', '\n', ': keep-alive\n\n', 'data: {"b":2}\r\n\r\n']),
    );
    expect(batches).toEqual([[{ a: 1 }], [{ b: 2 }]]);
  });

  it('tells of every chunk, events or none (a keep-alive is a sign of life for the watchdog)', async () => {
    const pieces = ['data: {"a"', ':1}\n\n', ': OPENROUTER PROCESSING\n\n', 'data: {"b":2}\n\n'];
    let chunks = 0;
    const batches: (readonly unknown[])[] = [];
    await readUpstreamEvents(
      responseOf(pieces),
      new AbortController(),
      (batch) => {
        batches.push(batch.events);
        return undefined;
      },
      () => (chunks += 1),
    );
    expect(chunks).toBe(pieces.length);
    expect(batches).toEqual([[{ a: 1 }], [{ b: 2 }]]);
  });

  it('reads a JSON answer to a streaming call as the error it carries, or says it does not stream', async () => {
    const json = (body: unknown) =>
      new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
    const failure = await jsonAnswerToStream(
      json({ error: { message: 'Invalid key', code: 'auth' } }),
    );
    expect(failure).toBeInstanceOf(APIError);
    expect(failure?.message).toContain('Invalid key');
    const whole = await jsonAnswerToStream(json({ id: 'chatcmpl-1', choices: [] }));
    expect(whole?.message).toContain('it does not stream');
    expect(await jsonAnswerToStream(responseOf(['data: {"a":1}\n\n']))).toBeUndefined();
  });

  it('takes [DONE] with stray spaces around it as the end', async () => {
    expect(
      await batchesOf(responseOf(['data: {"a":1}\n\n', 'data:  [DONE] \n\n', 'data: {"b":2}\n\n'])),
    ).toEqual([[{ a: 1 }]]);
  });

  it('decodes a multi-byte UTF-8 character split across chunks', async () => {
    const bytes = utf8.encode('data: {"t":"é😀中"}\r\n\r\n');
    const e = bytes.indexOf(0xc3); // é is C3 A9
    const emoji = bytes.indexOf(0xf0); // 😀 is F0 9F 98 80
    const cr = bytes.indexOf(0x0d);
    const cuts = [0, e + 1, emoji + 1, emoji + 3, cr + 1, bytes.length];
    const pieces = cuts.slice(1).map((end, i) => bytes.subarray(cuts[i], end));
    expect(pieces.map((piece) => piece.length)).not.toContain(0);
    expect(await batchesOf(responseOf(pieces))).toEqual([[{ t: 'é😀中' }]]);
  });

  it('delivers a last event whose blank line never came, in a batch of its own', async () => {
    expect(await batchesOf(responseOf(['data: {"a":1}\n\ndata: {"b":2}']))).toEqual([
      [{ a: 1 }],
      [{ b: 2 }],
    ]);
  });

  it('strips a byte-order mark at the start of the body', async () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
    expect(await batchesOf(responseOf([bom, 'data: {"a":1}\n\n']))).toEqual([[{ a: 1 }]]);
  });

  it('skips a message without data lines (the SDK would fail to parse its empty data)', async () => {
    expect(await batchesOf(responseOf(['event: ping\n\nid: 3\n\ndata: {"a":1}\n\n']))).toEqual([
      [{ a: 1 }],
    ]);
  });
});

describe('readUpstreamEvents: [DONE]', () => {
  it('ends the stream: nothing after it is delivered, and the controller is not aborted', async () => {
    const controller = new AbortController();
    const batches = await batchesOf(
      responseOf([
        'data: {"a":1}\n\n',
        'data: {"b":2}\n\ndata: [DONE]\n\ndata: {"c":3}\n\n',
        'data: {"d":4}\n\n',
        'data: not json\n\n',
      ]),
      controller,
    );
    expect(batches).toEqual([[{ a: 1 }], [{ b: 2 }]]);
    expect(controller.signal.aborted).toBe(false);
  });

  it('ends at [DONE] even if the body stays open, and releases that body 2 s later', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const controller = new AbortController();
      const source = bodyOf(['data: {"a":1}\n\n', 'data: [DONE]\n\n'], { open: true });
      expect(await batchesOf(new Response(source.body), controller)).toEqual([[{ a: 1 }]]);
      expect(controller.signal.aborted).toBe(false);
      // Not cancelled at once: a body that ends by itself keeps its connection for reuse.
      expect(source.cancelled()).toBe(false);
      vi.advanceTimersByTime(2_000);
      await Promise.resolve();
      expect(source.cancelled()).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('readUpstreamEvents: errors', () => {
  it('throws an `event: error` message as APIError carrying its error field', async () => {
    const controller = new AbortController();
    const error = await rejectionOf(
      batchesOf(
        responseOf(
          [
            'data: {"a":1}\n\n',
            'event: error\ndata: {"type":"error","error":{"type":"server_error","code":"c1","message":"boom"}}\n\n',
            'data: {"b":2}\n\n',
          ],
          { 'x-request-id': 'req_123' },
        ),
        controller,
      ),
    );
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBeUndefined();
    expect(apiError.error).toEqual({ type: 'server_error', code: 'c1', message: 'boom' });
    expect(apiError.message).toBe('boom');
    expect(apiError.code).toBe('c1');
    expect(apiError.type).toBe('server_error');
    expect(apiError.requestID).toBe('req_123');
    expect(controller.signal.aborted).toBe(true);
  });

  it('throws an `event: error` message without an error field with the whole payload', async () => {
    const error = await rejectionOf(
      batchesOf(responseOf(['event: error\ndata: {"message":"overloaded","code":529}\n\n'])),
    );
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).error).toEqual({ message: 'overloaded', code: 529 });
    expect((error as APIError).message).toBe('overloaded');
  });

  it('throws a payload with a truthy error field as APIError, whatever its event', async () => {
    const controller = new AbortController();
    const error = await rejectionOf(
      batchesOf(
        responseOf([
          'data: {"a":1}\n\n',
          'data: {"error":{"message":"You exceeded your current quota","type":"insufficient_quota"}}\n\n',
        ]),
        controller,
      ),
    );
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBeUndefined();
    expect((error as APIError).error).toEqual({
      message: 'You exceeded your current quota',
      type: 'insufficient_quota',
    });
    expect((error as APIError).message).toBe('You exceeded your current quota');
    expect(controller.signal.aborted).toBe(true);

    const named = await rejectionOf(
      batchesOf(responseOf(['event: response.failed\ndata: {"error":"plain"}\n\n'])),
    );
    expect((named as APIError).error).toBe('plain');
  });

  it('passes payloads whose error field is null, false or empty', async () => {
    const batches = await batchesOf(
      responseOf([
        'data: {"error":null,"a":1}\n\ndata: {"error":false}\n\ndata: {"error":""}\n\n',
        'data: {"response":{"error":{"message":"nested, not top-level"}}}\n\n',
      ]),
    );
    expect(batches.flat()).toEqual([
      { error: null, a: 1 },
      { error: false },
      { error: '' },
      { response: { error: { message: 'nested, not top-level' } } },
    ]);
  });

  it('throws a payload that is not JSON as a SyntaxError, and aborts', async () => {
    const controller = new AbortController();
    const error = await rejectionOf(
      batchesOf(responseOf(['data: {"a":1}\n\n', 'data: {"a":\n\n']), controller),
    );
    expect(error).toBeInstanceOf(SyntaxError);
    expect((error as Error).message).toBe(
      'Error reading response: malformed server-sent event JSON.',
    );
    expect(controller.signal.aborted).toBe(true);
  });

  it('throws an OpenAIError for a response without a body', async () => {
    const error = await rejectionOf(batchesOf(new Response(null)));
    expect(error).toBeInstanceOf(OpenAIError);
    expect(error).not.toBeInstanceOf(APIError);
  });

  // As the SDK's _iterSSEMessages does before it throws this error.
  it('aborts the controller when it throws for a response without a body', async () => {
    const controller = new AbortController();
    await rejectionOf(batchesOf(new Response(null), controller));
    expect(controller.signal.aborted).toBe(true);
  });

  // The SDK yields each event before reading the next, so its consumer gets {a:1} and {b:2},
  // then the error; so must ours, or what the client sees would depend on TCP segmentation.
  it('delivers the events that came before an error in the same chunk', async () => {
    const pieces = [
      'data: {"a":1}\n\ndata: {"b":2}\n\nevent: error\ndata: {"error":{"message":"boom"}}\n\n',
    ];
    const ours: unknown[] = [];
    const error = await rejectionOf(eventsOf(responseOf(pieces), ours));
    expect((error as Error).message).toBe('boom');
    expect(ours).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('delivers the events that came before invalid JSON in the same chunk', async () => {
    const ours: unknown[] = [];
    const error = await rejectionOf(
      eventsOf(responseOf(['data: {"a":1}\n\ndata: nope\n\n']), ours),
    );
    expect(error).toBeInstanceOf(SyntaxError);
    expect(ours).toEqual([{ a: 1 }]);
  });
});

describe('readUpstreamEvents: abort and early exit', () => {
  it('ends quietly when aborted mid-read (the body errors on abort, as a fetch body does)', async () => {
    const controller = new AbortController();
    const source = bodyOf(['data: {"a":1}\n\n'], { open: true, abortedBy: controller.signal });
    const reading = readingOf(new Response(source.body), controller);
    expect(await reading.next()).toEqual({ events: [{ a: 1 }], texts: ['{"a":1}'] });
    await sleep(10); // waits on a body that never closes
    controller.abort();
    expect(await Promise.race([reading.done, sleep(1_000)])).toBeUndefined();
    expect(await reading.next()).toBe('ended');
  });

  it('delivers nothing more once the handler has aborted, and ends quietly', async () => {
    const controller = new AbortController();
    const source = bodyOf(['data: {"a":1}\n\n', 'data: {"b":2}\n\n'], {
      open: true,
      abortedBy: controller.signal,
    });
    const seen: unknown[] = [];
    const done = readUpstreamEvents(new Response(source.body), controller, (batch) => {
      seen.push(...batch.events);
      controller.abort(); // {b:2} is queued: it must not be delivered
      return undefined;
    });
    expect(await Promise.race([done, sleep(1_000)])).toBeUndefined();
    expect(seen).toEqual([{ a: 1 }]);
  });

  describe("through the SDK's own request to a loopback server", () => {
    let server: Server | undefined;
    afterEach(() => {
      server?.closeAllConnections();
      server?.close();
      server = undefined;
    });

    it('ends quietly when aborted mid-read', async () => {
      server = createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"a":1}\n\n'); // and never ends
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const client = new OpenAI({
        apiKey: 'test',
        baseURL: `http://127.0.0.1:${port}/v1`,
        maxRetries: 0,
      });
      const controller = new AbortController();
      const response = await client.chat.completions
        .create(
          { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true },
          { signal: controller.signal },
        )
        .asResponse();
      const reading = readingOf(response, controller);
      expect(await reading.next()).toEqual({ events: [{ a: 1 }], texts: ['{"a":1}'] });
      await sleep(10);
      controller.abort();
      expect(await Promise.race([reading.done, sleep(2_000)])).toBeUndefined();
    });
  });

  it('reference: the SDK ends quietly when aborted mid-read, even if the abort never reaches the body', async () => {
    const controller = new AbortController();
    const source = bodyOf(['data: {"a":1}\n\n'], { open: true });
    const iterator = Stream.fromSSEResponse<unknown>(new Response(source.body), controller)[
      Symbol.asyncIterator
    ]();
    try {
      expect(await iterator.next()).toEqual({ done: false, value: { a: 1 } });
      const reading = iterator.next();
      await sleep(10);
      controller.abort();
      expect(await Promise.race([reading, sleep(1_000)])).toEqual({
        done: true,
        value: undefined,
      });
    } finally {
      source.close();
    }
  });

  // A body the abort does not reach (a custom fetch, a tee, a test double) must not keep the
  // reading waiting on it; the SDK races each read against the signal too.
  it('ends quietly when aborted mid-read, even if the abort never reaches the body', async () => {
    const controller = new AbortController();
    const source = bodyOf(['data: {"a":1}\n\n'], { open: true });
    const reading = readingOf(new Response(source.body), controller);
    try {
      expect(await reading.next()).toEqual({ events: [{ a: 1 }], texts: ['{"a":1}'] });
      await sleep(10);
      controller.abort();
      expect(await Promise.race([reading.done, sleep(300)])).toBeUndefined();
      expect(source.cancelled()).toBe(true);
    } finally {
      source.close();
    }
  });

  it('aborts the controller and releases the body when the handler says stop', async () => {
    const controller = new AbortController();
    const source = bodyOf(['data: {"a":1}\n\n', 'data: {"b":2}\n\n'], { open: true });
    const seen: unknown[] = [];
    await readUpstreamEvents(new Response(source.body), controller, (batch) => {
      seen.push(...batch.events);
      return 'stop';
    });
    expect(seen).toEqual([{ a: 1 }]);
    expect(controller.signal.aborted).toBe(true);
    expect(source.cancelled()).toBe(true);
  });

  it('rejects with what the handler throws, and aborts', async () => {
    const controller = new AbortController();
    const source = bodyOf(['data: {"a":1}\n\n', 'data: {"b":2}\n\n'], { open: true });
    const thrown = new Error('translator bug');
    const error = await rejectionOf(
      readUpstreamEvents(new Response(source.body), controller, () => {
        throw thrown;
      }),
    );
    expect(error).toBe(thrown);
    expect(controller.signal.aborted).toBe(true);
    expect(source.cancelled()).toBe(true);
  });

  it('leaves the controller alone when the body is read to its end', async () => {
    const controller = new AbortController();
    const batches = await batchesOf(responseOf(['data: {"a":1}\n\n', 'data: {"b":2}']), controller);
    expect(batches).toEqual([[{ a: 1 }], [{ b: 2 }]]);
    expect(controller.signal.aborted).toBe(false);
    expect(await batchesOf(responseOf([]), controller)).toEqual([]);
    expect(controller.signal.aborted).toBe(false);
  });

  it('ends quietly at once when the controller was aborted before reading', async () => {
    const controller = new AbortController();
    controller.abort();
    const source = bodyOf(['data: {"a":1}\n\n']);
    expect(await batchesOf(new Response(source.body), controller)).toEqual([]);
    expect(source.cancelled()).toBe(false); // never read, nothing to release
  });
});

// ---- The lean fetch's body: a Node stream, read by 'readable' ----

describe('readUpstreamEvents on the lean fetch, against a loopback server', () => {
  type Handler = (req: IncomingMessage, res: ServerResponse) => void;
  let handle: Handler = () => undefined;
  let server: Server;
  let base = '';
  const agent = new Agent();
  const fetchStream = leanFetch(agent);
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await agent.close();
  });

  const eventStream = (res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
  };
  /** The server side of the next request: its response, once headers are out. */
  const nextExchange = (): Promise<{ req: IncomingMessage; res: ServerResponse }> =>
    new Promise((resolve) => {
      handle = (req, res) => {
        eventStream(res);
        resolve({ req, res });
      };
    });
  /** Whether the server's response closed before it had ended (the client cut it). */
  const cutShort = (res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (res.closed) resolve(!res.writableFinished);
      else
        res.once('close', () => {
          resolve(!res.writableFinished);
        });
    });
  const open = async (controller: AbortController, through = fetchStream): Promise<Response> => {
    const response = await through(`${base}/v1/stream`, {
      method: 'POST',
      body: '{}',
      signal: controller.signal,
    });
    expect(response.body).toBeNull(); // handed over as a Node stream, not a web stream
    return response;
  };
  /** A request to the server, and the server's side of it once its headers are out. */
  const begin = async (through = fetchStream) => {
    const exchange = nextExchange();
    const controller = new AbortController();
    const response = await open(controller, through);
    const { req, res } = await exchange;
    return { controller, response, req, res };
  };

  it('delivers what one network read brought as one batch, however many HTTP chunks it held', async () => {
    const { controller, response, res } = await begin();
    const batches: (readonly unknown[])[] = [];
    const done = readUpstreamEvents(response, controller, (batch) => {
      batches.push(batch.events);
      return undefined;
    });
    res.cork(); // three chunks of the chunked encoding, one write
    res.write('data: {"a":1}\n\n');
    res.write('data: {"b":2}\n\n');
    res.write('data: {"c":3}\n\n');
    res.uncork();
    await sleep(20);
    res.end('data: [DONE]\n\n');
    await done;
    expect(batches[0]).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(batches).toHaveLength(1);
    expect(controller.signal.aborted).toBe(false);
  });

  it('delivers paced events as they come, and hands the connection back for reuse', async () => {
    const ownAgent = new Agent(); // its pool holds this test's connection only
    const through = leanFetch(ownAgent);
    const { controller, response, req, res } = await begin(through);
    const seen: unknown[] = [];
    const done = readUpstreamEvents(response, controller, (batch) => {
      seen.push(...batch.events);
      // The next event is sent only once this one has arrived: no batching can hide a stall.
      if (seen.length < 5) res.write(`data: {"n":${String(seen.length)}}\n\n`);
      else res.end('data: [DONE]\n\n');
      return undefined;
    });
    res.write('data: {"n":0}\n\n');
    await done;
    expect(seen).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    expect(await cutShort(res)).toBe(false);
    await sleep(20); // the body's end is read after [DONE] was delivered
    const again = nextExchange();
    const second = await open(new AbortController(), through);
    const reuse = await again;
    expect(reuse.req.socket).toBe(req.socket);
    reuse.res.end();
    await readUpstreamEvents(second, new AbortController(), () => undefined);
    await ownAgent.close();
  });

  it('settles at [DONE] while the body stays open, without cutting it', async () => {
    const { controller, response, res } = await begin();
    const done = readUpstreamEvents(response, controller, () => undefined);
    res.write('data: {"a":1}\n\ndata: [DONE]\n\n');
    expect(await Promise.race([done, sleep(1_000)])).toBeUndefined();
    expect(controller.signal.aborted).toBe(false);
    res.end('data: {"late":true}\n\n'); // read and dropped
    expect(await cutShort(res)).toBe(false);
  });

  it('cuts the request when the handler says stop', async () => {
    const { controller, response, res } = await begin();
    const done = readUpstreamEvents(response, controller, () => 'stop');
    res.write('data: {"a":1}\n\n');
    await done;
    expect(controller.signal.aborted).toBe(true);
    expect(await cutShort(res)).toBe(true);
  });

  it('ends quietly when aborted mid-read, and the server sees the request cut', async () => {
    const { controller, response, res } = await begin();
    const reading = readingOf(response, controller);
    res.write('data: {"a":1}\n\n');
    expect(await reading.next()).toEqual({ events: [{ a: 1 }], texts: ['{"a":1}'] });
    controller.abort();
    expect(await Promise.race([reading.done, sleep(1_000)])).toBeUndefined();
    expect(await cutShort(res)).toBe(true);
  });

  it('rejects when the connection breaks mid-body', async () => {
    const { controller, response, res } = await begin();
    const reading = readingOf(response, controller);
    res.write('data: {"a":1}\n\n');
    expect(await reading.next()).toEqual({ events: [{ a: 1 }], texts: ['{"a":1}'] });
    res.socket?.destroy();
    const error = await rejectionOf(reading.done);
    expect(error).toBeInstanceOf(Error);
    expect(controller.signal.aborted).toBe(true);
  });

  it('rejects with an upstream error event, after the events before it', async () => {
    const { controller, response, res } = await begin();
    const seen: unknown[] = [];
    const done = readUpstreamEvents(response, controller, (batch) => {
      seen.push(...batch.events);
      return undefined;
    });
    res.write('data: {"a":1}\n\nevent: error\ndata: {"error":{"message":"boom"}}\n\n');
    const error = await rejectionOf(done);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).message).toBe('boom');
    expect(seen).toEqual([{ a: 1 }]);
    expect(await cutShort(res)).toBe(true);
  });
});

describe('readUpstreamEvents on a Node stream that hands out one chunk per read()', () => {
  // Node 26 reads a byte stream one pushed chunk at a time (nodejs/node#60441), where 22 and 24
  // joined all that was buffered; an object-mode stream does the former on every version.
  it('delivers all that one readable event found as one batch, decoded across chunk edges', async () => {
    const bytes = Buffer.from('data: {"a":1}\n\ndata: {"b":"é"}\n\ndata: {"c":3}\n\n');
    const insideE = bytes.indexOf(0xa9); // the second byte of "é"
    const stream = new Readable({ objectMode: true, read: () => undefined });
    const batches: (readonly unknown[])[] = [];
    const done = readUpstreamEvents(
      eventStreamResponse(stream, { headers: { 'content-type': 'text/event-stream' } }),
      new AbortController(),
      (batch) => {
        batches.push(batch.events);
        return undefined;
      },
    );
    stream.push(bytes.subarray(0, 7));
    stream.push(bytes.subarray(7, insideE));
    stream.push(bytes.subarray(insideE));
    await sleep(20);
    stream.push(Buffer.from('data: {"d":4}\n\ndata: [DONE]\n\n'));
    stream.push(null);
    await done;
    expect(batches).toEqual([[{ a: 1 }, { b: 'é' }, { c: 3 }], [{ d: 4 }]]);
  });
});

// ---- The recorded captures, against the SDK ----

interface ManifestEntry {
  readonly file: string;
  readonly api: string;
  readonly streaming: boolean;
}

const available = sharedFixturesAvailable();
const captures: string[] = available
  ? (
      JSON.parse(readFileSync(join(sharedFixturesDir, 'fixtures.json'), 'utf8')) as {
        fixtures: ManifestEntry[];
      }
    ).fixtures
      .filter(
        ({ api, streaming }) => streaming && (api === 'openai-chat' || api === 'openai-responses'),
      )
      .map(({ file }) => file)
  : [];

interface Outcome {
  readonly items: unknown[];
  readonly error: {
    readonly kind: string;
    readonly message: string;
    readonly error?: unknown;
  } | null;
  readonly aborted: boolean;
}

function outcomeOf(items: unknown[], error: unknown, controller: AbortController): Outcome {
  const described =
    error === undefined
      ? null
      : error instanceof APIError
        ? { kind: 'APIError', message: error.message, error: error.error }
        : { kind: (error as Error).constructor.name, message: (error as Error).message };
  return { items, error: described, aborted: controller.signal.aborted };
}

function responseOfChunks(chunks: readonly Uint8Array[]): Response {
  return new Response(bodyOf(chunks).body, {
    headers: { 'content-type': 'text/event-stream' },
  });
}

async function ourOutcome(chunks: readonly Uint8Array[]): Promise<Outcome> {
  const controller = new AbortController();
  const items: unknown[] = [];
  let error: unknown;
  try {
    await readUpstreamEvents(responseOfChunks(chunks), controller, (batch) => {
      items.push(...batch.events);
      return undefined;
    });
  } catch (caught) {
    error = caught;
  }
  return outcomeOf(items, error, controller);
}

async function sdkOutcome(chunks: readonly Uint8Array[]): Promise<Outcome> {
  const controller = new AbortController();
  const items: unknown[] = [];
  let error: unknown;
  try {
    for await (const item of Stream.fromSSEResponse<unknown>(
      responseOfChunks(chunks),
      controller,
      undefined,
    ))
      items.push(item);
  } catch (caught) {
    error = caught;
  }
  return outcomeOf(items, error, controller);
}

/** Cuts after each blank line: one chunk per event. */
function perEvent(bytes: Uint8Array): Uint8Array[] {
  const text = new TextDecoder().decode(bytes);
  return text.split(/(?<=\r?\n\r?\n)/).map((part) => utf8.encode(part));
}

/** Small random pieces, 1 to 64 bytes (mid-line, mid-character). */
function smallPieces(bytes: Uint8Array, seed: number): Uint8Array[] {
  const random = mulberry32(seed);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + Math.floor(random() * 64);
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

const chunkings: readonly [string, (bytes: Uint8Array) => Uint8Array[]][] = [
  ['whole', (bytes) => [bytes]],
  ['one chunk per event', perEvent],
  ['pieces of 1-64 bytes', (bytes) => smallPieces(bytes, 7)],
  ['random pieces, seed 1', (bytes) => [...randomChunks(bytes, 1)]],
  ['random pieces, seed 2', (bytes) => [...randomChunks(bytes, 2)]],
];

/** An error message by the SDK's rules: `event: error`, or a truthy top-level `error`. */
function isErrorEvent({ event, data }: { event: string; data: string }): boolean {
  if (event === 'error') return true;
  try {
    const parsed: unknown = JSON.parse(data);
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      Boolean((parsed as { error?: unknown }).error)
    );
  } catch {
    return false;
  }
}

describe.skipIf(!available)('readUpstreamEvents on the recorded captures, against the SDK', () => {
  it('has captures of both APIs, and one that ends in an error event', () => {
    expect(captures.filter((file) => file.startsWith('openai-chat/')).length).toBeGreaterThan(20);
    expect(captures.filter((file) => file.startsWith('openai-responses/')).length).toBeGreaterThan(
      10,
    );
    const withErrors = captures.filter((file) =>
      parseSse(readFileSync(join(sharedFixturesDir, file))).some(isErrorEvent),
    );
    expect(withErrors).toContain('openai-responses/error-event-then-failed-insufficient-quota.sse');
  });

  for (const file of captures) {
    const bytes = available ? new Uint8Array(readFileSync(join(sharedFixturesDir, file))) : null;
    for (const [name, cut] of chunkings) {
      const chunks = bytes ? cut(bytes) : [];
      it(`${file}, ${name}`, async () => {
        const sdk = await sdkOutcome(chunks);
        expect(sdk.items.length).toBeGreaterThan(0);
        expect(await ourOutcome(chunks)).toEqual(sdk);
      });
    }
  }
});
