/**
 * The Chat Completions stream -> Anthropic stream state machine (PROTOCOL.md 3.4). Fed one chunk
 * at a time, it maps what arrived onto the AnthropicStreamBuilder; no I/O, no clock.
 *
 * Survives what real servers do: reasoning as reasoning_content, reasoning or typed thinking
 * parts; `content: ""` chunks that must not open a block; tool-call deltas keyed by index whose
 * id and name come once or on every delta, whole arguments in one chunk, or indexes that
 * interleave (T6: the first call streams; a later one is buffered until the open call's
 * arguments are complete, then emitted in order), or no index at all (Gemini: each call whole,
 * told apart by its id), or a Gemini thought signature (carried in the tool_use id, so it must
 * be known when the call opens: Gemini sends it with the call); finish_reason with the last
 * delta or alone; usage on the finish chunk, after it with empty choices, under x_groq, or never
 * (then it is estimated); [DONE] missing after a finish (fine) or before one (an error event).
 */
import type { AnthropicErrorType } from '../protocol/anthropic-errors.ts';
import type { AnthropicStreamEvent } from '../protocol/anthropic-wire.ts';
import { toolUseIdFor, type AnswerContext } from './answer-context.ts';
import { AnthropicStreamBuilder, type StreamOutcome } from './anthropic-stream.ts';
import { CHAT_ENDINGS, chatIncomplete, stringOf, thinkingPartText } from './from-chat.ts';
import { asArray, asRecord } from './from-responses.ts';
import { stopReason } from './stop-reason.ts';
import {
  clientToolName,
  invalidArgumentsMessage,
  isParallelWrapper,
  unwrapParallelCall,
} from './tools.ts';
import { signedToolUseId, thoughtSignatureOf } from './thought-signature.ts';
import { fromChatUsage, type UpstreamUsage } from './usage.ts';

/** The block key of all text and reasoning: a chat answer is one choice. */
const CHOICE = 0;
/** Tool blocks are keyed apart from the choice's text. */
const toolKey = (index: number): number => 1_000 + index;

interface Call {
  readonly index: number;
  id: string | undefined;
  /** Gemini's thought signature, to ride in the tool_use id. */
  signature: string | undefined;
  name: string;
  arguments: string;
  state: 'waiting' | 'streaming' | 'done';
}

export class ChatStreamTranslator {
  readonly #ctx: AnswerContext;
  readonly #out: AnthropicStreamBuilder;
  readonly #calls = new Map<number, Call>();
  readonly #usedIds = new Set<string>();
  #streaming: Call | undefined;
  /** The call the last tool delta went to: where a delta without an index continues. */
  #lastCall: Call | undefined;
  /** Above every index seen, for a call that came without one. */
  #nextIndex = 0;
  #finishReason: string | undefined;
  #usage: UpstreamUsage | undefined;
  #thinking = '';

  constructor(ctx: AnswerContext) {
    this.#ctx = ctx;
    this.#out = new AnthropicStreamBuilder(ctx);
  }

  get finished(): boolean {
    return this.#out.finished;
  }

  get outcome(): StreamOutcome {
    return this.#out.outcome;
  }

  onEvent(chunk: unknown): AnthropicStreamEvent[] {
    if (this.#out.finished) return [];
    const data = asRecord(chunk);
    this.#out.start();
    this.#usage = fromChatUsage(data['usage'] ?? asRecord(data['x_groq'])['usage']) ?? this.#usage;
    // n > 1 is never asked for; if it happens anyway, choice 0 is the answer.
    const choice = asArray(data['choices'])
      .map(asRecord)
      .find((candidate) => (candidate['index'] ?? 0) === 0);
    if (choice) this.#choice(choice);
    return this.#out.take();
  }

  /** The upstream ended ([DONE] or a clean close): fine after a finish_reason, an error before. */
  onEnd(): AnthropicStreamEvent[] {
    if (this.#out.finished) return [];
    if (this.#finishReason === undefined) {
      return this.fail('api_error', 'The upstream stream ended before the response was complete.');
    }
    this.#finishCalls();
    this.#complete(this.#finishReason);
    return this.#out.take();
  }

  fail(type: AnthropicErrorType, message: string): AnthropicStreamEvent[] {
    this.#out.fail(type, message);
    return this.#out.take();
  }

  #choice(choice: Record<string, unknown>): void {
    const delta = asRecord(choice['delta']);
    this.#reasoning(stringOf(delta['reasoning_content']) || stringOf(delta['reasoning']));
    const content = delta['content'];
    if (typeof content === 'string') this.#text(content);
    for (const part of asArray(content).map(asRecord)) {
      if (part['type'] === 'thinking') this.#reasoning(thinkingPartText(part));
      else if (part['type'] === 'text') this.#text(stringOf(part['text']));
    }
    const refusal = stringOf(delta['refusal']);
    if (refusal !== '') this.#text(refusal, true);
    for (const call of asArray(delta['tool_calls']).map(asRecord)) this.#toolCall(call);
    const finish = choice['finish_reason'];
    if (typeof finish === 'string' && finish !== '') this.#finishReason = finish;
  }

  #reasoning(delta: string): void {
    if (delta === '') return;
    this.#settleStreamingCall();
    this.#thinking += delta;
    this.#out.thinking(CHOICE, delta);
  }

  #text(delta: string, refusal = false): void {
    // `content: ""` opens nothing: most first chunks and DeepSeek's reasoning chunks carry it.
    if (delta === '') return;
    this.#signThinking();
    this.#settleStreamingCall();
    this.#out.text(CHOICE, delta, { refusal });
  }

  /** Chat reasoning has no upstream item: its text rides in the signature, for T13. */
  #signThinking(): void {
    if (this.#out.openKind !== 'thinking') return;
    this.#out.finishThinking({ id: '', encryptedContent: null, summary: [this.#thinking] });
    this.#thinking = '';
  }

  #toolCall(delta: Record<string, unknown>): void {
    const id = stringOf(delta['id']);
    const index = typeof delta['index'] === 'number' ? delta['index'] : this.#unindexedCall(id);
    this.#nextIndex = Math.max(this.#nextIndex, index + 1);
    const fn = asRecord(delta['function']);
    let call = this.#calls.get(index);
    if (!call) {
      call = {
        index,
        id: undefined,
        signature: undefined,
        name: '',
        arguments: '',
        state: 'waiting',
      };
      this.#calls.set(index, call);
    }
    this.#lastCall = call;
    // Some servers repeat the id and name on every delta; the first ones count.
    if (call.id === undefined && id !== '') call.id = id;
    if (call.name === '') call.name = stringOf(fn['name']);
    // Only Gemini signs; the check keeps other servers' deltas from a lookup each.
    if (call.signature === undefined && 'extra_content' in delta) {
      call.signature = thoughtSignatureOf(delta);
    }
    const fragment = stringOf(fn['arguments']);
    call.arguments += fragment;

    if (this.#streaming === call) {
      this.#out.toolArguments(fragment);
      return;
    }
    if (call.state !== 'waiting') return;
    // Another call is open: start this one only once that one's arguments are complete (T6).
    if (this.#streaming && !isJson(this.#streaming.arguments)) return;
    this.#settleStreamingCall();
    if (
      this.#hasEarlierWaitingCall(call) ||
      isParallelWrapper(call.name, this.#ctx.declaredToolNames)
    )
      return;
    this.#signThinking();
    this.#openCall(call);
  }

  /**
   * The index of a delta that has none: the call the last delta went to, unless this one names
   * another id (a call with no id yet takes this one: merging fails safe, a split does not).
   */
  #unindexedCall(id: string): number {
    const last = this.#lastCall;
    if (last && (id === '' || last.id === undefined || last.id === id)) return last.index;
    return this.#nextIndex;
  }

  #openCall(call: Call): void {
    call.state = 'streaming';
    this.#streaming = call;
    const upstreamId = call.signature === undefined ? call.id : signedToolUseId(call.signature);
    const id = toolUseIdFor(upstreamId, this.#ctx, this.#usedIds);
    this.#out.openTool(toolKey(call.index), id, clientToolName(call.name, this.#ctx.toolNames));
    this.#out.toolArguments(call.arguments);
  }

  /** Closes the streaming call (its arguments validated), if any; `cut`: see finishTool. */
  #settleStreamingCall(cut = false): void {
    const call = this.#streaming;
    if (!call) return;
    this.#streaming = undefined;
    call.state = 'done';
    this.#out.finishTool('', cut);
  }

  #hasEarlierWaitingCall(call: Call): boolean {
    for (const other of this.#calls.values()) {
      if (other.index < call.index && other.state === 'waiting') return true;
    }
    return false;
  }

  /**
   * At the end: the open call closes, buffered ones are emitted whole, in index order. After a
   * `length` ending any of them may have been cut before its first argument (T4: not {}).
   */
  #finishCalls(): void {
    // Cut at the limit, only the last call can have lost its arguments; the others had ended.
    const atLimit = this.#finishReason === 'length';
    const last = Math.max(-1, ...this.#calls.keys());
    const cut = (call: Call | undefined): boolean => atLimit && call?.index === last;
    this.#signThinking();
    this.#settleStreamingCall(cut(this.#streaming));
    const waiting = [...this.#calls.values()]
      .filter((call) => call.state === 'waiting')
      .sort((a, b) => a.index - b.index);
    for (const call of waiting) {
      if (this.#out.finished) return;
      call.state = 'done';
      if (isParallelWrapper(call.name, this.#ctx.declaredToolNames)) {
        this.#unwrap(call);
        continue;
      }
      this.#openCall(call);
      this.#streaming = undefined;
      this.#out.finishTool('', cut(call));
    }
  }

  #unwrap(call: Call): void {
    const inner = unwrapParallelCall(call.arguments);
    if (!inner) {
      this.#out.fail('api_error', invalidArgumentsMessage(call.name));
      return;
    }
    for (const { name, input } of inner) {
      const id = this.#ctx.newToolUseId();
      this.#out.completeTool(
        toolKey(call.index),
        id,
        clientToolName(name, this.#ctx.toolNames),
        input,
      );
    }
  }

  #complete(finishReason: string): void {
    if (this.#out.finished) return; // a buffered call had invalid arguments
    // PROTOCOL.md 3.5: an unknown ending with nothing to show is an error, not an empty answer.
    if (!CHAT_ENDINGS.has(finishReason) && this.#out.blockCount === 0) {
      this.#out.fail(
        'api_error',
        `The upstream stopped without an answer (finish_reason "${finishReason}").`,
      );
      return;
    }
    this.#signThinking();
    const reason = stopReason({
      stopSequence: null,
      toolUsed: this.#out.toolUsed,
      refusal: this.#out.refusal,
      incomplete: chatIncomplete(finishReason),
    });
    this.#out.complete(reason, this.#usage);
  }
}

function isJson(text: string): boolean {
  if (text.trim() === '') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
