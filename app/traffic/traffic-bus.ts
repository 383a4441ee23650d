/**
 * The traffic bus: the engine publishes, subscribers (the IPC bridge, the inspector feed) listen,
 * and a bounded store keeps the last exchanges for a window that opens late. Redaction runs here,
 * before any subscriber sees an event and before anything leaves the store, so no transport can
 * leak a secret. (A running exchange's stream texts wait in the store unredacted, and are
 * redacted together when it ends: packed-stream.ts.) A subscriber that throws is dropped; it can
 * never break the proxied request.
 */
import {
  isStreamEvent,
  mergeBySeq,
  StreamEventLog,
  TextArena,
  type StreamEvent,
} from './packed-stream.ts';
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
/**
 * What a body kept as parsed objects takes per byte of its JSON: 1.8 measured on a Claude Code
 * turn (76 KB of JSON, 137 KB of heap). Counting bodies by their JSON length alone let the store
 * hold about twice its bound.
 */
const HEAP_PER_JSON_BYTE = 2;

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
  /** Where the stream texts of all exchanges are kept. */
  readonly #arena = new TextArena();
  #last: { readonly id: string; readonly exchange: StoredExchange } | undefined;
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
    if (isStreamEvent(event)) {
      const name = event.type === 'client.event-sent' ? event.event : '';
      this.publishStream(
        event.type,
        name,
        event.json,
        event.exchangeId,
        event.seq,
        event.at,
        event.t,
      );
      return;
    }
    const safe = this.#redact(event);
    this.#keep(safe, bytes);
    this.#deliver(safe);
  }

  /**
   * A stream event, the hot path (hundreds per exchange), given as its fields: it goes into the
   * store's columns, and an event object (redacted) is built only when someone is listening.
   */
  publishStream(
    type: StreamEvent['type'],
    name: string,
    json: string,
    exchangeId: string,
    seq: number,
    at: number,
    t: number,
  ): void {
    const exchange = this.#exchange(exchangeId);
    // Kept as it is: the log redacts its texts together when the exchange ends.
    if (this.#full(exchange, false) || !exchange.stream.append(type, name, json, seq, at, t))
      this.#dropped += 1;
    else this.#count(exchange, json.length + EVENT_OVERHEAD_BYTES);
    if (this.#listeners.size === 0) return;
    const stamp = { json: this.#redactText(json), exchangeId, seq, at, t };
    this.#deliver(
      type === 'client.event-sent'
        ? { type, event: name, ...stamp }
        : { type: 'upstream.event-received', ...stamp },
    );
  }

  #deliver(event: TrafficEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
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

  /** Keeps an event other than a stream event. */
  #keep(event: TrafficEvent, knownBytes: number | undefined): void {
    const exchange = this.#exchange(event.exchangeId);
    const isFinal = event.type === 'exchange.finished' || event.type === 'exchange.failed';
    if (this.#full(exchange, isFinal)) {
      this.#dropped += 1;
      return;
    }
    exchange.events.push(event);
    if (isFinal) exchange.stream.seal();
    this.#count(
      exchange,
      knownBytes === undefined
        ? sizeOf(event)
        : knownBytes * HEAP_PER_JSON_BYTE + SMALL_EVENT_BYTES,
    );
  }

  #exchange(exchangeId: string): StoredExchange {
    // The events of one exchange come in runs: the last one looked up is nearly always it.
    if (this.#last?.id === exchangeId) return this.#last.exchange;
    let exchange = this.#store.get(exchangeId);
    if (!exchange) {
      exchange = {
        events: [],
        stream: new StreamEventLog(this.#arena, this.#redactText),
        bytes: 0,
      };
      this.#store.set(exchangeId, exchange);
      this.#evict();
    }
    this.#last = { id: exchangeId, exchange };
    return exchange;
  }

  /** Over its bound of events; an exchange's final event is always kept. */
  #full(exchange: StoredExchange, isFinal: boolean): boolean {
    return !isFinal && exchange.events.length + exchange.stream.size >= this.#maxEvents;
  }

  #count(exchange: StoredExchange, bytes: number): void {
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
      if (this.#last?.id === id) this.#last = undefined;
    }
  }

  #redact(event: Exclude<TrafficEvent, StreamEvent>): TrafficEvent {
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

/** Bodies are measured (a few times per exchange); other events count as small. */
function sizeOf(event: TrafficEvent): number {
  switch (event.type) {
    case 'exchange.started':
      return JSON.stringify(event.request).length * HEAP_PER_JSON_BYTE + SMALL_EVENT_BYTES;
    case 'upstream.requested':
      return JSON.stringify(event.body).length * HEAP_PER_JSON_BYTE + SMALL_EVENT_BYTES;
    default:
      return SMALL_EVENT_BYTES;
  }
}
