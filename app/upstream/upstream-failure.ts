/**
 * Turns what the `openai` SDK throws into plain data for translate/errors.ts, which must not
 * import the SDK at run time.
 */
import OpenAI from 'openai';
import type { UpstreamFailure } from '../translate/errors.ts';
import { displayBaseUrl } from './client.ts';

export function isClientAbort(error: unknown): boolean {
  return error instanceof OpenAI.APIUserAbortError;
}

/** `where.baseUrl` is shown without its credentials: the message goes to the client and the log. */
export function toUpstreamFailure(
  error: unknown,
  place: { upstreamModel: string; baseUrl: string },
): UpstreamFailure {
  const where = { upstreamModel: place.upstreamModel, baseUrl: displayBaseUrl(place.baseUrl) };
  // The SDK reports a connect timeout as a timeout too; undici's code says it was the connect.
  if (error instanceof Error && causeCodes(error).includes('UND_ERR_CONNECT_TIMEOUT')) {
    return { kind: 'connect-timeout', message: causeMessage(error), ...where };
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return { kind: 'timeout', message: error.message, ...where };
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return { kind: 'connection', message: causeMessage(error), ...where };
  }
  if (error instanceof OpenAI.APIError) {
    const headers = error.headers as Headers | undefined;
    const retryAfter = headers?.get('retry-after') ?? undefined;
    const details: unknown = error.error;
    const body = (typeof details === 'object' && details !== null ? details : {}) as Record<
      string,
      unknown
    >;
    const message = typeof body['message'] === 'string' ? body['message'] : error.message;
    const status: unknown = error.status;
    return {
      kind: 'http',
      ...(typeof status === 'number' ? { status } : {}),
      code: typeof error.code === 'string' ? error.code : null,
      type: typeof error.type === 'string' ? error.type : null,
      message,
      ...(retryAfter === undefined ? {} : { retryAfter }),
      ...where,
    };
  }
  // A failure while reading the stream (socket reset, malformed SSE): the connection broke.
  return {
    kind: 'connection',
    message: error instanceof Error ? error.message : String(error),
    ...where,
  };
}

/** The error and its causes, outermost first (fetch wraps undici's errors in its own). */
function causeChain(error: Error): Error[] {
  const chain: Error[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    chain.push(current);
    current = current.cause;
  }
  return chain;
}

function causeCodes(error: Error): string[] {
  return causeChain(error).flatMap((link) => {
    const code: unknown = (link as Error & { code?: unknown }).code;
    return typeof code === 'string' ? [code] : [];
  });
}

/** The innermost message down the cause chain: "fetch failed" says less than what failed. */
function causeMessage(error: Error): string {
  return causeChain(error).reduce((message, link) => link.message || message, error.message);
}
