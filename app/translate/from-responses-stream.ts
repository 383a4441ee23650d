/**
 * The Responses stream -> Anthropic stream state machine (PROTOCOL.md 3.3, STYLE.md §3.3). Fed
 * one upstream event at a time, it returns the Anthropic events to send; no I/O, no clock.
 *
 * Guarantees Anthropic's lifecycle: one message_start; blocks indexed 0,1,2… in order, one open
 * at a time, each closed before the next opens; tool input forwarded as it streams, starting
 * with "" and always ending as valid JSON; one message_delta then message_stop — or a final
 * error event, after which nothing is sent. Keys blocks by output_index, not item id (T1).
 */
import type { AnthropicErrorType } from '../protocol/anthropic-errors.ts';
import type {
  AnthropicUsage,
  AnthropicStopReason,
  AnthropicStreamEvent,
} from '../protocol/anthropic-wire.ts';
import { estimateTokensOfChars, toolUseIdFor, type AnswerContext } from './answer-context.ts';
import { streamErrorType } from './errors.ts';
import {
  asRecord,
  incompleteReason,
  invalidArgumentsMessage,
  stopReason,
  summaryTexts,
} from './from-responses.ts';
import { encodeReasoningSignature } from './reasoning-signature.ts';
import { StopSequenceMatcher } from './stop-sequences.ts';
import { clientToolName, isParallelWrapper, unwrapParallelCall } from './tools.ts';
import { fromResponsesUsage, toAnthropicUsage, zeroUsage } from './usage.ts';

type OpenBlock =
  | { readonly kind: 'text'; readonly index: number; readonly outputIndex: number }
  | {
      readonly kind: 'tool_use';
      readonly index: number;
      readonly outputIndex: number;
      readonly id: string;
      readonly name: string;
      arguments: string;
    }
  | {
      readonly kind: 'thinking';
      readonly index: number;
      readonly outputIndex: number;
      /** From `output_item.added`, so the item survives even if its `.done` never comes. */
      readonly itemId: string;
      readonly encryptedContent: string | null;
      readonly summary: string[];
      /** The current summary part has text (the next part's text needs a blank line first). */
      partHasText: boolean;
    };

/** What the stream amounted to, for the log and the traffic events. */
export interface StreamOutcome {
  readonly stopReason: AnthropicStopReason | null;
  readonly usage: AnthropicUsage | null;
  readonly usageEstimated: boolean;
  readonly error: { readonly type: string; readonly message: string } | null;
}

export class ResponsesStreamTranslator {
  readonly #ctx: AnswerContext;
  readonly #stops: StopSequenceMatcher;
  #started = false;
  #finished = false;
  #nextIndex = 0;
  #open: OpenBlock | undefined;
  /** A `parallel` wrapper call being collected (some models wrap parallel calls in one). */
  #wrapper: { readonly name: string; arguments: string } | undefined;
  #toolUsed = false;
  #refusal = false;
  #outputChars = 0;
  #outcome: StreamOutcome = { stopReason: null, usage: null, usageEstimated: false, error: null };

  constructor(ctx: AnswerContext) {
    this.#ctx = ctx;
    this.#stops = new StopSequenceMatcher(ctx.stopSequences);
  }

  /** True once message_stop or an error event was produced: stop reading the upstream. */
  get finished(): boolean {
    return this.#finished;
  }

  get outcome(): StreamOutcome {
    return this.#outcome;
  }

  onEvent(event: unknown): AnthropicStreamEvent[] {
    if (this.#finished) return [];
    const out: AnthropicStreamEvent[] = [];
    const data = asRecord(event);
    this.#start(out);
    switch (data['type']) {
      case 'response.output_item.added':
        this.#itemAdded(asRecord(data['item']), outputIndexOf(data), out);
        break;
      case 'response.content_part.added': {
        const partType = asRecord(data['part'])['type'];
        if (partType === 'output_text' || partType === 'refusal')
          this.#openText(outputIndexOf(data), out);
        break;
      }
      case 'response.output_text.delta':
        this.#text(stringOf(data['delta']), outputIndexOf(data), out);
        break;
      case 'response.refusal.delta':
        this.#refusal = true;
        this.#text(stringOf(data['delta']), outputIndexOf(data), out);
        break;
      case 'response.content_part.done':
        if (this.#open?.kind === 'text') this.#close(out);
        break;
      case 'response.function_call_arguments.delta':
        this.#arguments(stringOf(data['delta']), out);
        break;
      case 'response.reasoning_summary_part.added':
        this.#summaryPart();
        break;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        this.#thinking(stringOf(data['delta']), outputIndexOf(data), out);
        break;
      case 'response.output_item.done':
        this.#itemDone(asRecord(data['item']), out);
        break;
      case 'response.completed':
      case 'response.incomplete':
        this.#complete(asRecord(data['response']), out);
        break;
      case 'response.failed': {
        const error = asRecord(asRecord(data['response'])['error']);
        this.#fail(
          streamErrorType(nullableString(error['code'])),
          `Upstream response failed: ${stringOf(error['message']) || 'no reason given'}`,
          out,
        );
        break;
      }
      case 'error': {
        // Two shapes in the wild: flat (SDK type) and nested under `error` (recorded streams).
        const nested = asRecord(data['error']);
        const code = nullableString(data['code']) ?? nullableString(nested['code']);
        const message =
          stringOf(data['message']) || stringOf(nested['message']) || 'upstream error';
        this.#fail(streamErrorType(code), `Upstream error: ${message}`, out);
        break;
      }
      default:
      // created / in_progress / annotations / hosted tools / future events: nothing to send (T15)
    }
    return out;
  }

  /** The upstream stream ended. Without a terminal event that is an error, never a fake end_turn. */
  onEnd(): AnthropicStreamEvent[] {
    if (this.#finished) return [];
    const out: AnthropicStreamEvent[] = [];
    this.#start(out);
    this.#fail('api_error', 'The upstream stream ended before the response was complete.', out);
    return out;
  }

  /** Ends the stream with an error from outside (upstream connection lost, timeout, shutdown). */
  fail(type: AnthropicErrorType, message: string): AnthropicStreamEvent[] {
    if (this.#finished) return [];
    const out: AnthropicStreamEvent[] = [];
    this.#start(out);
    this.#fail(type, message, out);
    return out;
  }

  #start(out: AnthropicStreamEvent[]): void {
    if (this.#started) return;
    this.#started = true;
    out.push(
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

  #itemAdded(
    item: Record<string, unknown>,
    outputIndex: number,
    out: AnthropicStreamEvent[],
  ): void {
    switch (item['type']) {
      case 'reasoning':
        this.#openThinking(item, outputIndex, out);
        break;
      case 'function_call': {
        this.#toolUsed = true;
        if (isParallelWrapper(stringOf(item['name']), this.#ctx.declaredToolNames)) {
          // Its arguments hold several calls: collect them, then emit one block per call.
          this.#close(out);
          this.#wrapper = { name: stringOf(item['name']), arguments: '' };
          break;
        }
        const block: OpenBlock = {
          kind: 'tool_use',
          index: this.#nextIndex,
          outputIndex,
          id: toolUseIdFor(item['call_id'], this.#ctx),
          name: clientToolName(stringOf(item['name']), this.#ctx.toolNames),
          arguments: '',
        };
        this.#openBlock(block, out);
        break;
      }
      default:
      // a message opens its text block at its first content part
    }
  }

  #openBlock(block: OpenBlock, out: AnthropicStreamEvent[]): void {
    this.#close(out);
    this.#open = block;
    this.#nextIndex += 1;
    const index = block.index;
    switch (block.kind) {
      case 'text':
        out.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        break;
      case 'thinking':
        out.push({
          type: 'content_block_start',
          index,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        });
        break;
      case 'tool_use':
        out.push(
          {
            type: 'content_block_start',
            index,
            content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
          },
          {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: '' },
          },
        );
        break;
    }
  }

  #openText(outputIndex: number, out: AnthropicStreamEvent[]): void {
    if (this.#open?.kind === 'text' && this.#open.outputIndex === outputIndex) return;
    this.#openBlock({ kind: 'text', index: this.#nextIndex, outputIndex }, out);
  }

  #text(delta: string, outputIndex: number, out: AnthropicStreamEvent[]): void {
    if (delta === '') return;
    this.#openText(outputIndex, out);
    const { emit, matched } = this.#stops.push(delta);
    this.#emitText(emit, out);
    if (matched !== undefined) {
      this.#close(out);
      this.#finish('stop_sequence', matched, undefined, out);
    }
  }

  #emitText(text: string, out: AnthropicStreamEvent[]): void {
    if (text === '' || this.#open?.kind !== 'text') return;
    this.#outputChars += text.length;
    out.push({
      type: 'content_block_delta',
      index: this.#open.index,
      delta: { type: 'text_delta', text },
    });
  }

  #arguments(delta: string, out: AnthropicStreamEvent[]): void {
    if (this.#wrapper) {
      this.#wrapper.arguments += delta;
      return;
    }
    const open = this.#open;
    if (open?.kind !== 'tool_use' || delta === '') return;
    open.arguments += delta;
    this.#outputChars += delta.length;
    out.push({
      type: 'content_block_delta',
      index: open.index,
      delta: { type: 'input_json_delta', partial_json: delta },
    });
  }

  #openThinking(
    item: Record<string, unknown>,
    outputIndex: number,
    out: AnthropicStreamEvent[],
  ): void {
    const encrypted = item['encrypted_content'];
    this.#openBlock(
      {
        kind: 'thinking',
        index: this.#nextIndex,
        outputIndex,
        itemId: stringOf(item['id']),
        encryptedContent: typeof encrypted === 'string' ? encrypted : null,
        summary: [],
        partHasText: false,
      },
      out,
    );
  }

  #summaryPart(): void {
    const open = this.#open;
    if (open?.kind !== 'thinking') return;
    open.summary.push('');
    open.partHasText = false;
  }

  #thinking(delta: string, outputIndex: number, out: AnthropicStreamEvent[]): void {
    if (delta === '') return;
    if (this.#open?.kind !== 'thinking') this.#openThinking({}, outputIndex, out);
    const open = this.#open;
    if (open?.kind !== 'thinking') return;
    if (open.summary.length === 0) open.summary.push('');
    // Summary parts read as one text, a blank line between parts that have text.
    const separator = !open.partHasText && open.summary.some((part) => part !== '') ? '\n\n' : '';
    const last = open.summary.length - 1;
    open.summary[last] = (open.summary[last] ?? '') + delta;
    open.partHasText = true;
    this.#outputChars += delta.length;
    out.push({
      type: 'content_block_delta',
      index: open.index,
      delta: { type: 'thinking_delta', thinking: separator + delta },
    });
  }

  /** The signature carries the reasoning item; a thinking block never closes without one. */
  #sign(
    open: Extract<OpenBlock, { kind: 'thinking' }>,
    out: AnthropicStreamEvent[],
    doneItem?: Record<string, unknown>,
  ): void {
    const encrypted = doneItem?.['encrypted_content'];
    const signature = encodeReasoningSignature(
      doneItem
        ? {
            id: stringOf(doneItem['id']) || open.itemId,
            encryptedContent: typeof encrypted === 'string' ? encrypted : open.encryptedContent,
            summary: summaryTexts(doneItem),
          }
        : { id: open.itemId, encryptedContent: open.encryptedContent, summary: open.summary },
    );
    out.push({
      type: 'content_block_delta',
      index: open.index,
      delta: { type: 'signature_delta', signature },
    });
  }

  #itemDone(item: Record<string, unknown>, out: AnthropicStreamEvent[]): void {
    if (this.#wrapper && item['type'] === 'function_call') {
      this.#unwrap(stringOf(item['arguments']), out);
      return;
    }
    const open = this.#open;
    if (!open) return;
    if (item['type'] === 'reasoning' && open.kind === 'thinking') {
      this.#sign(open, out, item);
      this.#open = undefined;
      out.push({ type: 'content_block_stop', index: open.index });
    } else if (item['type'] === 'function_call' && open.kind === 'tool_use') {
      // No deltas at all (some servers send the arguments only here), or none at all (T4).
      if (open.arguments === '') this.#arguments(stringOf(item['arguments']) || '{}', out);
      if (!isJson(open.arguments)) {
        this.#fail('api_error', invalidArgumentsMessage(open.name), out);
        return;
      }
      this.#close(out);
    } else if (item['type'] === 'message' && open.kind === 'text') {
      this.#close(out);
    }
  }

  /** Emits the calls a parallel wrapper held, each as its own complete tool_use block. */
  #unwrap(finalArguments: string, out: AnthropicStreamEvent[]): void {
    const wrapper = this.#wrapper;
    if (!wrapper) return;
    this.#wrapper = undefined;
    const calls = unwrapParallelCall(wrapper.arguments || finalArguments);
    if (!calls) {
      this.#fail('api_error', invalidArgumentsMessage(wrapper.name), out);
      return;
    }
    for (const call of calls) {
      const id = this.#ctx.newToolUseId();
      const name = clientToolName(call.name, this.#ctx.toolNames);
      this.#openBlock(
        { kind: 'tool_use', index: this.#nextIndex, outputIndex: -1, id, name, arguments: '' },
        out,
      );
      this.#arguments(JSON.stringify(call.input), out);
      this.#close(out);
    }
  }

  #close(out: AnthropicStreamEvent[]): void {
    const open = this.#open;
    if (!open) return;
    if (open.kind === 'text') this.#emitText(this.#stops.flush(), out);
    if (open.kind === 'thinking') this.#sign(open, out);
    this.#open = undefined;
    out.push({ type: 'content_block_stop', index: open.index });
  }

  #complete(response: Record<string, unknown>, out: AnthropicStreamEvent[]): void {
    if (this.#wrapper) this.#unwrap('', out);
    if (this.#finished) return;
    const open = this.#open;
    if (open?.kind === 'tool_use' && !isJson(open.arguments === '' ? '{}' : open.arguments)) {
      // Cut off mid-arguments (max_output_tokens): the input cannot be completed honestly.
      this.#fail('api_error', invalidArgumentsMessage(open.name), out);
      return;
    }
    if (open?.kind === 'tool_use' && open.arguments === '') this.#arguments('{}', out);
    this.#close(out);
    const reason = stopReason({
      stopSequence: null,
      toolUsed: this.#toolUsed,
      refusal: this.#refusal,
      incomplete: incompleteReason(response),
    });
    this.#finish(reason, null, response['usage'], out);
  }

  #finish(
    reason: AnthropicStopReason,
    stopSequence: string | null,
    upstreamUsage: unknown,
    out: AnthropicStreamEvent[],
  ): void {
    const reported = fromResponsesUsage(upstreamUsage);
    const usage = reported
      ? toAnthropicUsage(reported)
      : {
          ...zeroUsage(this.#ctx.inputTokenEstimate),
          output_tokens: estimateTokensOfChars(this.#outputChars),
        };
    out.push(
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

  #fail(type: AnthropicErrorType, message: string, out: AnthropicStreamEvent[]): void {
    out.push({ type: 'error', error: { type, message } });
    this.#open = undefined;
    this.#finished = true;
    this.#outcome = { ...this.#outcome, error: { type, message } };
  }
}

function outputIndexOf(data: Record<string, unknown>): number {
  const index = data['output_index'];
  return typeof index === 'number' ? index : -1;
}

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function nullableString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
