/**
 * One upstream tool call as the tool_use block(s) the client gets, for both upstream APIs'
 * non-streaming answers: the name restored, a `parallel` wrapper unwrapped, the input parsed
 * (empty means {} unless the answer was cut, anything else must be JSON: an error, never an
 * invented input).
 */
import { AnthropicError } from '../protocol/anthropic-errors.ts';
import type { AnthropicContentBlock } from '../protocol/anthropic-wire.ts';
import { toolUseIdFor, type AnswerContext } from './answer-context.ts';
import {
  clientToolName,
  invalidArgumentsMessage,
  isParallelWrapper,
  parseToolArguments,
  unwrapParallelCall,
} from './tools.ts';

export interface UpstreamCall {
  readonly callId: unknown;
  readonly name: string;
  readonly arguments: string;
  /** The answer stopped at the output limit: empty arguments may be cut ones, not none (T4). */
  readonly cut?: boolean;
}

export function toolUseBlocks(
  call: UpstreamCall,
  ctx: AnswerContext,
  usedIds?: Set<string>,
): AnthropicContentBlock[] {
  if (isParallelWrapper(call.name, ctx.declaredToolNames)) {
    const unwrapped = unwrapParallelCall(call.arguments);
    if (!unwrapped) throw new AnthropicError('api_error', invalidArgumentsMessage(call.name));
    return unwrapped.map((inner) => ({
      type: 'tool_use',
      id: ctx.newToolUseId(),
      name: clientToolName(inner.name, ctx.toolNames),
      input: inner.input,
    }));
  }
  const name = clientToolName(call.name, ctx.toolNames);
  if (call.cut === true && call.arguments.trim() === '') {
    throw new AnthropicError('api_error', invalidArgumentsMessage(name));
  }
  return [
    {
      type: 'tool_use',
      id: toolUseIdFor(call.callId, ctx, usedIds),
      name,
      input: parseToolArguments(call.arguments, name),
    },
  ];
}
