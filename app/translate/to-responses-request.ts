/**
 * Anthropic Messages request -> OpenAI Responses request (PROTOCOL.md 3.1). Pure.
 *
 * Implements: system -> instructions (Claude Code's billing line dropped); in-place role:"system"
 * messages -> developer items; user text/image/document -> input parts; tool_result ->
 * function_call_output with every part kept and errors marked; assistant text -> assistant
 * message; tool_use -> function_call without item id (T2); Parley-minted thinking -> the reasoning
 * item it carries, only with its encrypted content (T12, T2); tools with strict:false and no
 * $schema (T10); long names shortened; tool_choice, only naming a tool that was sent; images for
 * a model without image input, and parts neither API has, as text; max_tokens clamped (T19);
 * sampling dropped for reasoning models (T9); thinking -> reasoning effort; metadata.user_id ->
 * its hash only (T21); store:false (T11).
 * Drops on purpose, with a note: foreign thinking, redacted_thinking, parts without words, server
 * tools the model lacks, top_k, and the stop sequences (emulated by the response side instead).
 */
import type {
  ResponseCreateParamsNonStreaming,
  ResponseFunctionCallOutputItemList,
  ResponseInputContent,
  ResponseInputItem,
  Tool,
  WebSearchTool,
} from 'openai/resources/responses/responses';
import type {
  ContentBlockParam,
  DocumentBlockParam,
  ImageBlockParam,
  MessageParam,
  MessagesRequest,
  ToolParam,
  ToolResultBlockParam,
} from '../protocol/messages-request.ts';
import type { ModelCapabilities } from '../upstream/capabilities.ts';
import { effortFor } from './reasoning-effort.ts';
import { decodeReasoningSignature } from './reasoning-signature.ts';
import { upstreamCallId } from './thought-signature.ts';
import {
  blocksOf,
  clampOutputTokens,
  imageLeftOut,
  pdfFilename,
  refuseForcedServerTool,
  requestToolNames,
  samplingFields,
  systemText,
  textOf,
  wordsOfUnknownPart,
  type Block,
} from './request-common.ts';
import {
  isCustomTool,
  isWebSearchTool,
  toolArguments,
  toolParameters,
  upstreamToolName,
  type ToolNameMap,
} from './tools.ts';

export type ResponsesRequestBody = Omit<ResponseCreateParamsNonStreaming, 'stream'>;

export interface ResponsesRequestContext {
  readonly upstreamModel: string;
  readonly capabilities: ModelCapabilities;
  /** sha256 hex of a string, injected so the translator stays free of I/O modules. */
  readonly hash: (value: string) => string;
}

export interface TranslatedRequest<Body = ResponsesRequestBody> {
  readonly body: Body;
  /** Upstream tool names that were shortened, mapped back to the client's names. */
  readonly toolNames: ToolNameMap;
  /** The client's stop sequences, emulated while translating the answer. */
  readonly stopSequences: readonly string[];
  /** What was dropped or changed, for the log and the inspector. */
  readonly notes: readonly string[];
}

/** What converting the history needs besides its blocks. */
interface History {
  readonly notes: string[];
  readonly model: string;
  readonly imageInput: boolean;
}

export function toResponsesRequest(
  request: MessagesRequest,
  ctx: ResponsesRequestContext,
): TranslatedRequest {
  const notes: string[] = [];
  const caps = ctx.capabilities;
  const history: History = { notes, model: ctx.upstreamModel, imageInput: caps.imageInput };
  const body: ResponsesRequestBody = {
    model: ctx.upstreamModel,
    input: request.messages.flatMap((message) => messageItems(message, history)),
    store: false,
    max_output_tokens: clampOutputTokens(request.max_tokens, caps, 'max_output_tokens', notes),
  };

  const instructions = systemText(request.system);
  if (instructions !== undefined) body.instructions = instructions;

  const tools = (request.tools ?? []).flatMap((tool): Tool[] => {
    if (isCustomTool(tool)) {
      const definition: Tool = {
        type: 'function',
        name: upstreamToolName(tool.name),
        parameters: toolParameters(tool.input_schema),
        strict: false,
      };
      if (tool.description !== undefined) definition.description = tool.description;
      return [definition];
    }
    if (isWebSearchTool(tool) && caps.webSearch) return [webSearchTool(tool, body, notes)];
    notes.push(
      `dropped server tool ${tool.name} (${tool.type}): ${ctx.upstreamModel} has no equivalent`,
    );
    return [];
  });
  if (tools.length > 0) body.tools = tools;

  // Without tools a choice is a 400 upstream ("required" of nothing), as on the Chat path.
  const choice = request.tool_choice;
  refuseForcedServerTool(choice, request.tools ?? [], tools, ctx.upstreamModel);
  if (choice && tools.length > 0) {
    const toolChoice = responsesToolChoice(choice, tools, request.tools ?? []);
    if (toolChoice !== undefined) body.tool_choice = toolChoice;
    else notes.push(`dropped tool_choice naming ${toolChoiceName(choice)}: no such tool was sent`);
    if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true) {
      body.parallel_tool_calls = false;
    }
  } else if (choice) notes.push(`dropped tool_choice ${choice.type}: no tools were sent`);

  Object.assign(body, samplingFields(request, caps, ctx.upstreamModel, notes));

  const searches = tools.some((tool) => tool.type === 'web_search');
  const effort = effortFor(request, caps);
  if (effort !== undefined) {
    // OpenAI: "web_search cannot be used with reasoning.effort 'minimal'" (a thinking-off request
    // to gpt-5 gets the lowest effort): the next one up.
    const searchable =
      searches && effort === 'minimal'
        ? (caps.reasoningEfforts.find((candidate) => candidate !== 'minimal') ?? effort)
        : effort;
    body.reasoning = { effort: searchable, summary: 'auto' };
    body.include = ['reasoning.encrypted_content'];
  }
  // The pages a search found, for the client's web_search_tool_result blocks.
  if (searches) body.include = [...(body.include ?? []), 'web_search_call.action.sources'];

  const userId = request.metadata?.user_id;
  if (typeof userId === 'string' && userId !== '') {
    const hashed = ctx.hash(userId);
    body.safety_identifier = hashed;
    body.prompt_cache_key = hashed;
  }

  return {
    body,
    toolNames: requestToolNames(request),
    stopSequences: request.stop_sequences ?? [],
    notes,
  };
}

type ToolChoice = NonNullable<MessagesRequest['tool_choice']>;

/**
 * Anthropic's web search settings in OpenAI's terms: allowed domains as a filter, the user's
 * location, `max_uses` as the cap on hosted tool calls. Blocked domains have no equivalent.
 */
function webSearchTool(tool: ToolParam, body: ResponsesRequestBody, notes: string[]): Tool {
  const settings = tool as Record<string, unknown>;
  const search: WebSearchTool = { type: 'web_search' };
  const allowed = stringsOf(settings['allowed_domains']);
  if (allowed.length > 0) search.filters = { allowed_domains: allowed };
  const where = settings['user_location'];
  if (typeof where === 'object' && where !== null) {
    const place = where as Record<string, unknown>;
    const location: WebSearchTool.UserLocation = { type: 'approximate' };
    for (const field of ['city', 'region', 'country', 'timezone'] as const) {
      const value = place[field];
      if (typeof value === 'string' && value !== '') location[field] = value;
    }
    search.user_location = location;
  }
  const maxUses = settings['max_uses'];
  if (typeof maxUses === 'number' && Number.isInteger(maxUses) && maxUses > 0) {
    body.max_tool_calls = maxUses;
  }
  if (stringsOf(settings['blocked_domains']).length > 0) {
    notes.push('web search: blocked_domains dropped (OpenAI has no such filter)');
  }
  return search;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string' && item !== '')
    : [];
}

/** A named tool must be one that went upstream; the hosted web search is named by its type. */
function responsesToolChoice(
  choice: ToolChoice,
  sent: readonly Tool[],
  declared: readonly ToolParam[],
): ResponsesRequestBody['tool_choice'] {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool': {
      const name = upstreamToolName(choice.name);
      if (sent.some((tool) => tool.type === 'function' && tool.name === name)) {
        return { type: 'function', name };
      }
      // refuseForcedServerTool has made sure that a search named here went upstream.
      const tool = declared.find((candidate) => candidate.name === choice.name);
      return tool && isWebSearchTool(tool)
        ? { type: 'allowed_tools', mode: 'required', tools: [{ type: 'web_search' }] }
        : undefined;
    }
  }
}

function toolChoiceName(choice: ToolChoice): string {
  return choice.type === 'tool' ? choice.name : choice.type;
}

function messageItems(message: MessageParam, history: History): ResponseInputItem[] {
  const blocks = blocksOf(message);
  switch (message.role) {
    case 'system':
      return [
        {
          type: 'message',
          role: 'developer',
          content: textOf(blocks, 'system-message', history.notes),
        },
      ];
    case 'user':
      return userItems(blocks, history);
    case 'assistant':
      return assistantItems(blocks, history);
  }
}

/** User content in order; a tool_result closes the pending user message so the order holds. */
function userItems(blocks: Block[], history: History): ResponseInputItem[] {
  const items: ResponseInputItem[] = [];
  let pending: ResponseInputContent[] = [];
  const flush = (): void => {
    if (pending.length > 0) items.push({ type: 'message', role: 'user', content: pending });
    pending = [];
  };
  for (const block of blocks) {
    if (block.type === 'tool_result') {
      flush();
      items.push(functionCallOutput(block as ToolResultBlockParam, history));
      continue;
    }
    const part = inputPart(block, history);
    if (part) pending.push(part);
  }
  flush();
  return items;
}

function assistantItems(blocks: Block[], history: History): ResponseInputItem[] {
  const items: ResponseInputItem[] = [];
  for (const block of blocks) {
    const typed = block as ContentBlockParam;
    switch (typed.type) {
      case 'text':
        if (typed.text !== '')
          items.push({ type: 'message', role: 'assistant', content: typed.text });
        break;
      case 'tool_use':
        items.push({
          type: 'function_call',
          call_id: upstreamCallId(typed.id),
          name: upstreamToolName(typed.name),
          arguments: toolArguments(typed.input),
        });
        break;
      case 'thinking': {
        const carried = decodeReasoningSignature(typed.signature);
        // Reasoning minted on the Chat path carries no upstream item (empty id): nothing to send.
        // Without its encrypted content the item is only a reference, and under store:false the
        // upstream answers 404 to it on every later turn (T2).
        if (carried && carried.id !== '' && carried.encryptedContent !== null) {
          items.push({
            type: 'reasoning',
            id: carried.id,
            summary: carried.summary.map((text) => ({ type: 'summary_text', text })),
            encrypted_content: carried.encryptedContent,
          });
        } else if (carried && carried.id !== '') {
          history.notes.push(
            `dropped reasoning item ${carried.id}: it came without encrypted content, and under store:false the upstream cannot take it back`,
          );
        } else {
          history.notes.push(
            'dropped a thinking block not minted by Parley (its signature belongs to another backend)',
          );
        }
        break;
      }
      case 'redacted_thinking':
        history.notes.push('dropped a redacted_thinking block');
        break;
      default:
        history.notes.push(`dropped an assistant ${block.type} block`);
    }
  }
  return items;
}

function inputPart(block: Block, history: History): ResponseInputContent | undefined {
  const typed = block as ContentBlockParam;
  switch (typed.type) {
    case 'text':
      return { type: 'input_text', text: typed.text };
    case 'image':
      return history.imageInput
        ? imagePart(typed)
        : { type: 'input_text', text: imageLeftOut(history.model, history.notes) };
    case 'document':
      return documentPart(typed);
    default: {
      const words = wordsOfUnknownPart(block);
      history.notes.push(
        words === undefined
          ? `dropped a user ${block.type} block`
          : `sent a user ${block.type} block as its text`,
      );
      return words === undefined ? undefined : { type: 'input_text', text: words };
    }
  }
}

function imagePart(block: ImageBlockParam): ResponseInputContent {
  const url =
    block.source.type === 'base64'
      ? `data:${block.source.media_type};base64,${block.source.data}`
      : block.source.url;
  return { type: 'input_image', image_url: url, detail: 'auto' };
}

function documentPart(block: DocumentBlockParam): ResponseInputContent {
  const source = block.source;
  const filename = pdfFilename(block.title);
  switch (source.type) {
    case 'base64':
      return {
        type: 'input_file',
        filename,
        file_data: `data:${source.media_type};base64,${source.data}`,
      };
    case 'url':
      return { type: 'input_file', file_url: source.url };
    case 'text':
      return {
        type: 'input_text',
        text: block.title ? `${block.title}\n\n${source.data}` : source.data,
      };
  }
}

/** Every part kept: text stays text, images stay images; an error is said in words (T17). */
function functionCallOutput(block: ToolResultBlockParam, history: History): ResponseInputItem {
  const errorPrefix = block.is_error === true ? 'Error: ' : '';
  const content = block.content;
  if (content === undefined || typeof content === 'string') {
    return {
      type: 'function_call_output',
      call_id: upstreamCallId(block.tool_use_id),
      output: errorPrefix + (content ?? ''),
    };
  }
  const parts: ResponseFunctionCallOutputItemList = [];
  if (errorPrefix !== '') parts.push({ type: 'input_text', text: errorPrefix.trim() });
  for (const part of content) {
    const converted = inputPart(part, history);
    if (converted) parts.push(converted);
  }
  const textParts = parts.flatMap((part) => (part.type === 'input_text' ? [part.text] : []));
  const output = textParts.length === parts.length ? textParts.join('\n') : parts;
  return { type: 'function_call_output', call_id: upstreamCallId(block.tool_use_id), output };
}
