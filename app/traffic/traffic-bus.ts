/**
 * The traffic bus: the engine publishes, subscribers (the IPC bridge, the inspector feed) listen,
 * and a bounded store keeps the last exchanges for a window that opens late. Redaction runs here,
 * before any subscriber or the store sees an event, so no transport can leak a secret. A
 * subscriber that throws is dropped; it can never break the proxied request.
 */
import { isStreamEvent, mergeBySeq, StreamEventLog } from './packed-stream.ts';
import { redactHeaders, textRedactor, valueRedactor } from './redact.ts';
import type { JsonValue, TrafficEvent } from './traffic-event.ts';

export interface TrafficBusOptions {
  /** Secrets replaced wherever they appear in a payload (proxy key, upstream key). */
  readonly secrets: readonly (string | undefined)[];
  /** Exchanges kept for late subscribers (DESIGN.md: 1,000). */
  readonly maxExchanges?: number;
  /** Events kept per exchange; a long stream keeps its start and its end. */
  readonly maxEventsPerExchange?: number;
  /** Rough bytes kept in all: the oldest exchanges go first when over (request bodies are big). */
  readonly maxBytes?: number;
}

/** What a small event is counted as; bodies are measured. */
const SMALL_EVENT_BYTES = 512;
/** An event object around its JSON text: the fields every event has, and the string's header. */
const EVENT_OVERHEAD_BYTES = 160;

export type TrafficListener = (event: TrafficEvent) => void;

interface StoredExchange {
  /** Its events other than stream events, as objects. */
  readonly events: TrafficEvent[];
  /** Its stream events, as columns (packed-stream.ts). */
  readonly stream: StreamEventLog;
  bytes: number;
}

export class TrafficBus {
  readonly #listeners = new Set<TrafficListener>();
  readonly #store = new Map<string, StoredExchange>();
  readonly #maxExchanges: number;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  #bytes = 0;
  readonly #redactValue: <T extends JsonValue>(value: T) => T;
  readonly #redactText: (text: string) => string;
  #dropped = 0;

  constructor(options: TrafficBusOptions) {
    this.#maxExchanges = options.maxExchanges ?? 1_000;
    this.#maxEvents = options.maxEventsPerExchange ?? 2_000;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#redactValue = valueRedactor(options.secrets);
    this.#redactText = textRedactor(options.secrets);
  }

  /** Events not kept in the store because their exchange was over its bound. */
  get droppedFromStore(): number {
    return this.#dropped;
  }

  /** `bytes`: the event's size when the publisher knows it (saves measuring a big body). */
  publish(event: TrafficEvent, bytes?: number): void {
    const safe = this.#redact(event);
    this.#keep(safe, bytes);
    for (const listener of this.#listeners) {
      try {
        listener(safe);
      } catch {
        this.#listeners.delete(listener);
      }
    }
  }

  subscribe(listener: TrafficListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The stored events of the kept exchanges, oldest exchange first. */
  recent(): TrafficEvent[] {
    return [...this.#store].flatMap(([id, exchange]) =>
      exchange.stream.size === 0
        ? exchange.events
        : mergeBySeq(exchange.events, exchange.stream.events(id)),
    );
  }

  /** Rough bytes the store holds now. */
  get storedBytes(): number {
    return this.#bytes;
  }

  #keep(event: TrafficEvent, knownBytes: number | undefined): void {
    let exchange = this.#store.get(event.exchangeId);
    if (!exchange) {
      exchange = { events: [], stream: new StreamEventLog(), bytes: 0 };
      this.#store.set(event.exchangeId, exchange);
      this.#evict();
    }
    const isFinal = event.type === 'exchange.finished' || event.type === 'exchange.failed';
    if (exchange.events.length + exchange.stream.size >= this.#maxEvents && !isFinal) {
      this.#dropped += 1;
      return;
    }
    const bytes = knownBytes === undefined ? sizeOf(event) : knownBytes + SMALL_EVENT_BYTES;
    if (!isStreamEvent(event)) exchange.events.push(event);
    else if (!exchange.stream.add(event)) {
      this.#dropped += 1; // after its exchange ended
      return;
    }
    if (isFinal) exchange.stream.seal();
    exchange.bytes += bytes;
    this.#bytes += bytes;
    if (this.#bytes > this.#maxBytes) this.#evict();
  }

  /** The oldest exchanges go first; the newest always stays, however big. */
  #evict(): void {
    for (const [id, oldest] of this.#store) {
      if (this.#store.size <= 1) break;
      if (this.#store.size <= this.#maxExchanges && this.#bytes <= this.#maxBytes) break;
      this.#store.delete(id);
      this.#bytes -= oldest.bytes;
    }
  }

  #redact(event: TrafficEvent): TrafficEvent {
    const value = this.#redactValue;
    switch (event.type) {
      case 'exchange.started':
        return { ...event, headers: redactHeaders(event.headers), request: value(event.request) };
      case 'upstream.requested':
        return {
          ...event,
          url: value(event.url),
          body: value(event.body),
          notes: event.notes.map(value),
        };
      case 'upstream.event-received':
      case 'client.event-sent': {
        const json = this.#redactText(event.json);
        return json === event.json ? event : { ...event, json };
      }
      case 'tool-call.completed':
        return { ...event, input: value(event.input) };
      case 'exchange.failed':
        return { ...event, message: value(event.message) };
      case 'tool-call.started':
      case 'usage.reported':
      case 'exchange.finished':
        return event;
    }
  }
}

/** Bodies are measured (a few times per exchange); events carrying JSON text by its length. */
function sizeOf(event: TrafficEvent): number {
  switch (event.type) {
    case 'exchange.started':
      return JSON.stringify(event.request).length + SMALL_EVENT_BYTES;
    case 'upstream.requested':
      return JSON.stringify(event.body).length + SMALL_EVENT_BYTES;
    case 'upstream.event-received':
    case 'client.event-sent':
      return event.json.length + EVENT_OVERHEAD_BYTES;
    default:
      return SMALL_EVENT_BYTES;
  }
}
