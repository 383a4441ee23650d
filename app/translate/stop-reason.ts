/**
 * How a message ended, in Anthropic's terms (PROTOCOL.md 3.5), from facts both upstream APIs
 * report. Tool use wins over the upstream's own ending, which is not reliable for it (T7).
 */
import type { AnthropicStopReason } from '../protocol/anthropic-wire.ts';

export interface StopReasonFacts {
  readonly stopSequence: string | null;
  readonly toolUsed: boolean;
  readonly refusal: boolean;
  readonly incomplete: string | undefined;
}

/** PROTOCOL.md 3.5: tool use wins over the upstream's own ending (T7). */
export function stopReason(facts: StopReasonFacts): AnthropicStopReason {
  if (facts.stopSequence !== null) return 'stop_sequence';
  if (facts.toolUsed) return 'tool_use';
  if (facts.incomplete === 'max_output_tokens') return 'max_tokens';
  if (facts.incomplete === 'content_filter' || facts.refusal) return 'refusal';
  return 'end_turn';
}
