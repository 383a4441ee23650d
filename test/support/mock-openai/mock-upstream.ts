/**
 * A mock OpenAI upstream on loopback, faithful on the wire: `/v1/responses` and
 * `/v1/chat/completions`, streaming and not, answering each request with the next scripted turn
 * (or its fault) and recording every request it received.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderChatBody, renderChatChunks } from './chat-wire.ts';
import {
  renderResponsesBody,
  renderResponsesEvents,
  type RenderContext,
} from './responses-wire.ts';
import { IdSource, type ScriptedTurn } from './script.ts';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface MockUpstream {
  /** Base URL for the `openai` SDK, ending in `/v1`. */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Queues turns; each upstream request takes the next one. */
  enqueue(...turns: ScriptedTurn[]): void;
  /** Turns queued but not yet taken. */
  pending(): number;
  /** The turn answered when none is queued (by default there is none: a loud 500). */
  setDefaultTurn(
    turn: ScriptedTurn | ((body: Record<string, unknown>) => ScriptedTurn) | undefined,
  ): void;
  /** The models GET /v1/models lists; a fault instead makes it fail. */
  setModels(models: readonly string[] | { status: number; body: unknown }): void;
  /** Resolves once `count` responses were closed by the client before they ended. */
  waitForAborts(count: number): Promise<void>;
  close(): Promise<void>;
}

export interface MockUpstreamOptions {
  /** `created` / `created_at` of every answer (default a fixed instant, for stable output). */
  readonly createdAt?: number;
  /** Serve HTTPS with this key and certificate instead of plain HTTP. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

type Wire =
  { readonly api: 'responses' } | { readonly api: 'chat'; readonly includeUsage: boolean };

export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const queue: ScriptedTurn[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const ids = new IdSource();
  let defaultTurn: ScriptedTurn | ((body: Record<string, unknown>) => ScriptedTurn) | undefined;
  let aborts = 0;
  const abortWaiters: { count: number; resolve: () => void }[] = [];
  const countAbort = (): void => {
    aborts += 1;
    for (const waiter of abortWaiters.filter((w) => w.count <= aborts)) {
      abortWaiters.splice(abortWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const createdAt = options.createdAt ?? 1_767_225_600;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // recorded as the raw text; the upstream answers 400 below
      }
      const path = req.url ?? '';
      requests.push({ method: req.method ?? '', path, headers: req.headers, body });
      if (req.method === 'GET' && (path.split('?')[0] ?? '').endsWith('/models')) listModels(res);
      else void answer(path, body, res);
    });
  };
  const server: Server = options.tls
    ? createHttpsServer(options.tls, handler)
    : createServer(handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  let models: readonly string[] | { status: number; body: unknown } = [
    'gpt-5.1',
    'gpt-5-mini',
    'gpt-4.1',
  ];
  function listModels(res: ServerResponse): void {
    if (!Array.isArray(models)) {
      const fault = models as { status: number; body: unknown };
      sendJson(res, fault.status, fault.body);
      return;
    }
    const data = (models as readonly string[]).map((id) => ({
      id,
      object: 'model',
      created: createdAt,
      owned_by: 'mock',
    }));
    sendJson(res, 200, { object: 'list', data });
  }

  async function answer(path: string, body: unknown, res: ServerResponse): Promise<void> {
    // Any prefix, so Azure's /openai/deployments/NAME/chat/completions lands here too.
    const route = (path.split('?')[0] ?? '').replace(
      /^.*(\/responses|\/chat\/completions)$/,
      '/v1$1',
    );
    if (route !== '/v1/responses' && route !== '/v1/chat/completions') {
      sendJson(res, 404, openAiError(`Invalid URL (POST ${path})`, 'invalid_request_error'));
      return;
    }
    if (!isRecord(body)) {
      sendJson(
        res,
        400,
        openAiError('We could not parse the JSON body of your request.', 'invalid_request_error'),
      );
      return;
    }
    const turn =
      queue.shift() ?? (typeof defaultTurn === 'function' ? defaultTurn(body) : defaultTurn);
    if (!turn) {
      sendJson(res, 500, openAiError('mock upstream: no scripted turn left', 'server_error'), {
        'x-should-retry': 'false',
      });
      return;
    }
    res.once('close', () => {
      if (!res.writableFinished) countAbort();
    });
    if (turn.fault?.kind === 'http-error') {
      sendJson(res, turn.fault.status, turn.fault.body, turn.fault.headers);
      return;
    }
    if (turn.fault?.kind === 'hang' && turn.fault.afterEvents === undefined) return;

    const ctx: RenderContext = {
      ids,
      model: typeof body['model'] === 'string' ? body['model'] : 'unknown',
      createdAt,
    };
    const wire: Wire =
      route === '/v1/responses'
        ? { api: 'responses' }
        : {
            api: 'chat',
            includeUsage:
              isRecord(body['stream_options']) && body['stream_options']['include_usage'] === true,
          };
    if (body['stream'] !== true && turn.fault?.kind === 'reset') {
      // Without streaming there is nothing to send first: the connection just drops.
      res.socket?.resetAndDestroy();
      return;
    }
    if (body['stream'] !== true) {
      sendJson(
        res,
        200,
        wire.api === 'responses' ? renderResponsesBody(turn, ctx) : renderChatBody(turn, ctx),
      );
      return;
    }
    await stream(res, turn, framesFor(turn, ctx, wire));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...turns) => queue.push(...turns),
    pending: () => queue.length,
    setDefaultTurn: (turn) => {
      defaultTurn = turn;
    },
    setModels: (next) => {
      models = next;
    },
    waitForAborts: (count) =>
      aborts >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => abortWaiters.push({ count, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function framesFor(turn: ScriptedTurn, ctx: RenderContext, wire: Wire): string[] {
  if (wire.api === 'responses') {
    return renderResponsesEvents(turn, ctx).map(
      (event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`,
    );
  }
  return [
    ...renderChatChunks(turn, ctx, wire.includeUsage).map(
      (chunk) => `data: ${JSON.stringify(chunk)}\n\n`,
    ),
    ...(turn.chat?.omitDone === true ? [] : ['data: [DONE]\n\n']),
  ];
}

async function stream(res: ServerResponse, turn: ScriptedTurn, frames: string[]): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': 'req_mock',
  });
  res.flushHeaders();
  const fault = turn.fault;
  // With a fault or pacing, each frame must really be out before the next step.
  const paced = fault !== undefined || (turn.delayMs ?? 0) > 0;
  for (const [index, frame] of frames.entries()) {
    if (fault?.kind === 'reset' && index === fault.afterEvents) {
      // Let the client read what was sent, then reset (RST, not a clean FIN).
      await sleep(25);
      res.socket?.resetAndDestroy();
      return;
    }
    if (fault?.kind === 'hang' && index === fault.afterEvents) return;
    if (fault?.kind === 'cut' && index === fault.afterEvents) break;
    if (fault?.kind === 'error-event' && index === fault.afterEvents) {
      res.write(
        `event: error\ndata: ${JSON.stringify({ type: 'error', error: { ...fault.error, param: null }, sequence_number: index })}\n\n`,
      );
      break;
    }
    if (res.destroyed) return;
    if (paced)
      await new Promise<void>((resolve) =>
        res.write(frame, () => {
          resolve();
        }),
      );
    else res.write(frame);
    if (turn.delayMs !== undefined && turn.delayMs > 0) await sleep(turn.delayMs);
  }
  res.end();
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function openAiError(message: string, type: string): unknown {
  return { error: { message, type, param: null, code: null } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
