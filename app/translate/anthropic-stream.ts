/**
 * The Anthropic side of every stream translation: whatever the upstream API, this builder owns
 * the lifecycle the client sees (PROTOCOL.md 1.2). One message_start; blocks indexed 0,1,2… in
 * order, one open at a time, each closed before the next opens; tool input forwarded as it
 * streams, starting with "" and ending as valid JSON or as an error; thinking blocks always
 * signed; stop sequences cut across deltas; one message_delta then message_stop, or a final
 * error event after which nothing. Hosted web searches go out whole, as server tool blocks that
 * leave the stop reason alone. The upstream translators only say what arrived.
 */
import type { AnthropicErrorType } from '../protocol/anthropic-errors.ts';
import type {
  AnthropicStopReason,
  AnthropicStreamEvent,
  AnthropicUsage,
  WebSearchToolResultBlock,
} from '../protocol/anthropic-wire.ts';
import { estimateTokensOfChars, type AnswerContext } from './answer-context.ts';
import { encodeReasoningSignature, type CarriedReasoning } from './reasoning-signature.ts';
import { StopSequenceMatcher } from './stop-sequences.ts';
import { invalidArgumentsMessage } from './tools.ts';
import { toAnthropicUsage, withWebSearches, zeroUsage, type UpstreamUsage } from './usage.ts';

/** Which upstream item or choice a block belongs to, so its deltas find it. */
type Key = number;

type OpenBlock =
  | { readonly kind: 'text'; readonly index: number; readonly key: Key }
  | {
      readonly kind: 'tool_use';
      readonly index: number;
      readonly key: Key;
      readonly id: string;
      readonly name: string;
      arguments: string;
    }
  | {
      readonly kind: 'thinking';
      readonly index: number;
      readonly key: Key;
      /** What is known of the upstream reasoning item before it completes. */
      readonly item: { readonly id: string; readonly encryptedContent: string | null };
      readonly summary: string[];
      /** The current summary part has text (the next part's text needs a blank line first). */
      partHasText: boolean;
    };

/** What the stream amounted to, for the log and the traffic events. */
export interface StreamOutcome {
  readonly stopReason: AnthropicStopReason | null;
  readonly usage: AnthropicUsage | null;
  readonly usageEstimated: boolean;
  readonly error: { readonly type: AnthropicErrorType; readonly message: string } | null;
}

export class AnthropicStreamBuilder {
  readonly #ctx: AnswerContext;
  readonly #stops: StopSequenceMatcher;
  /** Events produced since the last take(); none yet is undefined (no array per upstream event). */
  #out: AnthropicStreamEvent[] | undefined;
  #started = false;
  #finished = false;
  #nextIndex = 0;
  #open: OpenBlock | undefined;
  #toolUsed = false;
  #refusal = false;
  #webSearches = 0;
  #outputChars = 0;
  #outcome: StreamOutcome = { stopReason: null, usage: null, usageEstimated: false, error: null };

  constructor(ctx: AnswerContext) {
    this.#ctx = ctx;
    this.#stops = new StopSequenceMatcher(ctx.stopSequences);
  }

  /** True once message_stop or an error event was produced. */
  get finished(): boolean {
    return this.#finished;
  }

  get outcome(): StreamOutcome {
    return this.#outcome;
  }

  get toolUsed(): boolean {
    return this.#toolUsed;
  }

  get refusal(): boolean {
    return this.#refusal;
  }

  /** The events produced since the last call. */
  take(): AnthropicStreamEvent[] {
    const events = this.#out ?? [];
    this.#out = undefined;
    return events;
  }

  /**
   * The first events of a take() become its array as they are: one event, one slot. Nothing
   * goes out after message_stop or an error event, whichever path tries (the method guards keep
   * the state clean; this one keeps the wire clean).
   */
  #push(...events: AnthropicStreamEvent[]): void {
    if (this.#finished) return;
    if (this.#out) this.#out.push(...events);
    else this.#out = events;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#push(
      {
        type: 'message_start',
        message: {
          id: this.#ctx.messageId,
          type: 'message',
          role: 'assistant',
          model: this.#ctx.clientModel,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...zeroUsage(this.#ctx.inputTokenEstimate), output_tokens: 1 },
        },
      },
      { type: 'ping' },
    );
  }

  /** How many blocks were opened so far. */
  get blockCount(): number {
    return this.#nextIndex;
  }

  get openKind(): OpenBlock['kind'] | undefined {
    return this.#open?.kind;
  }

  openText(key: Key): void {
    if (this.#finished || (this.#open?.kind === 'text' && this.#open.key === key)) return;
    this.#openBlock({ kind: 'text', index: this.#nextIndex, key });
  }

  /** Text (or refusal text) for the block of `key`; a stop sequence ends the message here. */
  text(key: Key, delta: string, options: { refusal?: boolean } = {}): void {
    if (delta === '' || this.#finished) return;
    if (options.refusal === true) this.#refusal = true;
    this.openText(key);
    const { emit, matched } = this.#stops.push(delta);
    this.#emitText(emit);
    if (matched !== undefined) {
      this.close();
      this.#finish('stop_sequence', matched, undefined);
    }
  }

  openThinking(key: Key, item: { id: string; encryptedContent: string | null }): void {
    if (this.#finished) return;
    this.#openBlock({
      kind: 'thinking',
      index: this.#nextIndex,
      key,
      item,
      summary: [],
      partHasText: false,
    });
  }

  /** A new summary part begins (its text, if any, is set apart by a blank line). */
  summaryPart(): void {
    const open = this.#open;
    if (open?.kind !== 'thinking') return;
    open.summary.push('');
    open.partHasText = false;
  }

  thinking(key: Key, delta: string): void {
    if (delta === '' || this.#finished) return;
    if (this.#open?.kind !== 'thinking') this.openThinking(key, { id: '', encryptedContent: null });
    const open = this.#open;
    if (open?.kind !== 'thinking') return;
    if (open.summary.length === 0) open.summary.push('');
    const separator = !open.partHasText && open.summary.some((part) => part !== '') ? '\n\n' : '';
    const last = open.summary.length - 1;
    open.summary[last] = (open.summary[last] ?? '') + delta;
    open.partHasText = true;
    this.#outputChars += delta.length;
    this.#delta(open.index, { type: 'thinking_delta', thinking: separator + delta });
  }

  /** Closes the open thinking block, signed with the finished item when the upstream gave one. */
  finishThinking(done?: CarriedReasoning): void {
    const open = this.#open;
    if (open?.kind !== 'thinking') return;
    this.#sign(open, done);
    this.#open = undefined;
    this.#push({ type: 'content_block_stop', index: open.index });
  }

  openTool(key: Key, id: string, name: string): void {
    if (this.#finished) return;
    this.#toolUsed = true;
    const index = this.#nextIndex;
    this.#openBlock({ kind: 'tool_use', index, key, id, name, arguments: '' });
    // Anthropic's own streams open tool input with an empty fragment; clients expect it.
    this.#delta(index, { type: 'input_json_delta', partial_json: '' });
  }

  toolArguments(delta: string): void {
    const open = this.#open;
    if (open?.kind !== 'tool_use' || delta === '' || this.#finished) return;
    open.arguments += delta;
    this.#outputChars += delta.length;
    this.#delta(open.index, { type: 'input_json_delta', partial_json: delta });
  }

  /**
   * Closes the open tool block. Arguments that only came complete (`finalArguments`) are sent
   * now; none at all become {} (T4) unless the answer was `cut` short, when none are as unknown
   * as half of them; anything that is not JSON ends the stream with an error, because a client
   * must never run a tool on an invented input.
   */
  finishTool(finalArguments = '', cut = false): void {
    const open = this.#open;
    if (open?.kind !== 'tool_use') return;
    if (open.arguments === '') this.toolArguments(finalArguments || (cut ? '' : '{}'));
    if (!isJson(open.arguments)) {
      this.fail('api_error', invalidArgumentsMessage(open.name));
      return;
    }
    this.close();
  }

  /** A whole tool call at once (one that arrived wrapped, or buffered out of order). */
  completeTool(key: Key, id: string, name: string, input: unknown): void {
    if (this.#finished) return;
    this.openTool(key, id, name);
    this.toolArguments(JSON.stringify(input ?? {}));
    this.close();
  }

  /**
   * A web search the upstream ran, complete: its server_tool_use block (input streamed as a
   * tool's is) and its web_search_tool_result block, whole in its start event as Anthropic sends
   * it. Not a tool use: the client runs nothing, so it does not make the stop reason tool_use.
   */
  webSearch(id: string, query: string, results: WebSearchToolResultBlock['content']): void {
    if (this.#finished) return;
    this.#closeForNext();
    if (this.finished) return; // (a getter: an open tool's bad input may have ended the stream)
    const call = this.#nextIndex;
    const result = call + 1;
    this.#nextIndex += 2;
    this.#webSearches += 1;
    this.#push(
      {
        type: 'content_block_start',
        index: call,
        content_block: { type: 'server_tool_use', id, name: 'web_search', input: {} },
      },
      {
        type: 'content_block_delta',
        index: call,
        delta: { type: 'input_json_delta', partial_json: '' },
      },
      {
        type: 'content_block_delta',
        index: call,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify({ query }) },
      },
      { type: 'content_block_stop', index: call },
      {
        type: 'content_block_start',
        index: result,
        content_block: { type: 'web_search_tool_result', tool_use_id: id, content: results },
      },
      { type: 'content_block_stop', index: result },
    );
  }

  /** Closes whatever block is open; text held back for a stop sequence goes out first. */
  close(): void {
    const open = this.#open;
    if (!open) return;
    if (open.kind === 'text') this.#emitText(this.#stops.flush());
    if (open.kind === 'thinking') this.#sign(open);
    this.#open = undefined;
    this.#push({ type: 'content_block_stop', index: open.index });
  }

  /**
   * The upstream finished: close up and end the message with this reason and usage. `cut`: it
   * stopped at the output limit, so an open tool call may have been cut before its arguments.
   */
  complete(reason: AnthropicStopReason, usage: UpstreamUsage | undefined, cut = false): void {
    if (this.#finished) return;
    if (this.#open?.kind === 'tool_use') {
      // Cut off mid-arguments (max_output_tokens): the input cannot be completed honestly.
      this.finishTool('', cut);
      if (this.finished) return; // (a getter: finishTool may have ended the stream)
    }
    this.close();
    this.#finish(reason, null, usage);
  }

  /** Ends the stream with an error event; nothing is sent after it. */
  fail(type: AnthropicErrorType, message: string): void {
    if (this.#finished) return;
    this.start();
    this.#push({ type: 'error', error: { type, message } });
    this.#open = undefined;
    this.#finished = true;
    this.#outcome = { ...this.#outcome, error: { type, message } };
  }

  #openBlock(block: OpenBlock): void {
    this.#closeForNext();
    if (this.#finished) return;
    this.#open = block;
    this.#nextIndex += 1;
    const { index } = block;
    switch (block.kind) {
      case 'text':
        this.#push({
          type: 'content_block_start',
          index,
          content_block: { type: 'text', text: '' },
        });
        break;
      case 'thinking':
        this.#push({
          type: 'content_block_start',
          index,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        });
        break;
      case 'tool_use':
        this.#push({
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        });
        break;
    }
  }

  /** A tool call left open as another block begins ends as any other: its input checked. */
  #closeForNext(): void {
    if (this.#open?.kind === 'tool_use') this.finishTool();
    else this.close();
  }

  #emitText(text: string): void {
    if (text === '' || this.#open?.kind !== 'text') return;
    this.#outputChars += text.length;
    this.#delta(this.#open.index, { type: 'text_delta', text });
  }

  #delta(
    index: number,
    delta: Extract<AnthropicStreamEvent, { type: 'content_block_delta' }>['delta'],
  ): void {
    this.#push({ type: 'content_block_delta', index, delta });
  }

  /** The signature carries the reasoning item (T12): the finished one, or what was seen of it. */
  #sign(open: Extract<OpenBlock, { kind: 'thinking' }>, done?: CarriedReasoning): void {
    const carried: CarriedReasoning = done
      ? {
          id: done.id || open.item.id,
          encryptedContent: done.encryptedContent ?? open.item.encryptedContent,
          summary: done.summary,
        }
      : { id: open.item.id, encryptedContent: open.item.encryptedContent, summary: open.summary };
    this.#delta(open.index, {
      type: 'signature_delta',
      signature: encodeReasoningSignature(carried),
    });
  }

  #finish(
    reason: AnthropicStopReason,
    stopSequence: string | null,
    reported: UpstreamUsage | undefined,
  ): void {
    const usage = withWebSearches(
      reported
        ? toAnthropicUsage(reported)
        : {
            ...zeroUsage(this.#ctx.inputTokenEstimate),
            output_tokens: estimateTokensOfChars(this.#outputChars),
          },
      this.#webSearches,
    );
    this.#push(
      { type: 'message_delta', delta: { stop_reason: reason, stop_sequence: stopSequence }, usage },
      { type: 'message_stop' },
    );
    this.#finished = true;
    this.#outcome = {
      stopReason: reason,
      usage,
      usageEstimated: reported === undefined,
      error: null,
    };
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
