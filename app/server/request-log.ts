import type { RequestHandler } from 'express';
import type { Logger } from '../log.ts';
import { redactUrl } from '../traffic/redact.ts';

/**
 * One line per request at info, written when the response is done (or the client went away).
 * Routes may add `res.locals.logDetail` (e.g. "claude-opus-4-8 -> gpt-5.1 end_turn").
 */
export function requestLog(
  logger: Logger,
  now: () => number = performance.now.bind(performance),
): RequestHandler {
  return (req, res, next) => {
    const started = now();
    const line = (outcome: string): void => {
      const detail: unknown = res.locals['logDetail'];
      const extra = typeof detail === 'string' && detail !== '' ? ` ${detail}` : '';
      logger.info(
        `${req.method} ${redactUrl(req.originalUrl)} ${outcome} ${Math.round(now() - started)}ms${extra}`,
      );
    };
    res.once('finish', () => {
      line(String(res.statusCode));
    });
    res.once('close', () => {
      if (!res.writableFinished) line(`${res.statusCode} client closed`);
    });
    next();
  };
}
