/**
 * Upstream failures -> Anthropic errors (PROTOCOL.md 3.7). Claude Code decides whether to retry
 * from the status and type, and shows the message verbatim, so both must be right.
 */
import { AnthropicError, type AnthropicErrorType } from '../protocol/anthropic-errors.ts';

/** A failed upstream call, in plain data (the upstream layer extracts it from SDK errors). */
export interface UpstreamFailure {
  /** `connect-timeout`: the connection itself could not be opened in time. */
  readonly kind: 'http' | 'timeout' | 'connect-timeout' | 'connection';
  readonly status?: number;
  readonly code?: string | null;
  readonly type?: string | null;
  readonly message: string;
  readonly retryAfter?: string;
  /** Where it went, for messages the user can act on. */
  readonly upstreamModel: string;
  readonly baseUrl: string;
}

export interface ErrorContext {
  /** Parley's own estimate of the prompt, for context-length errors without numbers. */
  readonly promptTokenEstimate: number;
  readonly contextWindow: number;
  /** Where the upstream key came from (OPENAI_API_KEY, or a route provider's own variable). */
  readonly keyEnv?: string;
}

export function toAnthropicError(failure: UpstreamFailure, ctx: ErrorContext): AnthropicError {
  if (failure.kind === 'timeout') {
    return new AnthropicError(
      'timeout_error',
      `The upstream at ${failure.baseUrl} did not answer in time.`,
    );
  }
  if (failure.kind === 'connect-timeout') {
    return new AnthropicError(
      'timeout_error',
      `Could not connect to the upstream at ${failure.baseUrl} in time (setting "upstreamConnectTimeoutMs"): ${failure.message}`,
    );
  }
  if (failure.kind === 'connection') {
    return new AnthropicError(
      'api_error',
      `Cannot reach the upstream at ${failure.baseUrl}: ${failure.message}`,
    );
  }
  const upstream = `Upstream (${failure.upstreamModel}): ${failure.message}`;
  if (isOutputTooLarge(failure)) {
    // Not the prompt: compacting (what "prompt is too long" makes Claude Code do) cannot help.
    return new AnthropicError(
      'invalid_request_error',
      `${upstream} Parley asks for the output tokens the client asked for, up to what it knows of ${failure.upstreamModel}: set "maxOutputTokens" (and "contextWindow") for it under "models" in the settings, or a route's "maxOutputTokens".`,
    );
  }
  if (isContextOverflow(failure)) {
    return new AnthropicError(
      'invalid_request_error',
      contextOverflowMessage(failure.message, ctx),
    );
  }
  if (failure.status === undefined) {
    // An error event inside an upstream stream: only its code says what kind it is.
    return new AnthropicError(streamErrorType(failure.code), upstream);
  }
  const status = failure.status;
  switch (status) {
    case 400:
    case 422:
      return new AnthropicError('invalid_request_error', upstream);
    case 401:
      return new AnthropicError(
        'authentication_error',
        `The upstream rejected Parley's upstream API key (${ctx.keyEnv ?? 'OPENAI_API_KEY'}), not your proxy key: ${failure.message}`,
      );
    case 402:
      return new AnthropicError('billing_error', upstream);
    case 403:
      return new AnthropicError('permission_error', upstream);
    case 404:
      return new AnthropicError(
        'not_found_error',
        isAboutAnItem(failure)
          ? upstream
          : `The upstream does not know model "${failure.upstreamModel}" (or the base URL ${failure.baseUrl} is wrong): ${failure.message}`,
      );
    case 413:
      return new AnthropicError('request_too_large', upstream);
    case 429:
      return rateLimited(failure, upstream);
    case 503:
    case 529:
      return new AnthropicError('overloaded_error', upstream);
    case 504:
      return new AnthropicError('timeout_error', upstream);
    default:
      if (status >= 300 && status < 400) {
        // Parley follows no redirect: the base URL is not the API's own (http for https, a path).
        return new AnthropicError(
          'invalid_request_error',
          `The upstream at ${failure.baseUrl} answered ${status}, a redirect, which Parley does not follow: check the base URL's scheme (https?) and path. ${failure.message}`,
        );
      }
      return status >= 500 || status < 400
        ? new AnthropicError('api_error', upstream)
        : new AnthropicError(typeForClientError(status), upstream);
  }
}

/** The mid-stream form: only the type and message travel in the SSE `error` event. */
export function streamErrorType(code: string | null | undefined): AnthropicErrorType {
  switch (code) {
    case 'rate_limit_exceeded':
    case 'insufficient_quota':
      return 'rate_limit_error';
    case 'server_is_overloaded':
    case 'overloaded':
      return 'overloaded_error';
    case 'context_length_exceeded':
      return 'invalid_request_error';
    default:
      return 'api_error';
  }
}

/** Quota does not come back by retrying; the SDKs honour x-should-retry. */
const NO_RETRY: Readonly<Record<string, string>> = { 'x-should-retry': 'false' };

function rateLimited(failure: UpstreamFailure, message: string): AnthropicError {
  if (failure.code === 'insufficient_quota') {
    return new AnthropicError('rate_limit_error', message, NO_RETRY);
  }
  return new AnthropicError(
    'rate_limit_error',
    message,
    failure.retryAfter === undefined ? {} : { 'retry-after': failure.retryAfter },
  );
}

/**
 * A 404 for an item of the request (a reasoning item the upstream did not store) is not about the
 * model or the URL: sending the user to check those would mislead. The model's own 404s name it.
 */
function isAboutAnItem(failure: UpstreamFailure): boolean {
  return (
    failure.code !== 'model_not_found' &&
    !/\bmodel\b/i.test(failure.message) &&
    /\bitems?\b/i.test(failure.message)
  );
}

/**
 * A failure the upstream reported inside its answer: a `response.failed`, or an error event of a
 * stream that had begun. A context overflow can come this way too.
 */
export function answerFailure(
  code: string | null,
  message: string,
  lead: string,
  answer: { readonly inputTokenEstimate: number; readonly contextWindow?: number | undefined },
): { type: AnthropicErrorType; message: string; headers?: Readonly<Record<string, string>> } {
  // An HTTP answer (the non-streaming one) says so in its headers.
  if (code === 'insufficient_quota') {
    return { type: 'rate_limit_error', message: `${lead}: ${message}`, headers: NO_RETRY };
  }
  if (answer.contextWindow !== undefined && isContextOverflow({ code, message })) {
    return {
      type: 'invalid_request_error',
      message: contextOverflowMessage(message, {
        promptTokenEstimate: answer.inputTokenEstimate,
        contextWindow: answer.contextWindow,
      }),
    };
  }
  return { type: streamErrorType(code), message: `${lead}: ${message}` };
}

/** Below this much room for output, a prompt is as good as too long: compacting is the cure. */
export const MIN_OUTPUT_ROOM = 1_024;

/**
 * vLLM's refusal of an output that does not fit beside the prompt ("'max_tokens' or
 * 'max_completion_tokens' is too large: 32000. This model's maximum context length is 32768
 * tokens and your request has 18000 input tokens"): the room the window leaves for output (NaN
 * where the message does not say); undefined for any other message.
 */
export function outputRoom(message: string): number | undefined {
  if (!/\bmax_(completion_|output_)?tokens\b[^.]*\btoo large\b/i.test(message)) return undefined;
  const window = /maximum context length is (\d+)/i.exec(message)?.[1];
  const input = /(\d+) input tokens/i.exec(message)?.[1];
  return Number(window ?? Number.NaN) - Number(input ?? Number.NaN);
}

/**
 * The prompt fits the window, but not with the output asked for (the route has already tried
 * again with what room there was). With little room left it is a long prompt after all.
 */
function isOutputTooLarge(failure: UpstreamFailure): boolean {
  if (failure.status === undefined || failure.status >= 500) return false;
  const room = outputRoom(failure.message);
  return room !== undefined && !(room < MIN_OUTPUT_ROOM);
}

/** By its code or words; an HTTP answer only with a status that can mean it (or none: a stream). */
function isContextOverflow(
  failure: Pick<UpstreamFailure, 'code' | 'message'> & { readonly status?: number | undefined },
): boolean {
  const status = failure.status;
  if (failure.code === 'rate_limit_exceeded' || failure.code === 'insufficient_quota') return false;
  return (
    (failure.code === 'context_length_exceeded' ||
      /maximum context length|context[_ ]length|too many tokens|prompt is too long/i.test(
        failure.message,
      )) &&
    (status === undefined || status === 400 || status === 413 || status === 422)
  );
}

/** Claude Code compacts when the message starts with Anthropic's own wording. */
function contextOverflowMessage(upstreamMessage: string, ctx: ErrorContext): string {
  const numbers = [...upstreamMessage.matchAll(/(\d[\d,]*)\s*tokens/g)].map((match) =>
    Number((match[1] ?? '').replace(/,/g, '')),
  );
  const maximum = numbers[0] ?? ctx.contextWindow;
  const actual =
    numbers.find((value) => value > maximum) ?? Math.max(ctx.promptTokenEstimate, maximum + 1);
  return `prompt is too long: ${actual} tokens > ${maximum} maximum (upstream: ${upstreamMessage})`;
}

function typeForClientError(status: number): AnthropicErrorType {
  return status === 408 ? 'timeout_error' : 'invalid_request_error';
}
