/**
 * OpenAI Responses body -> Anthropic message (non-streaming; PROTOCOL.md 3.3, 3.5, 3.6). Pure.
 * The non-streaming path is Claude Code's fallback after a stream error, so it is as complete
 * as the stream: text, refusals, tool calls (invalid arguments are an error, never an invented
 * input), reasoning carried in the thinking signature, emulated stop sequences, usage. A hosted
 * web search becomes Anthropic's server_tool_use + web_search_tool_result pair (counted in
 * usage.server_tool_use); its other actions (open_page, find_in_page) are dropped.
 */
import { AnthropicError } from '../protocol/anthropic-errors.ts';
import type {
  AnthropicContentBlock,
  AnthropicMessage,
  WebSearchResult,
  WebSearchToolResultBlock,
} from '../protocol/anthropic-wire.ts';
import type { AnswerContext } from './answer-context.ts';
import { answerFailure } from './errors.ts';
import { encodeReasoningSignature } from './reasoning-signature.ts';
import { cutAtStopSequence } from './stop-sequences.ts';
import { stopReason } from './stop-reason.ts';
import { toolUseBlocks } from './tool-use-blocks.ts';
import { fromResponsesUsage, toAnthropicUsage, withWebSearches, zeroUsage } from './usage.ts';

type Json = Record<string, unknown>;

export function toAnthropicMessage(response: unknown, ctx: AnswerContext): AnthropicMessage {
  const body = asRecord(response);
  if (body['status'] === 'failed') {
    const error = asRecord(body['error']);
    const code = typeof error['code'] === 'string' ? error['code'] : null;
    const message = typeof error['message'] === 'string' ? error['message'] : 'no reason given';
    const failure = answerFailure(code, message, 'Upstream response failed', ctx);
    throw new AnthropicError(failure.type, failure.message, failure.headers);
  }
  const content: AnthropicContentBlock[] = [];
  let refusal = false;
  let toolUsed = false;
  let stopSequence: string | null = null;
  let webSearches = 0;
  // A compatible server may repeat one call_id across calls; each block still needs its own id.
  const usedIds = new Set<string>();
  const atLimit = incompleteReason(body) === 'max_output_tokens';
  const output = asArray(body['output']).map(asRecord);

  for (const item of output) {
    if (stopSequence !== null) break;
    switch (item['type']) {
      case 'reasoning':
        content.push(thinkingBlock(item));
        break;
      case 'message':
        for (const part of asArray(item['content']).map(asRecord)) {
          const text = part['type'] === 'refusal' ? part['refusal'] : part['text'];
          if (typeof text !== 'string') continue;
          if (part['type'] === 'refusal') refusal = true;
          const cut = cutAtStopSequence(text, ctx.stopSequences);
          if (cut.emit !== '') content.push({ type: 'text', text: cut.emit });
          if (cut.matched !== undefined) {
            stopSequence = cut.matched;
            break;
          }
        }
        break;
      case 'function_call':
        content.push(
          ...toolUseBlocks(
            {
              callId: item['call_id'],
              name: typeof item['name'] === 'string' ? item['name'] : '',
              arguments: typeof item['arguments'] === 'string' ? item['arguments'] : '',
              // At the limit only the last item can have been cut; the calls before it ended.
              cut: item['status'] === 'incomplete' || (atLimit && item === output.at(-1)),
            },
            ctx,
            usedIds,
          ),
        );
        toolUsed = true;
        break;
      case 'web_search_call': {
        // Not a tool use: the upstream already ran it, so the stop reason stays as it is.
        const search = webSearchOf(item);
        if (!search) break;
        const id = serverToolUseId(ctx);
        content.push(
          { type: 'server_tool_use', id, name: 'web_search', input: { query: search.query } },
          { type: 'web_search_tool_result', tool_use_id: id, content: search.results },
        );
        webSearches += 1;
        break;
      }
      default:
      // hosted tools and future item kinds: not ours to show (T15)
    }
  }

  const usage = fromResponsesUsage(body['usage']);
  return {
    id: ctx.messageId,
    type: 'message',
    role: 'assistant',
    model: ctx.clientModel,
    content,
    stop_reason: stopReason({
      stopSequence,
      toolUsed,
      refusal,
      incomplete: incompleteReason(body),
    }),
    stop_sequence: stopSequence,
    usage: withWebSearches(
      usage ? toAnthropicUsage(usage) : zeroUsage(ctx.inputTokenEstimate),
      webSearches,
    ),
  };
}

/** What a hosted web_search_call searched for and found. */
export interface WebSearch {
  readonly query: string;
  readonly results: WebSearchToolResultBlock['content'];
}

/**
 * The search a web_search_call item ran, or undefined for its other actions (open_page,
 * find_in_page): those read a page found earlier and have no result list to show. Sources come
 * as bare URLs (with `include: ["web_search_call.action.sources"]`), so the title is the host,
 * and there is no encrypted content or page age to give.
 */
export function webSearchOf(item: Json): WebSearch | undefined {
  const action = asRecord(item['action']);
  if (action['type'] !== 'search') return undefined;
  const first = asArray(action['queries'])[0];
  const query =
    typeof action['query'] === 'string' ? action['query'] : typeof first === 'string' ? first : '';
  const results = asArray(action['sources']).flatMap((source): WebSearchResult[] => {
    const url = asRecord(source)['url'];
    if (typeof url !== 'string') return []; // (`api` sources name a data feed, not a page)
    return [
      { type: 'web_search_result', url, title: hostOf(url), encrypted_content: '', page_age: null },
    ];
  });
  // A search that failed is not one that found nothing: Anthropic's error form says so.
  const failed = item['status'] === 'failed' || item['status'] === 'incomplete';
  return {
    query,
    results: failed ? { type: 'web_search_tool_result_error', error_code: 'unavailable' } : results,
  };
}

/** Anthropic's server tool ids read `srvtoolu_…`; the context's fresh ids are unique per message. */
export function serverToolUseId(ctx: AnswerContext): string {
  return `srvtoolu_${ctx.newToolUseId().replace(/^toolu_/, '')}`;
}

function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).hostname || url : url;
}

export function incompleteReason(response: Json): string | undefined {
  if (response['status'] !== 'incomplete') return undefined;
  const reason = asRecord(response['incomplete_details'])['reason'];
  return typeof reason === 'string' ? reason : 'max_output_tokens';
}

export function thinkingBlock(item: Json): AnthropicContentBlock {
  const summary = summaryTexts(item);
  const encrypted = item['encrypted_content'];
  return {
    type: 'thinking',
    thinking: summary.filter((text) => text !== '').join('\n\n'),
    signature: encodeReasoningSignature({
      id: typeof item['id'] === 'string' ? item['id'] : '',
      encryptedContent: typeof encrypted === 'string' ? encrypted : null,
      summary,
    }),
  };
}

export function summaryTexts(item: Json): string[] {
  return asArray(item['summary']).flatMap((part) => {
    const text = asRecord(part)['text'];
    return typeof text === 'string' ? [text] : [];
  });
}

export function asRecord(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
