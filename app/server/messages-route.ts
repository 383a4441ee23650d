/**
 * POST /v1/messages (and /v1/messages/stream): validate -> route -> translate the request ->
 * call the upstream (aborted when the client goes away) -> translate the answer, as one JSON
 * body or as an SSE stream. Errors before the first byte are HTTP errors; after it, a final SSE
 * `error` event. Nothing is left running when the client disconnects. Each step is recorded on
 * the traffic bus for the inspector.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Settings } from '../config/settings-schema.ts';
import type { Logger } from '../log.ts';
import { AnthropicError } from '../protocol/anthropic-errors.ts';
import { validateMessagesRequest, type MessagesRequest } from '../protocol/messages-request.ts';
import { asJson, ExchangeRecorder } from '../traffic/exchange-recorder.ts';
import type { TrafficBus } from '../traffic/traffic-bus.ts';
import type { AnswerContext } from '../translate/answer-context.ts';
import { toAnthropicError } from '../translate/errors.ts';
import type { TranslatedRequest } from '../translate/to-responses-request.ts';
import type { Upstream } from '../upstream/adapters.ts';
import type { ModelCapabilities } from '../upstream/capabilities.ts';
import { displayBaseUrl } from '../upstream/client.ts';
import { costUsd } from '../upstream/pricing.ts';
import {
  withOutputThatFits,
  withoutParam,
  type RefusedParams,
} from '../upstream/refused-params.ts';
import { routeModel, type RoutingTable } from '../upstream/routing.ts';
import type { AnthropicUsage } from '../protocol/anthropic-wire.ts';
import type { Calibration } from '../upstream/calibration.ts';
import { isClientAbort, toUpstreamFailure } from '../upstream/upstream-failure.ts';
import type { InFlightStreams } from './in-flight.ts';
import { calibrateLater, preflightTokens } from './prompt-size.ts';
import { eventJson } from './event-json.ts';
import { randomId } from './random-id.ts';
import { missingUpstreamKeyMessage } from './guards.ts';
import { sendError } from './send-error.ts';
import { sha256Hex } from './sha256.ts';
import { SilenceTimer } from './silence-timer.ts';
import { SseWriter } from './sse-writer.ts';

/** How long a finished upstream stream may take to end by itself before it is cut. */
const DRAIN_MS = 2_000;
/** Each refusable parameter once, and the output fitted to the window once (refused-params.ts). */
const MAX_REFUSALS = 4;

export interface MessagesRouteDeps {
  readonly settings: Pick<Settings, 'pingIntervalMs' | 'upstreamIdleTimeoutMs'>;
  readonly routing: RoutingTable;
  /** The run's own upstream. */
  readonly upstream: Upstream;
  /** The upstreams routes name by provider. */
  readonly routeUpstreams?: ReadonlyMap<string, Upstream> | undefined;
  readonly logger: Logger;
  readonly inFlight: InFlightStreams;
  /** Where exchanges are recorded; without one nothing is. */
  readonly traffic?: TrafficBus | undefined;
  /** Where local token counts are compared with the upstream's. */
  readonly calibration?: Calibration | undefined;
  /** Hides the configured keys in upstream error messages (some upstreams echo the key). */
  readonly redactText?: ((text: string) => string) | undefined;
  /** Parameters models refused, left out of what is sent to them (T9). */
  readonly refusedParams?: RefusedParams | undefined;
}

interface Exchange {
  readonly request: MessagesRequest;
  readonly upstream: Upstream;
  readonly upstreamModel: string;
  readonly capabilities: ModelCapabilities;
  readonly translated: TranslatedRequest<object>;
  /** Where what a model refused is remembered: its upstream and name. */
  readonly refusalKey: string;
  readonly answer: AnswerContext;
  readonly signal: AbortSignal;
  readonly recorder: ExchangeRecorder;
  /** Called with the body's bytes each time it is sent upstream (a retry sends it again). */
  readonly onSend: ((wire: Uint8Array) => void) | undefined;
}

export function messagesRoute(
  deps: MessagesRouteDeps,
  options: { alwaysStream: boolean },
): RequestHandler {
  return async (req, res) => {
    const exchange = prepare(req, res, deps, options.alwaysStream);
    if (!exchange) return;
    for (const note of exchange.translated.notes) deps.logger.debug(`${req.path}: ${note}`);
    if (options.alwaysStream || exchange.request.stream === true) await stream(exchange, res, deps);
    else await answerOnce(exchange, res, deps);
  };
}

/** Steps 1–3: validate, route, translate. Answers the 400 itself and returns undefined. */
function prepare(
  req: Request,
  res: Response,
  deps: MessagesRouteDeps,
  alwaysStream: boolean,
): Exchange | undefined {
  const body: unknown = req.body;
  const measured: unknown = res.locals['bodyBytes'];
  // The client body's size, for the pre-flight's cheap estimate.
  const bodyBytes = typeof measured === 'number' ? measured : JSON.stringify(body).length;
  const recorder = new ExchangeRecorder(deps.traffic, String(res.getHeader('request-id') ?? ''));
  // The body's bytes as received (create-server.ts keeps them when recording), let go once
  // recorded: a stream may run for minutes.
  const wire: unknown = res.locals['rawBody'];
  delete res.locals['rawBody'];
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const clientModel = typeof fields['model'] === 'string' ? fields['model'] : null;
  const routed = clientModel === null ? undefined : routeModel(clientModel, deps.routing);
  // Copying the headers is work only a recording needs.
  if (recorder.enabled) {
    recorder.emit(
      {
        type: 'exchange.started',
        method: req.method,
        route: req.path,
        clientModel,
        upstreamModel: routed?.upstreamModel ?? null,
        routingRule: routed?.rule ?? null,
        stream: alwaysStream || fields['stream'] === true,
        headers: stringHeaders(req),
        request: asJson(body ?? null),
      },
      wire instanceof Uint8Array ? wire : undefined,
    );
  }

  const upstream =
    routed?.provider === undefined ? deps.upstream : deps.routeUpstreams?.get(routed.provider);
  if (!upstream) {
    // Never the run's own upstream instead: it would get another provider's model and key.
    const message = `No upstream is set up for provider "${routed?.provider ?? ''}" (${routed?.rule ?? ''}).`;
    recorder.failed(500, 'api_error', message, null);
    sendError(res, 'api_error', message);
    return undefined;
  }
  if (routed && !upstream.keyConfigured) {
    const message = missingUpstreamKeyMessage(
      upstream.keyEnv,
      routed.provider === undefined
        ? undefined
        : { provider: routed.provider, rule: routed.rule, model: clientModel ?? '' },
    );
    recorder.failed(401, 'authentication_error', message, null);
    sendError(res, 'authentication_error', message);
    return undefined;
  }
  const validation = validateMessagesRequest(body);
  if (!validation.ok || !routed) {
    const message = validation.ok ? 'model: required' : validation.message;
    recorder.failed(400, 'invalid_request_error', message, null);
    sendError(res, 'invalid_request_error', message);
    return undefined;
  }
  const request = validation.value;
  const { upstreamModel, capabilities, price } = routed;
  const refusalKey = refusalKeyOf(upstream, upstreamModel);
  if (price) recorder.costOf = (usage) => costUsd(price, usage);
  let translated: TranslatedRequest<object>;
  let promptTokens: number;
  try {
    translated = upstream.adapter.translate(request, {
      upstreamModel,
      capabilities,
      hash: sha256Hex,
    });
    const learned = deps.refusedParams?.apply(refusalKey, translated.body);
    if (learned !== undefined && learned !== translated.body)
      translated = { ...translated, body: learned };
    promptTokens = preflightTokens(translated.body, bodyBytes, upstreamModel, capabilities);
  } catch (error) {
    // A request the upstream cannot take (a PDF for a server without files, too many tools).
    if (!(error instanceof AnthropicError)) throw error;
    recorder.failed(error.status, error.type, error.message, null);
    sendError(res, error.type, error.message);
    return undefined;
  }

  // The client going away aborts the upstream call; a finished response does not.
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return {
    request,
    upstream,
    upstreamModel,
    capabilities,
    translated,
    refusalKey,
    signal: controller.signal,
    recorder,
    onSend: recorder.enabled
      ? recordUpstreamRequest(recorder, upstream, translated.notes)
      : undefined,
    answer: {
      messageId: randomId('msg_'),
      clientModel: request.model,
      toolNames: translated.toolNames,
      declaredToolNames: new Set((request.tools ?? []).map((tool) => tool.name)),
      stopSequences: translated.stopSequences,
      inputTokenEstimate: promptTokens,
      contextWindow: capabilities.contextWindow,
      newToolUseId: () => randomId('toolu_'),
    },
  };
}

/**
 * Records each upstream request as sent, from its bytes (the bus parses them back when asked).
 * Built here, apart from the route's other closures: the SDK keeps its request options, this
 * listener among them, reachable past the call, and V8 gives all closures of one scope one
 * context, so one made in `prepare` kept the request and its response alive too.
 */
function recordUpstreamRequest(
  recorder: ExchangeRecorder,
  upstream: Upstream,
  notes: readonly string[],
): (sent: Uint8Array) => void {
  const url = `${displayBaseUrl(upstream.baseUrl)}${upstream.adapter.path}`;
  return (sent) => {
    recorder.emit(
      { type: 'upstream.requested', api: upstream.adapter.api, url, body: null, notes },
      sent,
    );
  };
}

/** Steps 4–5 without streaming: Claude Code's fallback, so as complete as the stream. */
async function answerOnce(
  exchange: Exchange,
  res: Response,
  deps: MessagesRouteDeps,
): Promise<void> {
  const { recorder } = exchange;
  try {
    const { adapter } = exchange.upstream;
    const response = await sendLearning(exchange, deps, (body) =>
      adapter.createOnce(body, exchange.signal, exchange.onSend),
    );
    if (recorder.enabled)
      recorder.emit({ type: 'upstream.event-received', json: JSON.stringify(response) });
    const message = adapter.toMessage(response, exchange.answer);
    const usageMissing = adapter.usageMissing(response);
    const text = JSON.stringify(message);
    recorder.clientMessage(message, text, usageMissing);
    if (!usageMissing) calibrate(exchange, deps, message.usage);
    recorder.finished(200, message.stop_reason);
    logDetail(res, exchange, message.stop_reason ?? '', message.usage);
    res.type('application/json').send(text);
  } catch (error) {
    if (isClientAbort(error)) {
      recorder.failed(null, 'client_gone', 'The client closed the connection.', null);
      return;
    }
    const failure = anthropicErrorOf(error, exchange, deps);
    recorder.failed(failure.status, failure.type, failure.message, upstreamStatusOf(error));
    logDetail(res, exchange, `error ${failure.type}`);
    sendError(res, failure.type, failure.message, failure.headers);
  }
}

/** Steps 4–5 streaming: our headers go out only once the upstream has answered (T16). */
async function stream(exchange: Exchange, res: Response, deps: MessagesRouteDeps): Promise<void> {
  const { recorder } = exchange;
  let upstreamStream;
  try {
    const { adapter } = exchange.upstream;
    upstreamStream = await sendLearning(exchange, deps, (body) =>
      adapter.createStream(body, exchange.signal, exchange.onSend),
    );
  } catch (error) {
    if (isClientAbort(error)) {
      recorder.failed(null, 'client_gone', 'The client closed the connection.', null);
      return;
    }
    const failure = anthropicErrorOf(error, exchange, deps);
    recorder.failed(failure.status, failure.type, failure.message, upstreamStatusOf(error));
    logDetail(res, exchange, `error ${failure.type}`);
    sendError(res, failure.type, failure.message, failure.headers);
    return;
  }

  const translator = exchange.upstream.adapter.streamTranslator(exchange.answer);
  const writer = new SseWriter(res, deps.settings.pingIntervalMs);
  const usageEstimated = (): boolean => translator.outcome.usageEstimated;
  // Queued events go out with the next flush: per upstream read, or with the end.
  const queue = (events: ReturnType<typeof translator.onEvent>): void => {
    if (events.length === 0) return;
    const texts = events.map(eventJson);
    writer.queue(events, texts);
    recorder.clientEvents(events, texts, usageEstimated);
  };
  writer.open({ 'request-id': recorder.exchangeId });
  const forget = deps.inFlight.add((message) => {
    queue(translator.fail('overloaded_error', message));
    writer.end();
    upstreamStream.controller.abort();
  });
  // An upstream that goes silent mid-stream is cut after the idle timeout (the SDK has none).
  const idle = new AbortController();
  const idleMs = deps.settings.upstreamIdleTimeoutMs;
  const watchdog = new SilenceTimer(idleMs, () => {
    idle.abort();
    upstreamStream.controller.abort();
  });
  // Every chunk counts, events or not: a keep-alive comment says the upstream is at work.
  const touchWatchdog = (): void => {
    watchdog.touch();
  };
  // Called once, as soon as the client has its whole answer (or its error).
  const state = { settled: false };
  let drainDeadline: NodeJS.Timeout | undefined;
  const settle = (): void => {
    if (state.settled) return;
    state.settled = true;
    watchdog.stop();
    forget();
    const { error, stopReason, usage, usageEstimated } = translator.outcome;
    if (usage && !usageEstimated) calibrate(exchange, deps, usage);
    if (error) recorder.failed(200, error.type, error.message, null);
    else if (stopReason) recorder.finished(200, stopReason);
    else recorder.failed(200, 'client_gone', 'The client closed the connection mid-stream.', null);
    const ending = error ? `error ${error.type}` : (stopReason ?? 'client gone');
    logDetail(res, exchange, ending, usage ?? undefined);
    writer.end();
  };
  try {
    await upstreamStream.read((batch) => {
      if (state.settled) return undefined; // the answer is out: only reading the rest keeps the socket reusable
      for (let index = 0; index < batch.events.length; index += 1) {
        recorder.upstreamEvent(batch.texts[index] ?? '');
        queue(translator.onEvent(batch.events[index]));
        if (translator.finished) break;
      }
      if (!translator.finished) {
        writer.flush(); // what this read produced, as one write
        return undefined;
      }
      // A stop sequence or an error: the upstream must stop now. A completed answer's stream
      // ends by itself (within DRAIN_MS, or it is cut then).
      if (translator.outcome.stopReason === 'stop_sequence' || translator.outcome.error) {
        return 'stop';
      }
      settle();
      drainDeadline = setTimeout(() => {
        upstreamStream.controller.abort();
      }, DRAIN_MS);
      return undefined;
    }, touchWatchdog);
    // An aborted stream ends quietly: say why, unless it was the client that left.
    if (state.settled) return;
    if (idle.signal.aborted) {
      const seconds = idleMs / 1000;
      const message = `The upstream sent nothing for ${seconds} s (setting "upstreamIdleTimeoutMs").`;
      queue(translator.fail('timeout_error', message));
    } else if (!exchange.signal.aborted) queue(translator.onEnd());
  } catch (error) {
    if (!state.settled && !isClientAbort(error)) {
      const failure = anthropicErrorOf(error, exchange, deps);
      queue(translator.fail(failure.type, failure.message));
    }
  } finally {
    clearTimeout(drainDeadline);
    settle();
  }
}

function refusalKeyOf(upstream: Upstream, model: string): string {
  return `${upstream.baseUrl} ${model}`;
}

/**
 * Sends the body; where the model refuses an optional parameter (T9), sends it again without
 * it, and the parameter is left out for that model from then on; where the output asked for does
 * not fit beside the prompt (vLLM says how much does), asks for what fits. Nothing reached the
 * client yet.
 */
async function sendLearning<T>(
  exchange: Exchange,
  deps: MessagesRouteDeps,
  send: (body: object) => Promise<T>,
): Promise<T> {
  let body = exchange.translated.body;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await send(body);
    } catch (error) {
      if (attempt >= MAX_REFUSALS) throw error;
      const fitted = withOutputThatFits(error, body);
      if (fitted !== undefined) {
        // This prompt's room, not the model's: nothing to remember.
        deps.logger.info(`${exchange.upstreamModel}: output lowered to fit its window, sent again`);
        body = fitted;
        continue;
      }
      const param = deps.refusedParams?.learn(exchange.refusalKey, error, body);
      if (param === undefined) throw error;
      deps.logger.warn(
        `${exchange.upstreamModel} refused ${param}: sent again without it, and left out for this model from now on`,
      );
      body = withoutParam(body, param);
    }
  }
}

/** Compares the local count with the upstream's report, off the hot path. */
function calibrate(exchange: Exchange, deps: MessagesRouteDeps, usage: AnthropicUsage): void {
  if (deps.calibration)
    calibrateLater(deps.calibration, exchange.upstreamModel, exchange.translated.body, usage);
}

/** What the request log line says about this exchange (written when the response ends). */
function logDetail(
  res: Response,
  exchange: Exchange,
  ending: string,
  usage?: AnthropicUsage,
): void {
  let detail = `${exchange.request.model} -> ${exchange.upstreamModel} ${ending}`;
  if (usage) {
    const input =
      usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
    const cost = exchange.recorder.costOf(usage);
    detail += ` (${input} in, ${usage.output_tokens} out${cost === null ? '' : `, $${String(Number(cost.toPrecision(3)))}`})`;
  }
  res.locals['logDetail'] = detail;
}

function anthropicErrorOf(
  error: unknown,
  exchange: Exchange,
  deps: MessagesRouteDeps,
): AnthropicError {
  if (error instanceof AnthropicError) {
    // A translator's error may quote the upstream (a 200 carrying an error), which may echo a key.
    const message = deps.redactText?.(error.message) ?? error.message;
    return message === error.message
      ? error
      : new AnthropicError(error.type, message, error.headers);
  }
  const reported = toUpstreamFailure(error, {
    upstreamModel: exchange.upstreamModel,
    baseUrl: exchange.upstream.baseUrl,
  });
  const failure = { ...reported, message: deps.redactText?.(reported.message) ?? reported.message };
  if (failure.kind === 'connection' || failure.kind === 'connect-timeout') {
    deps.logger.warn(`upstream connection failed: ${failure.message}`);
  }
  return toAnthropicError(failure, {
    promptTokenEstimate: exchange.answer.inputTokenEstimate,
    contextWindow: exchange.capabilities.contextWindow,
    keyEnv: exchange.upstream.keyEnv,
  });
}

function upstreamStatusOf(error: unknown): number | null {
  const status: unknown =
    typeof error === 'object' && error !== null && 'status' in error ? error.status : undefined;
  return typeof status === 'number' ? status : null;
}

function stringHeaders(req: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
