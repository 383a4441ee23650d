/**
 * The traffic bus: the engine publishes, subscribers (the IPC bridge, the inspector feed) listen,
 * and a bounded store keeps the last exchanges for a window that opens late. Redaction runs here,
 * before any subscriber or the store sees an event, so no transport can leak a secret. A
 * subscriber that throws is dropped; it can never break the proxied request.
 */
import { redactHeaders, valueRedactor } from './redact.ts';
import type { JsonValue, TrafficEvent } from './traffic-event.ts';

export interface TrafficBusOptions {
  /** Secrets replaced wherever they appear in a payload (proxy key, upstream key). */
  readonly secrets: readonly (string | undefined)[];
  /** Exchanges kept for late subscribers (DESIGN.md: 1,000). */
  readonly maxExchanges?: number;
  /** Events kept per exchange; a long stream keeps its start and its end. */
  readonly maxEventsPerExchange?: number;
}

export type TrafficListener = (event: TrafficEvent) => void;

export class TrafficBus {
  readonly #listeners = new Set<TrafficListener>();
  readonly #store = new Map<string, TrafficEvent[]>();
  readonly #maxExchanges: number;
  readonly #maxEvents: number;
  readonly #redactValue: <T extends JsonValue>(value: T) => T;
  #dropped = 0;

  constructor(options: TrafficBusOptions) {
    this.#maxExchanges = options.maxExchanges ?? 1_000;
    this.#maxEvents = options.maxEventsPerExchange ?? 2_000;
    this.#redactValue = valueRedactor(options.secrets);
  }

  /** Events not kept in the store because their exchange was over its bound. */
  get droppedFromStore(): number {
    return this.#dropped;
  }

  publish(event: TrafficEvent): void {
    const safe = this.#redact(event);
    this.#keep(safe);
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
    return [...this.#store.values()].flat();
  }

  #keep(event: TrafficEvent): void {
    let events = this.#store.get(event.exchangeId);
    if (!events) {
      events = [];
      this.#store.set(event.exchangeId, events);
      if (this.#store.size > this.#maxExchanges) {
        const oldest = this.#store.keys().next().value;
        if (oldest !== undefined) this.#store.delete(oldest);
      }
    }
    const isFinal = event.type === 'exchange.finished' || event.type === 'exchange.failed';
    if (events.length < this.#maxEvents || isFinal) events.push(event);
    else this.#dropped += 1;
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
      case 'client.event-sent':
        return { ...event, data: value(event.data) };
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
