/**
 * Upstream usage -> Anthropic usage (PROTOCOL.md 3.6, T14). OpenAI's input count includes cached
 * tokens and Anthropic's does not: subtract, or clients double-count the cached part. The same
 * goes for tokens written to a cache (reported by some servers within the input count): for
 * Anthropic, input + cache read + cache creation is the whole prompt.
 */
import type { AnthropicUsage } from '../protocol/anthropic-wire.ts';

export interface UpstreamUsage {
  readonly inputTokens: number;
  readonly cachedTokens: number;
  readonly cacheWriteTokens: number;
  readonly outputTokens: number;
}

export function toAnthropicUsage(usage: UpstreamUsage): AnthropicUsage {
  const cached = Math.min(usage.cachedTokens, usage.inputTokens);
  const written = Math.min(usage.cacheWriteTokens, usage.inputTokens - cached);
  return {
    input_tokens: usage.inputTokens - cached - written,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
  };
}

/** The Responses API usage object, read defensively (fields vary across compatible servers). */
export function fromResponsesUsage(usage: unknown): UpstreamUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const record = usage as Record<string, unknown>;
  const details = (record['input_tokens_details'] ?? {}) as Record<string, unknown>;
  return {
    inputTokens: count(record['input_tokens']),
    cachedTokens: count(details['cached_tokens']),
    cacheWriteTokens: count(details['cache_write_tokens']),
    outputTokens: count(record['output_tokens']),
  };
}

/**
 * Counts the hosted web searches that ran upstream, as Anthropic does; left out when none ran,
 * so an answer without a search keeps exactly the usage it had.
 */
export function withWebSearches(usage: AnthropicUsage, searches: number): AnthropicUsage {
  if (searches === 0) return usage;
  return { ...usage, server_tool_use: { web_search_requests: searches, web_fetch_requests: 0 } };
}

export function zeroUsage(inputEstimate = 0): AnthropicUsage {
  return {
    input_tokens: inputEstimate,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/**
 * Chat Completions usage; DeepSeek names its cache figures differently, Groq nests it, and
 * OpenRouter counts the tokens written to a cache (Anthropic and Gemini models behind it).
 */
export function fromChatUsage(usage: unknown): UpstreamUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const record = usage as Record<string, unknown>;
  const details = (record['prompt_tokens_details'] ?? {}) as Record<string, unknown>;
  return {
    inputTokens: count(record['prompt_tokens']),
    cachedTokens: count(details['cached_tokens']) || count(record['prompt_cache_hit_tokens']),
    cacheWriteTokens: count(details['cache_write_tokens']),
    outputTokens: count(record['completion_tokens']),
  };
}
