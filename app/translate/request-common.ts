/**
 * What both request translators (Responses and Chat Completions) do the same way, so each rule
 * exists once: the system text without Claude Code's billing line, the output-token clamp, the
 * blocks of a message, the tool names a request uses, what stands in for what the upstream cannot
 * take, and the refusal of a server tool forced where it cannot run.
 */
import type {
  ContentBlockParam,
  MessageParam,
  MessagesRequest,
  ToolParam,
  UnknownBlockParam,
} from '../protocol/messages-request.ts';
import { AnthropicError } from '../protocol/anthropic-errors.ts';
import type { ModelCapabilities } from '../upstream/capabilities.ts';
import { isCustomTool, isWebSearchTool, toolNameMap, type ToolNameMap } from './tools.ts';

/** Claude Code's per-request billing line: not an instruction, and it defeats prompt caching. */
const BILLING_LINE_PREFIX = 'x-anthropic-billing-header:';

export type Block = ContentBlockParam | UnknownBlockParam;

export function systemText(system: MessagesRequest['system']): string | undefined {
  if (system === undefined) return undefined;
  const parts = typeof system === 'string' ? [system] : system.map((block) => block.text);
  // Only the billing line itself goes: a string system prompt may carry it as its first line.
  const kept = parts
    .map((text) =>
      text
        .split('\n')
        .filter((line) => !line.startsWith(BILLING_LINE_PREFIX))
        .join('\n')
        .trim(),
    )
    .filter((text) => text !== '');
  return kept.length > 0 ? kept.join('\n\n') : undefined;
}

/** Within the model's limits (T19); a change is noted for the inspector. */
export function clampOutputTokens(
  requested: number,
  caps: ModelCapabilities,
  field: string,
  notes: string[],
): number {
  const clamped = Math.min(Math.max(requested, caps.minOutputTokens), caps.maxOutputTokens);
  if (clamped !== requested)
    notes.push(`max_tokens ${requested} -> ${field} ${clamped} (model limits)`);
  return clamped;
}

export function blocksOf(message: MessageParam): Block[] {
  return typeof message.content === 'string'
    ? [{ type: 'text', text: message.content }]
    : message.content;
}

/** Every tool name the request uses (declared or in the history), for shortening and restoring. */
export function requestToolNames(request: MessagesRequest): ToolNameMap {
  const names = [
    ...(request.tools ?? []).map((tool) => tool.name),
    ...request.messages.flatMap((message) =>
      blocksOf(message).flatMap((block) =>
        block.type === 'tool_use' && typeof block['name'] === 'string' ? [block['name']] : [],
      ),
    ),
  ];
  return toolNameMap(names);
}

/** A PDF's file name as OpenAI reads its type from: by its extension (a title may have none). */
export function pdfFilename(title: string | null | undefined): string {
  const name = title ?? 'document';
  return /\.pdf$/i.test(name) ? name : `${name}.pdf`;
}

/**
 * What stands in for an image the model cannot take. Dropping it would leave the model unaware;
 * sending it would fail this turn and every later one, since the history keeps it.
 */
export function imageLeftOut(model: string, notes: string[]): string {
  notes.push(`replaced an image with a line of text: ${model} does not take image input`);
  return `[An image was here. It was not sent: ${model} does not take image input.]`;
}

/**
 * The words of a part neither API has (a search result, a kind added later), so a tool's result
 * keeps what it said; undefined when it has none.
 */
export function wordsOfUnknownPart(block: Block): string | undefined {
  const record = block as Record<string, unknown>;
  const nested = Array.isArray(record['content']) ? (record['content'] as unknown[]) : [];
  const texts = [
    record['title'],
    record['source'],
    record['text'],
    ...nested.map(textField),
  ].filter((value): value is string => typeof value === 'string' && value !== '');
  return texts.length > 0 ? texts.join('\n') : undefined;
}

function textField(part: unknown): unknown {
  return typeof part === 'object' && part !== null
    ? (part as Record<string, unknown>)['text']
    : undefined;
}

/** Text of the text blocks (system messages and the like); anything else is noted and dropped. */
export function textOf(blocks: readonly Block[], where: string, notes: string[]): string {
  return blocks
    .flatMap((block) => {
      if (block.type === 'text' && typeof block['text'] === 'string') return [block['text']];
      notes.push(`dropped a ${where} ${block.type} block`);
      return [];
    })
    .join('\n\n');
}

/** temperature/top_p where the model takes them (T9); top_k never, neither OpenAI API has it. */
export function samplingFields(
  request: MessagesRequest,
  caps: ModelCapabilities,
  model: string,
  notes: string[],
): { temperature?: number; top_p?: number } {
  if (request.top_k !== undefined) notes.push('dropped top_k: OpenAI has no equivalent');
  if (!caps.acceptsSampling) {
    if (request.temperature !== undefined || request.top_p !== undefined) {
      notes.push(`dropped temperature/top_p: ${model} is a reasoning model and rejects them`);
    }
    return {};
  }
  return {
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.top_p === undefined ? {} : { top_p: request.top_p }),
  };
}

/**
 * A choice forcing a server tool that could not go upstream is refused: the model would answer
 * from memory, and the client would take that for the tool's result (Claude Code's WebSearch
 * hands it on as "Web search results").
 */
export function refuseForcedServerTool(
  choice: MessagesRequest['tool_choice'],
  declared: readonly ToolParam[],
  sent: readonly { readonly type: string; readonly name?: string }[],
  model: string,
): void {
  if (choice?.type !== 'tool') return;
  const tool = declared.find((candidate) => candidate.name === choice.name);
  if (tool === undefined || isCustomTool(tool)) return;
  const kept = isWebSearchTool(tool) && sent.some((candidate) => candidate.type === 'web_search');
  if (kept) return;
  throw new AnthropicError(
    'invalid_request_error',
    `tool_choice: ${choice.name} (${tool.type}) is a server tool ${model} does not have here${isWebSearchTool(tool) ? ': web search needs the Responses API and a model with hosted web search' : ''}`,
  );
}
