/**
 * OpenAI Chat Completions body -> Anthropic message (non-streaming; PROTOCOL.md 3.4-3.6). Pure.
 * As complete as the stream: reasoning (reasoning_content, reasoning, typed thinking parts),
 * text cut at stop sequences, refusals, tool calls (a `parallel` wrapper unwrapped, invalid
 * arguments an error, a Gemini thought signature carried in the tool_use id), the ending from
 * finish_reason with tool use winning (T7), usage.
 */
import type { AnthropicContentBlock, AnthropicMessage } from '../protocol/anthropic-wire.ts';
import { AnthropicError } from '../protocol/anthropic-errors.ts';
import type { AnswerContext } from './answer-context.ts';
import { answerFailure } from './errors.ts';
import { asArray, asRecord } from './from-responses.ts';
import { encodeReasoningSignature } from './reasoning-signature.ts';
import { stopReason } from './stop-reason.ts';
import { cutAtStopSequence } from './stop-sequences.ts';
import { signedToolUseId, thoughtSignatureOf } from './thought-signature.ts';
import { toolUseBlocks } from './tool-use-blocks.ts';
import { fromChatUsage, toAnthropicUsage, zeroUsage } from './usage.ts';

export function toAnthropicMessageFromChat(
  completion: unknown,
  ctx: AnswerContext,
): AnthropicMessage {
  const body = asRecord(completion);
  const found = asArray(body['choices'])
    .map(asRecord)
    .find((c) => (c['index'] ?? 0) === 0);
  // Some servers answer a failure with 200 and an `error` object, which the SDK does not throw.
  if (found === undefined) throw answerWithoutChoice(body, ctx);
  const choice = found;
  const message = asRecord(choice['message']);
  const content: AnthropicContentBlock[] = [];

  const reasoning = [stringOf(message['reasoning_content']) || stringOf(message['reasoning'])];
  const texts: string[] = [];
  const parts = message['content'];
  if (typeof parts === 'string') texts.push(parts);
  for (const part of asArray(parts).map(asRecord)) {
    if (part['type'] === 'text') texts.push(stringOf(part['text']));
    if (part['type'] === 'thinking') reasoning.push(thinkingPartText(part));
  }
  const thinking = reasoning.filter((text) => text !== '').join('\n\n');
  if (thinking !== '') content.push(chatThinkingBlock(thinking));

  // Content and refusal read as one text, as the stream sends them into one block.
  const refusal = stringOf(message['refusal']);
  const cut = cutAtStopSequence(texts.join('') + refusal, ctx.stopSequences);
  if (cut.emit !== '') content.push({ type: 'text', text: cut.emit });
  const stopSequence = cut.matched ?? null;

  const finish = stringOf(choice['finish_reason']);
  const calls = stopSequence === null ? asArray(message['tool_calls']).map(asRecord) : [];
  const usedIds = new Set<string>();
  for (const call of calls) {
    const fn = asRecord(call['function']);
    const signature = thoughtSignatureOf(call);
    const upstreamCall = {
      // Gemini's thought signature rides in the id, to come back on the next request.
      callId: signature === undefined ? call['id'] : signedToolUseId(signature),
      name: stringOf(fn['name']),
      arguments: stringOf(fn['arguments']),
      // Cut at the limit, only the last call can have lost its arguments.
      cut: finish === 'length' && call === calls.at(-1),
    };
    content.push(...toolUseBlocks(upstreamCall, ctx, usedIds));
  }

  // PROTOCOL.md 3.5, as on the stream: an unknown ending with nothing to show is an error.
  if (content.length === 0 && !CHAT_ENDINGS.has(finish)) {
    throw new AnthropicError(
      'api_error',
      `The upstream stopped without an answer (finish_reason "${finish}").`,
    );
  }
  const usage = fromChatUsage(body['usage']);
  return {
    id: ctx.messageId,
    type: 'message',
    role: 'assistant',
    model: ctx.clientModel,
    content,
    stop_reason: stopReason({
      stopSequence,
      toolUsed: calls.length > 0,
      refusal: refusal !== '',
      incomplete: chatIncomplete(finish),
    }),
    stop_sequence: stopSequence,
    usage: usage ? toAnthropicUsage(usage) : zeroUsage(ctx.inputTokenEstimate),
  };
}

/** The finish_reasons that end an answer as it should end. */
export const CHAT_ENDINGS: ReadonlySet<string> = new Set([
  'stop',
  'length',
  'tool_calls',
  'function_call',
  'content_filter',
]);

function answerWithoutChoice(body: Record<string, unknown>, ctx: AnswerContext): AnthropicError {
  const error = asRecord(body['error']);
  const message = stringOf(error['message']);
  if (message === '')
    return new AnthropicError('api_error', 'The upstream answered without a choice.');
  const code = typeof error['code'] === 'string' ? error['code'] : null;
  const failure = answerFailure(code, message, 'Upstream error', ctx);
  return new AnthropicError(failure.type, failure.message, failure.headers);
}

/** finish_reason in Responses terms, for stopReason(). */
export function chatIncomplete(finishReason: string): string | undefined {
  if (finishReason === 'length') return 'max_output_tokens';
  if (finishReason === 'content_filter') return 'content_filter';
  return undefined;
}

/**
 * Reasoning from a Chat server rides in a Parley signature too, so a later turn can send it back
 * as reasoning_content (T13). It carries no upstream item (empty id): the Responses path drops it.
 */
export function chatThinkingBlock(thinking: string): AnthropicContentBlock {
  return {
    type: 'thinking',
    thinking,
    signature: encodeReasoningSignature({ id: '', encryptedContent: null, summary: [thinking] }),
  };
}

/** Mistral sends thinking as typed parts: `{type:"thinking", thinking:[{type:"text", text}]}`. */
export function thinkingPartText(part: Record<string, unknown>): string {
  const inner = part['thinking'];
  if (typeof inner === 'string') return inner;
  return asArray(inner)
    .map((piece) => stringOf(asRecord(piece)['text']))
    .join('');
}

export function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
