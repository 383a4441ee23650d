/**
 * Anthropic's error envelope and the status that goes with each error type
 * (PROTOCOL.md 1.9). Every error Parley answers with is built here.
 */
export const anthropicErrorStatus = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
} as const;

export type AnthropicErrorType = keyof typeof anthropicErrorStatus;

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
  request_id?: string;
}

export function anthropicErrorBody(
  type: AnthropicErrorType,
  message: string,
  requestId?: string,
): AnthropicErrorBody {
  const body: AnthropicErrorBody = { type: 'error', error: { type, message } };
  if (requestId !== undefined) body.request_id = requestId;
  return body;
}

/** An error that already knows how the client must see it. Thrown inside the engine, sent once. */
export class AnthropicError extends Error {
  override readonly name = 'AnthropicError';
  readonly type: AnthropicErrorType;
  readonly headers: Readonly<Record<string, string>>;
  readonly status: number;
  constructor(
    type: AnthropicErrorType,
    message: string,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.type = type;
    this.headers = headers;
    this.status = anthropicErrorStatus[type];
  }
}
