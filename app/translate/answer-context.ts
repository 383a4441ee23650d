import type { ToolNameMap } from './tools.ts';

/** What translating an upstream answer needs to know about the request it answers. */
export interface AnswerContext {
  /** `msg_…` id of the Anthropic message. */
  readonly messageId: string;
  /** The model name the client asked for; Anthropic clients key features off it (T20). */
  readonly clientModel: string;
  readonly toolNames: ToolNameMap;
  readonly stopSequences: readonly string[];
  /** Parley's estimate of the prompt, shown in message_start until the upstream reports. */
  readonly inputTokenEstimate: number;
  /** The model's context window, for a context overflow reported inside the answer. */
  readonly contextWindow?: number;
  /** The tools the client declared (a wrapper call is only unwrapped when not one of them). */
  readonly declaredToolNames?: ReadonlySet<string>;
  /** A fresh `toolu_…` id, for upstream call ids Anthropic clients would not accept (T3). */
  readonly newToolUseId: () => string;
}

const anthropicIdPattern = /^[a-zA-Z0-9_-]+$/;

/**
 * Keeps a well-formed upstream call id (the next request echoes it back); replaces an id that is
 * missing, malformed or already used in this message (some servers repeat one id for every call).
 */
export function toolUseIdFor(callId: unknown, ctx: AnswerContext, used?: Set<string>): string {
  const keep =
    typeof callId === 'string' && anthropicIdPattern.test(callId) && used?.has(callId) !== true;
  const id = keep ? callId : ctx.newToolUseId();
  used?.add(id);
  return id;
}

/** A rough token count for so many characters, for when the upstream reports nothing. */
export function estimateTokensOfChars(chars: number): number {
  return Math.ceil(chars / 4);
}
