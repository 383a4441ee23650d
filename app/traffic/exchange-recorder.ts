/**
 * One exchange's view of the traffic bus: stamps each event with the exchange id, its sequence
 * number and both clocks, and derives the tool-call and usage events from what the client was
 * sent, so the route only says what happened. Without a bus every call is a cheap no-op.
 */
import type {
  AnthropicMessage,
  AnthropicStreamEvent,
  AnthropicUsage,
} from '../protocol/anthropic-wire.ts';
import type { TrafficBus } from './traffic-bus.ts';
import type { JsonValue, TrafficEvent, TrafficEventDraft } from './traffic-event.ts';

export interface TrafficClock {
  /** Wall clock, epoch ms. */
  readonly now: () => number;
  /** Monotonic ms, for durations. */
  readonly monotonic: () => number;
}

export const systemClock: TrafficClock = { now: Date.now, monotonic: () => performance.now() };

/** Our own payloads are plain JSON by construction (parsed bodies, wire objects). */
export function asJson(value: unknown): JsonValue {
  return value as JsonValue;
}

export class ExchangeRecorder {
  readonly #bus: TrafficBus | undefined;
  readonly #clock: TrafficClock;
  readonly #startedAt: number;
  /** The wall clock when the exchange started; each event's is read off the monotonic clock. */
  readonly #wallAtStart: number;
  readonly #openTools = new Map<number, { id: string; name: string; json: string }>();
  #seq = 0;
  #firstSentAt: number | undefined;
  /** The clock as read for the stream events of this synchronous run (see #streamTime). */
  #reading: number | undefined;
  readonly #endRun = (): void => {
    this.#reading = undefined;
    this.#bus?.streamRunEnded(this.exchangeId);
  };
  /** Prices usage once the model is routed; until then (or never) there is no cost. */
  costOf: (usage: AnthropicUsage) => number | null = () => null;

  readonly exchangeId: string;

  constructor(bus: TrafficBus | undefined, exchangeId: string, clock: TrafficClock = systemClock) {
    this.exchangeId = exchangeId;
    this.#bus = bus;
    this.#clock = clock;
    this.#startedAt = clock.monotonic();
    this.#wallAtStart = clock.now();
  }

  get enabled(): boolean {
    return this.#bus !== undefined;
  }

  /**
   * Publishes one event; `wire`: for an event with a body, that body's bytes as received or
   * sent (kept as they are, see TrafficBus.publish).
   */
  emit(draft: TrafficEventDraft, wire?: Uint8Array): void {
    if (!this.#bus) return;
    // Within a run of stream events, its reading: times never go back along seq.
    const t = this.#reading ?? this.#clock.monotonic();
    const stamped = {
      ...draft,
      exchangeId: this.exchangeId,
      seq: this.#seq++,
      at: this.#wallAt(t),
      t,
    } as TrafficEvent;
    this.#bus.publish(stamped, wire);
  }

  /** An upstream stream event as received: the hot path, so no object is built for it. */
  upstreamEvent(json: string): void {
    if (!this.#bus) return;
    const t = this.#streamTime();
    const at = this.#wallAt(t);
    this.#bus.publishStream(
      'upstream.event-received',
      '',
      json,
      this.exchangeId,
      this.#seq++,
      at,
      t,
    );
  }

  /**
   * Stream events as sent, with their JSON text (`texts[i]` is `events[i]` serialised); tool
   * calls and the final usage are derived from them.
   */
  clientEvents(
    events: readonly AnthropicStreamEvent[],
    texts: readonly string[],
    usageEstimated: () => boolean,
  ): void {
    if (!this.#bus || events.length === 0) return;
    const t = this.#streamTime();
    const at = this.#wallAt(t);
    this.#firstSentAt ??= t;
    for (let index = 0; index < events.length; index += 1) {
      const event = events[index];
      if (!event) continue;
      this.#bus.publishStream(
        'client.event-sent',
        event.type,
        texts[index] ?? '',
        this.exchangeId,
        this.#seq++,
        at,
        t,
      );
      this.#observe(event, usageEstimated);
    }
  }

  /** A whole message sent without streaming, and its JSON text. */
  clientMessage(message: AnthropicMessage, text: string, usageEstimated: boolean): void {
    if (!this.#bus) return;
    this.#firstSentAt ??= this.#clock.monotonic();
    this.emit({ type: 'client.event-sent', event: 'message', json: text });
    for (const block of message.content) {
      if (block.type !== 'tool_use') continue;
      this.emit({ type: 'tool-call.started', toolUseId: block.id, name: block.name });
      this.emit({
        type: 'tool-call.completed',
        toolUseId: block.id,
        name: block.name,
        input: asJson(block.input),
      });
    }
    this.#usage(message.usage, usageEstimated);
  }

  finished(status: number, stopReason: string | null): void {
    this.emit({
      type: 'exchange.finished',
      status,
      stopReason,
      ttfbMs: this.#firstSentAt === undefined ? null : this.#firstSentAt - this.#startedAt,
      durationMs: this.#clock.monotonic() - this.#startedAt,
    });
  }

  failed(
    status: number | null,
    errorType: string,
    message: string,
    upstreamStatus: number | null,
  ): void {
    this.emit({
      type: 'exchange.failed',
      status,
      errorType,
      message,
      upstreamStatus,
      durationMs: this.#clock.monotonic() - this.#startedAt,
    });
  }

  /**
   * The time of stream events: one clock reading for all those of one synchronous run (the
   * events of one upstream read and what they were translated into), forgotten at its end. A
   * reading per event cost 10–20 µs of a 200-delta stream, for times no observer could tell apart.
   * The run's end also tells the bus its texts are all in (TrafficBus.streamRunEnded).
   */
  #streamTime(): number {
    if (this.#reading === undefined) {
      this.#reading = this.#clock.monotonic();
      queueMicrotask(this.#endRun);
    }
    return this.#reading;
  }

  /** One clock read per event, and no jump in the wall clock within an exchange. */
  #wallAt(monotonic: number): number {
    return this.#wallAtStart + (monotonic - this.#startedAt);
  }

  #observe(event: AnthropicStreamEvent, usageEstimated: () => boolean): void {
    switch (event.type) {
      case 'content_block_start':
        if (event.content_block.type === 'tool_use') {
          const { id, name } = event.content_block;
          this.#openTools.set(event.index, { id, name, json: '' });
          this.emit({ type: 'tool-call.started', toolUseId: id, name });
        }
        break;
      case 'content_block_delta': {
        const tool = this.#openTools.get(event.index);
        if (tool && event.delta.type === 'input_json_delta') tool.json += event.delta.partial_json;
        break;
      }
      case 'content_block_stop': {
        const tool = this.#openTools.get(event.index);
        if (!tool) break;
        this.#openTools.delete(event.index);
        this.emit({
          type: 'tool-call.completed',
          toolUseId: tool.id,
          name: tool.name,
          input: recordedInput(tool.json),
        });
        break;
      }
      case 'message_delta':
        this.#usage(event.usage, usageEstimated());
        break;
      default:
    }
  }

  #usage(usage: AnthropicUsage, estimated: boolean): void {
    this.emit({
      type: 'usage.reported',
      inputTokens: usage.input_tokens,
      outputTokens: usage.output_tokens,
      cacheReadInputTokens: usage.cache_read_input_tokens,
      cacheCreationInputTokens: usage.cache_creation_input_tokens,
      estimated,
      costUsd: this.costOf(usage),
    });
  }
}

/**
 * A tool call's input as the client got it. Recording never fails a request: input that is not
 * JSON (the translator ends such a stream with an error) is kept as its text.
 */
function recordedInput(json: string): JsonValue {
  if (json === '') return {};
  try {
    return asJson(JSON.parse(json) as unknown);
  } catch {
    return json;
  }
}
