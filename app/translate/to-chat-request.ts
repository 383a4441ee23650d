/**
 * Anthropic Messages request -> OpenAI Chat Completions request (PROTOCOL.md 3.2). Pure.
 *
 * Implements: system text (billing line dropped) and in-place role:"system" messages -> system or
 * developer messages; text/image/document -> content parts (a PDF only where the provider takes
 * files, else a clear 400); assistant text + tool_use -> one assistant message with tool_calls;
 * tool_results -> `tool` messages directly after it, in order, then the user's own text (T18),
 * images and files from tool results re-sent in a user message (tool messages take text only;
 * a PDF where the provider takes no files becomes a line of text there); a call
 * with no result gets a synthetic one so the history is accepted; earlier reasoning sent back as
 * reasoning_content where the provider requires it (T13); Gemini's thought signatures back on
 * its tool calls, from the tool_use ids that carry them (or Google's stand-in); tools,
 * tool_choice, parallel calls; max tokens under the provider's parameter name, clamped; sampling
 * per model (T9); images for a model without image input, and parts neither API has, as text.
 * Drops on purpose, with a note: server tools, foreign or redacted thinking, unknown blocks,
 * top_k, and stop sequences (emulated on the answer, so Parley knows which one matched).
 */
import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionContentPart,
  ChatCompletionContentPartImage,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { ChatDialect } from '../config/providers.ts';
import { AnthropicError } from '../protocol/anthropic-errors.ts';
import type {
  ContentBlockParam,
  DocumentBlockParam,
  ImageBlockParam,
  MessagesRequest,
  ToolResultBlockParam,
} from '../protocol/messages-request.ts';
import type { ModelCapabilities } from '../upstream/capabilities.ts';
import { effortFor } from './reasoning-effort.ts';
import { decodeReasoningSignature } from './reasoning-signature.ts';
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
  SKIP_THOUGHT_SIGNATURE,
  thoughtSignatureContent,
  thoughtSignatureFromId,
  upstreamCallId,
  type ThoughtSignatureContent,
} from './thought-signature.ts';
import type { TranslatedRequest } from './to-responses-request.ts';
import { isCustomTool, toolArguments, toolParameters, upstreamToolName } from './tools.ts';

export type ChatRequestBody = Omit<ChatCompletionCreateParamsNonStreaming, 'stream'>;

export interface ChatRequestContext {
  readonly upstreamModel: string;
  readonly capabilities: ModelCapabilities;
  readonly dialect: ChatDialect;
  readonly hash: (value: string) => string;
}

export const NO_RESULT_TEXT = 'No result was recorded for this tool call.';

export function toChatRequest(
  request: MessagesRequest,
  ctx: ChatRequestContext,
): TranslatedRequest<ChatRequestBody> {
  const notes: string[] = [];
  const { capabilities: caps, dialect } = ctx;
  const systemRole =
    dialect.developerRole && caps.reasoningEfforts.length > 0 ? 'developer' : 'system';
  const messages = new ChatHistory(systemRole, dialect, notes, {
    model: ctx.upstreamModel,
    imageInput: caps.imageInput,
  });
  const system = systemText(request.system);
  if (system !== undefined) messages.system(system);
  for (const message of request.messages) messages.add(message.role, blocksOf(message));

  const body: ChatRequestBody = { model: ctx.upstreamModel, messages: messages.finish() };
  body[dialect.maxTokensField] = clampOutputTokens(
    request.max_tokens,
    caps,
    dialect.maxTokensField,
    notes,
  );

  const tools = (request.tools ?? []).flatMap((tool): ChatCompletionTool[] => {
    if (isCustomTool(tool)) {
      const definition: ChatCompletionTool = {
        type: 'function',
        function: {
          name: upstreamToolName(tool.name),
          parameters: toolParameters(tool.input_schema),
        },
      };
      if (tool.description !== undefined) definition.function.description = tool.description;
      return [definition];
    }
    notes.push(
      `dropped server tool ${tool.name} (${tool.type}): Chat Completions has no equivalent`,
    );
    return [];
  });
  // Chat Completions has no server tools: one the client forces cannot run (a 400, not a guess).
  refuseForcedServerTool(request.tool_choice, request.tools ?? [], [], ctx.upstreamModel);
  if (tools.length > dialect.maxTools) {
    throw new AnthropicError(
      'invalid_request_error',
      `tools: ${tools.length} tools, but this provider accepts at most ${dialect.maxTools} in one request`,
    );
  }
  if (tools.length > 0) {
    body.tools = tools;
    const choice = request.tool_choice;
    if (choice?.type === 'auto') body.tool_choice = 'auto';
    else if (choice?.type === 'any') body.tool_choice = 'required';
    else if (choice?.type === 'none') body.tool_choice = 'none';
    else if (choice?.type === 'tool') {
      const name = upstreamToolName(choice.name);
      // A name no tool that went upstream has (a server tool is refused above): a 400 upstream.
      if (tools.some((tool) => tool.type === 'function' && tool.function.name === name)) {
        body.tool_choice = { type: 'function', function: { name } };
      } else notes.push(`dropped tool_choice naming ${choice.name}: no tool of that name was sent`);
    }
    // Only with tools: some servers answer 400 to parallel_tool_calls without them.
    if (
      choice &&
      'disable_parallel_tool_use' in choice &&
      choice.disable_parallel_tool_use === true
    ) {
      body.parallel_tool_calls = false;
    }
  }

  Object.assign(body, samplingFields(request, caps, ctx.upstreamModel, notes));

  const effort = effortFor(request, caps);
  if (effort !== undefined) body.reasoning_effort = effort;

  const userId = request.metadata?.user_id;
  if (dialect.safetyIdentifier && typeof userId === 'string' && userId !== '') {
    body.safety_identifier = ctx.hash(userId);
  }

  return {
    body,
    toolNames: requestToolNames(request),
    stopSequences: request.stop_sequences ?? [],
    notes,
  };
}

type AssistantMessage = ChatCompletionAssistantMessageParam & { reasoning_content?: string };
/** Gemini's OpenAI-compatible endpoint takes a call's thought signature beside it. */
type SignedToolCall = ChatCompletionMessageFunctionToolCall & {
  extra_content?: ThoughtSignatureContent;
};

/**
 * Builds the message list under Chat Completions' rule that every tool call of an assistant
 * message is answered by `tool` messages right after it (T18).
 */
class ChatHistory {
  readonly #messages: ChatCompletionMessageParam[] = [];
  /** Calls of the last assistant message still waiting for their result. */
  #unanswered: string[] = [];

  private readonly systemRole: 'system' | 'developer';
  private readonly dialect: ChatDialect;
  private readonly notes: string[];
  /** The model the history goes to, and whether it takes images. */
  private readonly upstream: { readonly model: string; readonly imageInput: boolean };

  constructor(
    systemRole: 'system' | 'developer',
    dialect: ChatDialect,
    notes: string[],
    upstream: { readonly model: string; readonly imageInput: boolean },
  ) {
    this.systemRole = systemRole;
    this.dialect = dialect;
    this.notes = notes;
    this.upstream = upstream;
  }

  system(text: string): void {
    this.#answerTheRest();
    this.#messages.push({ role: this.systemRole, content: text });
  }

  add(role: 'user' | 'assistant' | 'system', blocks: Block[]): void {
    if (role === 'system') this.system(textOf(blocks, 'system-message', this.notes));
    else if (role === 'assistant') this.#assistant(blocks);
    else this.#user(blocks);
  }

  finish(): ChatCompletionMessageParam[] {
    this.#answerTheRest();
    return this.#messages;
  }

  #assistant(blocks: Block[]): void {
    this.#answerTheRest();
    const texts: string[] = [];
    const thoughts: string[] = [];
    const message: AssistantMessage = { role: 'assistant', content: null };
    const calls: SignedToolCall[] = [];
    for (const block of blocks) {
      const typed = block as ContentBlockParam;
      switch (typed.type) {
        case 'text':
          if (typed.text !== '') texts.push(typed.text);
          break;
        case 'tool_use':
          calls.push({
            id: typed.id,
            type: 'function',
            function: { name: upstreamToolName(typed.name), arguments: toolArguments(typed.input) },
          });
          break;
        case 'thinking':
          if (this.dialect.reasoningContentBack && decodeReasoningSignature(typed.signature)) {
            thoughts.push(typed.thinking);
          } else {
            this.notes.push(
              'dropped a thinking block (this provider does not take reasoning back)',
            );
          }
          break;
        default:
          this.notes.push(`dropped an assistant ${block.type} block`);
      }
    }
    // Content may be null only beside tool calls; an assistant turn of pure thinking keeps "".
    message.content = texts.length > 0 ? texts.join('\n\n') : calls.length > 0 ? null : '';
    if (calls.length > 0) message.tool_calls = this.#upstreamCalls(calls);
    // DeepSeek's thinking mode wants reasoning back on tool-call turns, even when empty (T13).
    if (this.dialect.reasoningContentBack && (thoughts.length > 0 || calls.length > 0)) {
      message.reasoning_content = thoughts.join('\n\n');
    }
    if (message.content === null && calls.length === 0 && message.reasoning_content === undefined)
      return;
    this.#messages.push(message);
    this.#unanswered = calls.map((call) => call.id);
  }

  /**
   * The calls as they go upstream. Gemini 3 rejects a history whose calls lost their thought
   * signatures: each goes back from the tool_use id that carried it, and a turn with none (written
   * by another model, or its ids replaced) gets Google's stand-in on its first call, the one Gemini
   * checks. A signed id goes under its short stand-in (upstreamCallId), as its result does.
   */
  #upstreamCalls(calls: SignedToolCall[]): SignedToolCall[] {
    const signatures = this.dialect.thoughtSignatures
      ? calls.map((call) => thoughtSignatureFromId(call.id))
      : [];
    const anySigned = signatures.some((signature) => signature !== undefined);
    return calls.map((call, index) => {
      const id = upstreamCallId(call.id);
      const signature = this.dialect.thoughtSignatures
        ? (signatures[index] ?? (!anySigned && index === 0 ? SKIP_THOUGHT_SIGNATURE : undefined))
        : undefined;
      if (signature === undefined) return id === call.id ? call : { ...call, id };
      return { ...call, id, extra_content: thoughtSignatureContent(signature) };
    });
  }

  #user(blocks: Block[]): void {
    const parts: ChatCompletionContentPart[] = [];
    const toolAttachments: ChatCompletionContentPart[] = [];
    for (const block of blocks) {
      if (block.type === 'tool_result') {
        this.#toolResult(block as ToolResultBlockParam, toolAttachments, parts);
      } else parts.push(...this.#parts(block, 'user'));
    }
    this.#answerTheRest();
    if (toolAttachments.length > 0) {
      this.#messages.push({
        role: 'user',
        content: [
          { type: 'text', text: `${attachmentsLead(toolAttachments)} by the tool calls above:` },
          ...toolAttachments,
        ],
      });
    }
    if (parts.length === 0) return;
    const only = parts[0];
    this.#messages.push({
      role: 'user',
      content: parts.length === 1 && only?.type === 'text' ? only.text : parts,
    });
  }

  /** Tool messages take text only: images and files go in a user message after them. */
  #toolResult(
    block: ToolResultBlockParam,
    attachments: ChatCompletionContentPart[],
    userParts: ChatCompletionContentPart[],
  ): void {
    const texts: string[] = block.is_error === true ? ['Error:'] : [];
    const content = block.content;
    if (typeof content === 'string') texts.push(content);
    else {
      for (const part of content ?? []) {
        for (const converted of this.#parts(part, 'tool_result')) {
          if (converted.type === 'text') texts.push(converted.text);
          else attachments.push(converted);
        }
      }
    }
    const text = texts.join(block.is_error === true && typeof content === 'string' ? ' ' : '\n');
    const callId = upstreamCallId(block.tool_use_id);
    if (!this.#unanswered.includes(block.tool_use_id)) {
      // A result for no call the upstream knows of would be a 400 as a tool message; it goes
      // with the user's own text, after the tool messages that must follow the calls directly.
      this.notes.push(`tool_result ${callId} answers no call in the turn before it; sent as text`);
      userParts.push({ type: 'text', text: `Result of tool call ${callId}:\n${text}` });
      return;
    }
    this.#unanswered = this.#unanswered.filter((id) => id !== block.tool_use_id);
    this.#messages.push({ role: 'tool', tool_call_id: callId, content: text });
  }

  /** Calls left without a result would make the upstream reject the whole history. */
  #answerTheRest(): void {
    for (const id of this.#unanswered) {
      this.notes.push(`tool call ${id} had no result; sent a placeholder`);
      this.#messages.push({
        role: 'tool',
        tool_call_id: upstreamCallId(id),
        content: NO_RESULT_TEXT,
      });
    }
    this.#unanswered = [];
  }

  #parts(block: Block, where: 'user' | 'tool_result'): ChatCompletionContentPart[] {
    const typed = block as ContentBlockParam;
    switch (typed.type) {
      case 'text':
        return [{ type: 'text', text: typed.text }];
      case 'image':
        return [
          this.upstream.imageInput
            ? imagePart(typed)
            : { type: 'text', text: imageLeftOut(this.upstream.model, this.notes) },
        ];
      case 'document':
        return [this.#documentPart(typed, where)];
      default: {
        const words = wordsOfUnknownPart(block);
        this.notes.push(
          words === undefined
            ? `dropped a ${where} ${block.type} block`
            : `sent a ${where} ${block.type} block as its text`,
        );
        return words === undefined ? [] : [{ type: 'text', text: words }];
      }
    }
  }

  #documentPart(
    block: DocumentBlockParam,
    where: 'user' | 'tool_result',
  ): ChatCompletionContentPart {
    const source = block.source;
    if (source.type === 'text') {
      return { type: 'text', text: block.title ? `${block.title}\n\n${source.data}` : source.data };
    }
    if (!this.dialect.fileParts || source.type === 'url') {
      const what = source.type === 'url' ? 'documents by URL' : `${source.media_type} documents`;
      if (where === 'tool_result') {
        // A tool's output stays in the history: failing on it would fail every later turn.
        this.notes.push(`replaced a tool's document with a line of text: no ${what} here`);
        return {
          type: 'text',
          text: `[A document${block.title ? ` (${block.title})` : ''} was here. It was not sent: this upstream cannot read ${what} over Chat Completions.]`,
        };
      }
      throw new AnthropicError(
        'invalid_request_error',
        `document: this upstream cannot read ${what} over Chat Completions; send the text instead`,
      );
    }
    const filename = pdfFilename(block.title);
    return {
      type: 'file',
      file: { filename, file_data: `data:${source.media_type};base64,${source.data}` },
    };
  }
}

function attachmentsLead(parts: readonly ChatCompletionContentPart[]): string {
  const images = parts.filter((part) => part.type === 'image_url').length;
  if (images === parts.length) return 'Images returned';
  return images === 0 ? 'Files returned' : 'Images and files returned';
}

function imagePart(block: ImageBlockParam): ChatCompletionContentPartImage {
  const url =
    block.source.type === 'base64'
      ? `data:${block.source.media_type};base64,${block.source.data}`
      : block.source.url;
  return { type: 'image_url', image_url: { url } };
}
