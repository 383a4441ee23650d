/**
 * The Anthropic Messages shapes Parley emits (PROTOCOL.md §1). Deliberately narrow: only what a
 * translation can produce. Tests check them against the official SDK, which parses them.
 */
import type { AnthropicErrorType } from './anthropic-errors.ts';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** Hosted tools that ran upstream; only present when one did (Claude Code counts searches). */
  server_tool_use?: ServerToolUsage;
}

export interface ServerToolUsage {
  web_search_requests: number;
  web_fetch_requests: number;
}

export type AnthropicStopReason =
  'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal' | 'pause_turn';

export interface TextBlock {
  type: 'text';
  text: string;
}
export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}
export interface ThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}
/** A hosted web search the upstream ran: shown to the client, never for it to run. */
export interface ServerToolUseBlock {
  type: 'server_tool_use';
  /** `srvtoolu_…`: the result block below points at it. */
  id: string;
  name: 'web_search';
  input: { query: string };
}
export interface WebSearchResult {
  type: 'web_search_result';
  url: string;
  title: string;
  encrypted_content: string;
  page_age: string | null;
}
/** What a search that did not run gives instead of results. */
export interface WebSearchToolResultError {
  type: 'web_search_tool_result_error';
  error_code: 'unavailable';
}
export interface WebSearchToolResultBlock {
  type: 'web_search_tool_result';
  tool_use_id: string;
  content: WebSearchResult[] | WebSearchToolResultError;
}
export type AnthropicContentBlock =
  TextBlock | ToolUseBlock | ThinkingBlock | ServerToolUseBlock | WebSearchToolResultBlock;

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

export type BlockStart =
  | { type: 'text'; text: '' }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, never> }
  | { type: 'thinking'; thinking: ''; signature: '' }
  | { type: 'server_tool_use'; id: string; name: 'web_search'; input: Record<string, never> }
  | WebSearchToolResultBlock;

export type BlockDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string };

export type AnthropicStreamEvent =
  | { type: 'message_start'; message: AnthropicMessage }
  | { type: 'content_block_start'; index: number; content_block: BlockStart }
  | { type: 'content_block_delta'; index: number; delta: BlockDelta }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta';
      delta: { stop_reason: AnthropicStopReason; stop_sequence: string | null };
      usage: AnthropicUsage;
    }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error: { type: AnthropicErrorType; message: string } };
