/**
 * What the server answers when no route did: unknown paths (usually a misconfigured base URL)
 * and errors thrown by body parsing or a route. Both are Anthropic-shaped; no stack ever leaves.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log.ts';
import { AnthropicError } from '../protocol/anthropic-errors.ts';
import { redactUrl } from '../traffic/redact.ts';
import { sendError } from './send-error.ts';

export function notFound(publicUrl: () => string): RequestHandler {
  return (req, res) => {
    const base = publicUrl();
    const doubled = req.path.startsWith('/v1/v1/');
    const hint = doubled
      ? ` Your ANTHROPIC_BASE_URL ends in /v1; set it to ${base} (the client adds /v1 itself).`
      : ` Parley serves the Anthropic Messages API: set ANTHROPIC_BASE_URL=${base} and the client will call ${base}/v1/messages.`;
    sendError(res, 'not_found_error', `Not found: ${req.method} ${req.path}.${hint}`);
  };
}

/** body-parser tags its errors with a `type` such as "entity.too.large". */
function bodyParserErrorType(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  const { type } = error;
  if (typeof type !== 'string') return undefined;
  return type.startsWith('entity.') || type.endsWith('.unsupported') ? type : undefined;
}

export function errorHandler(logger: Logger, bodyLimitBytes: number): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // Too late for an HTTP error; the route owns the stream and has ended it.
      next(error);
      return;
    }
    if (error instanceof AnthropicError) {
      sendError(res, error.type, error.message, error.headers);
      return;
    }
    const parseFailure = bodyParserErrorType(error);
    if (parseFailure === 'entity.too.large') {
      sendError(
        res,
        'request_too_large',
        `Request body is larger than Parley's limit of ${bodyLimitBytes} bytes (setting "bodyLimitBytes").`,
      );
      return;
    }
    if (parseFailure === 'entity.parse.failed') {
      sendError(res, 'invalid_request_error', 'Request body is not valid JSON.');
      return;
    }
    if (parseFailure !== undefined) {
      sendError(res, 'invalid_request_error', `Request body could not be read (${parseFailure}).`);
      return;
    }
    logger.error(
      `${req.method} ${redactUrl(req.originalUrl)} failed inside Parley: ${error instanceof Error ? error.message : String(error)}`,
    );
    sendError(res, 'api_error', 'Internal error in Parley; see its log for details.');
  };
}
