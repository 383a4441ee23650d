/**
 * The two upstream APIs behind one interface, so the messages route has one pipeline: how to
 * translate the request, call the API (streaming or not) through the `openai` SDK, and
 * translate what comes back.
 */
import { AzureOpenAI, type OpenAI } from 'openai';
import type { ChatDialect } from '../config/providers.ts';
import type { UpstreamApi } from '../config/settings-schema.ts';
import type { AnthropicErrorType } from '../protocol/anthropic-errors.ts';
import type { AnthropicMessage, AnthropicStreamEvent } from '../protocol/anthropic-wire.ts';
import type { MessagesRequest } from '../protocol/messages-request.ts';
import type { AnswerContext } from '../translate/answer-context.ts';
import type { StreamOutcome } from '../translate/anthropic-stream.ts';
import { toAnthropicMessageFromChat } from '../translate/from-chat.ts';
import { ChatStreamTranslator } from '../translate/from-chat-stream.ts';
import { toAnthropicMessage } from '../translate/from-responses.ts';
import { ResponsesStreamTranslator } from '../translate/from-responses-stream.ts';
import { toChatRequest } from '../translate/to-chat-request.ts';
import { toResponsesRequest, type TranslatedRequest } from '../translate/to-responses-request.ts';
import type { ModelCapabilities } from './capabilities.ts';
import { onBodySent, type BodySentListener } from './lean-fetch.ts';
import { jsonAnswerToStream, readUpstreamEvents, type BatchHandler } from './upstream-events.ts';

export interface StreamTranslator {
  readonly finished: boolean;
  readonly outcome: StreamOutcome;
  onEvent(event: unknown): AnthropicStreamEvent[];
  onEnd(): AnthropicStreamEvent[];
  fail(type: AnthropicErrorType, message: string): AnthropicStreamEvent[];
}

/**
 * An upstream stream: `read` hands its events to `onBatch` as they arrive, one batch per network
 * read (see upstream-events.ts), and settles when the stream is over; `controller` aborts the
 * request behind them.
 */
export interface UpstreamStream {
  /** `onBytes`: every chunk that arrives, whole events or not (keep-alives count as life). */
  read(onBatch: BatchHandler, onBytes: () => void): Promise<void>;
  readonly controller: AbortController;
}

export interface RequestTarget {
  readonly upstreamModel: string;
  readonly capabilities: ModelCapabilities;
  readonly hash: (value: string) => string;
}

/** An upstream a request can be sent to: how to talk to it, and whether its key is there. */
export interface Upstream {
  readonly adapter: UpstreamAdapter;
  /** For messages and the traffic record (shown without credentials). */
  readonly baseUrl: string;
  /** The environment variable its key is read from, named when the key is missing. */
  readonly keyEnv: string;
  readonly keyConfigured: boolean;
}

export interface UpstreamAdapter {
  readonly api: UpstreamApi;
  /** Path under the base URL, for the traffic record. */
  readonly path: string;
  translate(request: MessagesRequest, target: RequestTarget): TranslatedRequest<object>;
  /** `onSend`: called with the body's bytes each time they are sent (see lean-fetch.ts). */
  createOnce(body: object, signal: AbortSignal, onSend?: BodySentListener): Promise<unknown>;
  createStream(
    body: object,
    signal: AbortSignal,
    onSend?: BodySentListener,
  ): Promise<UpstreamStream>;
  toMessage(response: unknown, answer: AnswerContext): AnthropicMessage;
  /** Whether a non-streaming answer came without usage (then it is estimated). */
  usageMissing(response: unknown): boolean;
  streamTranslator(answer: AnswerContext): StreamTranslator;
}

export function upstreamAdapter(
  api: UpstreamApi,
  client: OpenAI,
  dialect: ChatDialect,
): UpstreamAdapter {
  return api === 'chat' ? chatAdapter(client, dialect) : responsesAdapter(client);
}

function responsesAdapter(client: OpenAI): UpstreamAdapter {
  const send = sender(client, '/responses');
  return {
    api: 'responses',
    path: '/responses',
    translate: (request, target) => toResponsesRequest(request, target),
    createOnce: (body, signal, onSend) => send({ ...body, stream: false }, signal, onSend),
    createStream: (body, signal, onSend) =>
      openStream(signal, (linked) => send({ ...body, stream: true }, linked, onSend)),
    toMessage: toAnthropicMessage,
    usageMissing: (response) => usageOf(response) == null,
    streamTranslator: (answer) => new ResponsesStreamTranslator(answer),
  };
}

function chatAdapter(client: OpenAI, dialect: ChatDialect): UpstreamAdapter {
  const send = sender(client, '/chat/completions');
  return {
    api: 'chat',
    path: '/chat/completions',
    translate: (request, target) => toChatRequest(request, { ...target, dialect }),
    createOnce: (body, signal, onSend) => send({ ...body, stream: false }, signal, onSend),
    // Without include_usage most servers send no usage at all.
    createStream: (body, signal, onSend) =>
      openStream(signal, (linked) =>
        send({ ...body, stream: true, stream_options: { include_usage: true } }, linked, onSend),
      ),
    toMessage: toAnthropicMessageFromChat,
    usageMissing: (response) => usageOf(response) == null,
    streamTranslator: (answer) => new ChatStreamTranslator(answer),
  };
}

/**
 * Posts a translated body through the SDK (auth, retries, timeouts, typed errors), serialised
 * here to the bytes that go upstream. The SDK sends bytes as they are (again on a retry), and
 * keeps its request options reachable after the call in ways V8's young-generation collections
 * cannot see through (lean-fetch.ts): as bytes, the body is one buffer outside the JavaScript
 * heap instead of its object graph and a string (for a real Claude Code turn, some 400 KB
 * promoted to the old generation per request). Azure's client routes by the body's `model`,
 * which it reads from an object: it gets the object.
 */
function sender(client: OpenAI, path: string) {
  const asBody = client instanceof AzureOpenAI ? (body: object) => body : jsonBytes;
  return <Rsp>(
    body: Readonly<Record<string, unknown>> & { readonly stream: boolean },
    signal: AbortSignal,
    onSend?: BodySentListener,
  ) =>
    client.post<Rsp>(path, {
      body: asBody(body),
      headers: { 'content-type': 'application/json' },
      stream: body.stream,
      signal,
      fetchOptions: sentTo(onSend),
    });
}

function jsonBytes(body: object): Uint8Array {
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/**
 * Makes the call through the SDK (auth, retries, timeouts, typed errors) and takes the raw
 * response once its status is known, to read the body with our own lean SSE reader.
 */
async function openStream(
  signal: AbortSignal,
  call: (linked: AbortSignal) => { asResponse(): Promise<Response> },
): Promise<UpstreamStream> {
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort();
  };
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  const response = await call(controller.signal).asResponse();
  // Thrown here, it is an HTTP error the client can act on: no headers have gone out yet.
  const refusal = await jsonAnswerToStream(response);
  if (refusal) throw refusal;
  return {
    read: (onBatch, onBytes) => readUpstreamEvents(response, controller, onBatch, onBytes),
    controller,
  };
}

type FetchOptions = NonNullable<OpenAI.RequestOptions['fetchOptions']>;

/**
 * The fetch option that has the lean fetch report the body it sends. The SDK's type for fetch
 * options knows nothing of it; the SDK passes it through all the same (traffic.test.ts checks
 * the recorded bodies against what the upstream received).
 */
function sentTo(onSend: BodySentListener | undefined): FetchOptions {
  return (onSend ? { [onBodySent]: onSend } : {}) as FetchOptions;
}

function usageOf(response: unknown): unknown {
  return typeof response === 'object' && response !== null && 'usage' in response
    ? response.usage
    : undefined;
}
