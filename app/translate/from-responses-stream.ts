/**
 * The Responses stream -> Anthropic stream state machine (PROTOCOL.md 3.3, STYLE.md §3.3). Fed
 * one upstream event at a time, it returns the Anthropic events to send; no I/O, no clock. It
 * only maps what arrived onto the AnthropicStreamBuilder, which owns the client's lifecycle.
 *
 * Blocks are keyed by output_index, never by item id (T1: some hosts rotate item ids); a tool's
 * id is the call_id announced first. A hosted web search goes out when its item is done (its
 * query and sources are only complete then); its progress events, and unknown events and item
 * kinds, are skipped (T15). A stream that ends without a terminal event ends in an error, never
 * a fake end_turn.
 */
import type { AnthropicErrorType } from '../protocol/anthropic-errors.ts';
import type { AnthropicStreamEvent } from '../protocol/anthropic-wire.ts';
import { toolUseIdFor, type AnswerContext } from './answer-context.ts';
import { AnthropicStreamBuilder, type StreamOutcome } from './anthropic-stream.ts';
import { answerFailure } from './errors.ts';
import {
  asRecord,
  incompleteReason,
  serverToolUseId,
  summaryTexts,
  webSearchOf,
} from './from-responses.ts';
import { stopReason } from './stop-reason.ts';
import {
  clientToolName,
  invalidArgumentsMessage,
  isParallelWrapper,
  unwrapParallelCall,
} from './tools.ts';
import { fromResponsesUsage } from './usage.ts';

export type { StreamOutcome } from './anthropic-stream.ts';

type Json = Record<string, unknown>;

export class ResponsesStreamTranslator {
  readonly #ctx: AnswerContext;
  readonly #out: AnthropicStreamBuilder;
  /** Tool ids given so far: a server that repeats a call_id must not make two blocks share one. */
  readonly #usedIds = new Set<string>();
  /** A `parallel` wrapper call being collected (some models wrap parallel calls in one). */
  #wrapper: { readonly name: string; readonly key: number; arguments: string } | undefined;

  constructor(ctx: AnswerContext) {
    this.#ctx = ctx;
    this.#out = new AnthropicStreamBuilder(ctx);
  }

  /** True once message_stop or an error event was produced: stop reading the upstream. */
  get finished(): boolean {
    return this.#out.finished;
  }

  get outcome(): StreamOutcome {
    return this.#out.outcome;
  }

  onEvent(event: unknown): AnthropicStreamEvent[] {
    if (this.#out.finished) return [];
    const data = asRecord(event);
    const key = outputIndexOf(data);
    this.#out.start();
    switch (data['type']) {
      case 'response.output_item.added':
        this.#itemAdded(asRecord(data['item']), key);
        break;
      case 'response.content_part.added': {
        const partType = asRecord(data['part'])['type'];
        if (partType === 'output_text' || partType === 'refusal') this.#out.openText(key);
        break;
      }
      case 'response.output_text.delta':
        this.#out.text(key, stringOf(data['delta']));
        break;
      case 'response.refusal.delta':
        this.#out.text(key, stringOf(data['delta']), { refusal: true });
        break;
      case 'response.content_part.done':
        if (this.#out.openKind === 'text') this.#out.close();
        break;
      case 'response.function_call_arguments.delta':
        if (this.#wrapper) this.#wrapper.arguments += stringOf(data['delta']);
        else this.#out.toolArguments(stringOf(data['delta']));
        break;
      case 'response.reasoning_summary_part.added':
        this.#out.summaryPart();
        break;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        this.#out.thinking(key, stringOf(data['delta']));
        break;
      case 'response.output_item.done':
        this.#itemDone(asRecord(data['item']));
        break;
      case 'response.completed':
      case 'response.incomplete':
        this.#complete(asRecord(data['response']));
        break;
      case 'response.failed': {
        const error = asRecord(asRecord(data['response'])['error']);
        const message = stringOf(error['message']) || 'no reason given';
        const failure = answerFailure(
          nullableString(error['code']),
          message,
          'Upstream response failed',
          this.#ctx,
        );
        this.#out.fail(failure.type, failure.message);
        break;
      }
      case 'error': {
        // Two shapes in the wild: flat (SDK type) and nested under `error` (recorded streams).
        const nested = asRecord(data['error']);
        const code = nullableString(data['code']) ?? nullableString(nested['code']);
        const message =
          stringOf(data['message']) || stringOf(nested['message']) || 'upstream error';
        const failure = answerFailure(code, message, 'Upstream error', this.#ctx);
        this.#out.fail(failure.type, failure.message);
        break;
      }
      default:
      // created / in_progress / annotations / hosted tools / future events: nothing to send (T15)
    }
    return this.#out.take();
  }

  /** The upstream stream ended. Without a terminal event that is an error, never a fake end_turn. */
  onEnd(): AnthropicStreamEvent[] {
    return this.fail('api_error', 'The upstream stream ended before the response was complete.');
  }

  /** Ends the stream with an error from outside (upstream connection lost, timeout, shutdown). */
  fail(type: AnthropicErrorType, message: string): AnthropicStreamEvent[] {
    this.#out.fail(type, message);
    return this.#out.take();
  }

  #itemAdded(item: Json, key: number): void {
    switch (item['type']) {
      case 'reasoning': {
        const encrypted = item['encrypted_content'];
        this.#out.openThinking(key, {
          id: stringOf(item['id']),
          encryptedContent: typeof encrypted === 'string' ? encrypted : null,
        });
        break;
      }
      case 'function_call': {
        const name = stringOf(item['name']);
        if (isParallelWrapper(name, this.#ctx.declaredToolNames)) {
          // Its arguments hold several calls: collect them, then emit one block per call.
          this.#out.close();
          this.#wrapper = { name, key, arguments: '' };
          break;
        }
        const id = toolUseIdFor(item['call_id'], this.#ctx, this.#usedIds);
        this.#out.openTool(key, id, clientToolName(name, this.#ctx.toolNames));
        break;
      }
      default:
      // a message opens its text block at its first content part
    }
  }

  #itemDone(item: Json): void {
    switch (item['type']) {
      case 'reasoning': {
        const encrypted = item['encrypted_content'];
        this.#out.finishThinking({
          id: stringOf(item['id']),
          encryptedContent: typeof encrypted === 'string' ? encrypted : null,
          summary: summaryTexts(item),
        });
        break;
      }
      case 'function_call':
        // Some servers send the arguments only here, or none at all (T4); an item that says it
        // is incomplete was cut, and its missing arguments are not {}.
        if (this.#wrapper) this.#unwrap(stringOf(item['arguments']));
        else this.#out.finishTool(stringOf(item['arguments']), item['status'] === 'incomplete');
        break;
      case 'message':
        if (this.#out.openKind === 'text') this.#out.close();
        break;
      case 'web_search_call': {
        const search = webSearchOf(item);
        if (search) this.#out.webSearch(serverToolUseId(this.#ctx), search.query, search.results);
        break;
      }
      default:
    }
  }

  /** Emits the calls a parallel wrapper held, each as its own complete tool_use block. */
  #unwrap(finalArguments: string): void {
    const wrapper = this.#wrapper;
    if (!wrapper) return;
    this.#wrapper = undefined;
    const calls = unwrapParallelCall(wrapper.arguments || finalArguments);
    if (!calls) {
      this.#out.fail('api_error', invalidArgumentsMessage(wrapper.name));
      return;
    }
    for (const call of calls) {
      const name = clientToolName(call.name, this.#ctx.toolNames);
      this.#out.completeTool(wrapper.key, this.#ctx.newToolUseId(), name, call.input);
    }
  }

  #complete(response: Json): void {
    if (this.#wrapper) this.#unwrap('');
    const incomplete = incompleteReason(response);
    const reason = stopReason({
      stopSequence: null,
      toolUsed: this.#out.toolUsed,
      refusal: this.#out.refusal,
      incomplete,
    });
    const cut = incomplete === 'max_output_tokens';
    this.#out.complete(reason, fromResponsesUsage(response['usage']), cut);
  }
}

function outputIndexOf(data: Json): number {
  const index = data['output_index'];
  return typeof index === 'number' ? index : -1;
}

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function nullableString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
