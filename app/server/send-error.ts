import type { Response } from 'express';
import {
  anthropicErrorBody,
  anthropicErrorStatus,
  type AnthropicErrorType,
} from '../protocol/anthropic-errors.ts';

/** Answers with Anthropic's error envelope; the request id set by the server goes along. */
export function sendError(
  res: Response,
  type: AnthropicErrorType,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const requestId = res.getHeader('request-id');
  res
    .status(anthropicErrorStatus[type])
    .set(headers)
    .json(anthropicErrorBody(type, message, typeof requestId === 'string' ? requestId : undefined));
}
