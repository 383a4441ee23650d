/**
 * The traffic bus: the engine publishes, subscribers (the IPC bridge, the inspector feed) listen,
 * and a bounded store keeps the last exchanges for a window that opens late. Redaction runs here,
 * before any subscriber sees an event and before anything leaves the store, so no transport can
 * leak a secret. What the store keeps of the wire (bodies, stream texts) it keeps as sent, and
 * redacts as it is read back: recording is on the path of every request, reading the store only
 * on a window opening. A subscriber that throws is dropped; it can never break the proxied
 * request.
 */
import {
  ColumnPool,
  isStreamEvent,
  mergeBySeq,
  StreamEventLog,
  TextArena,
  type ArenaSlice,
  type StreamEvent,
} from './packed-stream.ts';
import { redactHeaders, textRedactor, valueRedactor } from './redact.ts';
import type {
  ExchangeStarted,
  JsonValue,
  TrafficEvent,
  UpstreamRequested,
} from './traffic-event.ts';

export interface TrafficBusOptions {
  /** Secrets replaced wherever they appear in a payload (proxy key, upstream key). */
  readonly secrets: readonly (string | undefined)[];
  /** Exchanges kept for late subscribers (DESIGN.md: 1,000). */
  readonly maxExchanges?: number;
  /**
   * Stream events kept per exchange: a longer stream keeps its start. Its other events (tool
   * calls, usage, its ending) are kept whatever its length, up to maxEventsPerExchange.
   */
  readonly maxStreamEventsPerExchange?: number;
  /** Other events kept per exchange (a sanity bound: an exchange has a handful). */
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

/** The events that carry a body: the client's request, and what was sent upstream. */
type BodyEvent = ExchangeStarted | UpstreamRequested;

function isBodyEvent(event: TrafficEvent): event is BodyEvent {
  return event.type === 'exchange.started' || event.type === 'upstream.requested';
}

/**
 * A body kept as the bytes that went over the wire, in the arena: no object graph for the
 * garbage collector to trace while the store holds it, and parsed again only when asked for.
 */
interface PackedBody {
  readonly seq: number;
  readonly written: ArenaSlice;
}

export type TrafficListener = (event: TrafficEvent) => void;

interface StoredExchange {
  /** Its events other than stream events, as objects. */
  readonly events: TrafficEvent[];
  /** Its stream events, as columns (packed-stream.ts). */
  readonly stream: StreamEventLog;
  /** The bodies its body events were stored without (their body field is null in `events`). */
  readonly bodies: PackedBody[];
  bytes: number;
  /** Its final event came (exchange.finished or exchange.failed). */
  ended: boolean;
}

export class TrafficBus {
  readonly #listeners = new Set<TrafficListener>();
  readonly #store = new Map<string, StoredExchange>();
  /**
   * The stored exchanges' ids, oldest first, from #oldest on: the order eviction takes them in.
   * (Taking the first of the Map instead walks past every entry deleted before it, which V8
   * keeps until the table is rebuilt: up to a thousand per eviction in a full store.)
   */
  #order: string[] = [];
  #oldest = 0;
  readonly #maxExchanges: number;
  readonly #maxStreamEvents: number;
  readonly #maxEvents: number;
  /**
   * Exchanges evicted while still running: their later events are not kept, or they would come
   * back as an exchange without its start.
   */
  readonly #evictedRunning = new Set<string>();
  readonly #maxBytes: number;
  #bytes = 0;
  /** Where the stream texts of all exchanges are kept. */
  readonly #arena = new TextArena();
  readonly #columnPool = new ColumnPool();
  #last: { readonly id: string; readonly exchange: StoredExchange } | undefined;
  readonly #redactValue: <T extends JsonValue>(value: T) => T;
  readonly #redactText: (text: string) => string;
  #dropped = 0;

  constructor(options: TrafficBusOptions) {
    this.#maxExchanges = options.maxExchanges ?? 1_000;
    // 20,000: a Write of a long file streams some 10,000 deltas, each an upstream and a client event.
    this.#maxStreamEvents = options.maxStreamEventsPerExchange ?? 20_000;
    this.#maxEvents = options.maxEventsPerExchange ?? 2_000;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#redactValue = valueRedactor(options.secrets);
    this.#redactText = textRedactor(options.secrets);
  }

  /** Events not kept in the store because their exchange was over its bound. */
  get droppedFromStore(): number {
    return this.#dropped;
  }

  /**
   * `wire`: for an event with a body, the body's bytes as received or sent; the event's own body
   * is then only a stand-in (the same JSON, perhaps without what the SDK adds to it). A body
   * without secrets is kept as those bytes; everyone gets it parsed from them.
   */
  publish(event: TrafficEvent, wire?: Uint8Array): void {
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
    if (wire !== undefined && isBodyEvent(event)) {
      this.#publishBody(event, wire);
      return;
    }
    const safe = this.#redact(event);
    this.#keep(safe);
    this.#deliver(safe);
  }

  /** A body is kept as its bytes, and redacted whenever it is read back (#withBodies). */
  #publishBody(event: BodyEvent, wire: Uint8Array): void {
    this.#keepPacked(event, wire);
    if (this.#listeners.size > 0)
      this.#deliver(this.#redact(withBody(event, parsedOr(wire, bodyOf(event)))));
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
    // Kept as it was sent: the log redacts its texts as they are read back.
    if (
      exchange === undefined ||
      exchange.stream.size >= this.#maxStreamEvents ||
      !exchange.stream.append(type, name, json, seq, at, t)
    )
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

  /**
   * The exchange's stream events of one synchronous run (an upstream read, and what it was
   * translated into) are all published: their texts go into the store's buffers now, rather than
   * stay strings the young generation's collections copy.
   */
  streamRunEnded(exchangeId: string): void {
    const exchange =
      this.#last?.id === exchangeId ? this.#last.exchange : this.#store.get(exchangeId);
    exchange?.stream.writePending();
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
    return [...this.#store].flatMap(([id, exchange]) => {
      const events = exchange.bodies.length === 0 ? exchange.events : this.#withBodies(exchange);
      return exchange.stream.size === 0 ? events : mergeBySeq(events, exchange.stream.events(id));
    });
  }

  /** Rough bytes the store holds now. */
  get storedBytes(): number {
    return this.#bytes;
  }

  /** Keeps an event other than a stream event. */
  #keep(event: TrafficEvent): void {
    const isFinal = event.type === 'exchange.finished' || event.type === 'exchange.failed';
    const exchange = this.#exchange(event.exchangeId);
    if (isFinal) this.#evictedRunning.delete(event.exchangeId);
    if (exchange === undefined || this.#full(exchange, isFinal)) {
      this.#dropped += 1;
      return;
    }
    exchange.events.push(event);
    if (isFinal) {
      exchange.ended = true;
      exchange.stream.seal();
    }
    this.#count(exchange, sizeOf(event));
  }

  /** Keeps a body event: its body as the bytes, the rest as an object (redacted). */
  #keepPacked(event: BodyEvent, wire: Uint8Array): void {
    const exchange = this.#exchange(event.exchangeId);
    if (exchange === undefined || this.#full(exchange, false)) {
      this.#dropped += 1;
      return;
    }
    const safe = this.#redact(withBody(event, null));
    exchange.bodies.push({ seq: event.seq, written: this.#arena.writeBytes(wire) });
    exchange.events.push(safe);
    this.#count(exchange, wire.length + SMALL_EVENT_BYTES);
  }

  /** The stored exchange of that id, new if need be; undefined if it was evicted running. */
  #exchange(exchangeId: string): StoredExchange | undefined {
    // The events of one exchange come in runs: the last one looked up is nearly always it.
    if (this.#last?.id === exchangeId) return this.#last.exchange;
    let exchange = this.#store.get(exchangeId);
    if (!exchange) {
      if (this.#evictedRunning.has(exchangeId)) return undefined;
      exchange = {
        events: [],
        stream: new StreamEventLog(this.#arena, this.#columnPool, this.#redactText),
        bodies: [],
        bytes: 0,
        ended: false,
      };
      this.#store.set(exchangeId, exchange);
      this.#order.push(exchangeId);
      this.#evict();
    }
    this.#last = { id: exchangeId, exchange };
    return exchange;
  }

  /** Over its bound of events other than stream events; its final event is always kept. */
  #full(exchange: StoredExchange, isFinal: boolean): boolean {
    return !isFinal && exchange.events.length >= this.#maxEvents;
  }

  #count(exchange: StoredExchange, bytes: number): void {
    exchange.bytes += bytes;
    this.#bytes += bytes;
    if (this.#bytes > this.#maxBytes) this.#evict();
  }

  /** The oldest exchanges go first; the newest always stays, however big. */
  #evict(): void {
    while (this.#store.size > 1) {
      if (this.#store.size <= this.#maxExchanges && this.#bytes <= this.#maxBytes) break;
      const id = this.#order[this.#oldest] ?? '';
      this.#oldest += 1;
      const oldest = this.#store.get(id);
      if (!oldest) continue;
      this.#store.delete(id);
      if (!oldest.ended) this.#evictedRunning.add(id);
      this.#bytes -= oldest.bytes;
      if (this.#last?.id === id) this.#last = undefined;
      // Nothing reads an exchange out of the store: its arena space may be written again.
      oldest.stream.release();
      for (const body of oldest.bodies) this.#arena.release(body.written);
    }
    // The queue's consumed head is dropped once it is half of it.
    if (this.#oldest > 1_024 && this.#oldest * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#oldest);
      this.#oldest = 0;
    }
  }

  /**
   * An exchange's events with their packed bodies parsed back in and redacted: the parsed value
   * shows a secret its bytes hide behind an escape, and parsing drops a duplicate key's first
   * value, the one place the bytes alone would.
   */
  #withBodies(exchange: StoredExchange): TrafficEvent[] {
    return exchange.events.map((event) => {
      if (!isBodyEvent(event)) return event;
      const packed = exchange.bodies.find((body) => body.seq === event.seq);
      if (!packed) return event;
      const { chunk, start, end } = packed.written;
      return withBody(event, this.#redactValue(parsedOr(chunk.bytes.subarray(start, end))));
    });
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

function bodyOf(event: BodyEvent): JsonValue {
  return event.type === 'exchange.started' ? event.request : event.body;
}

function withBody(event: BodyEvent, body: JsonValue): BodyEvent {
  return event.type === 'exchange.started' ? { ...event, request: body } : { ...event, body };
}

const utf8 = new TextDecoder();

/**
 * A body's bytes parsed, or `fallback` (by default their text) when they are not JSON in
 * UTF-8: publishing must never break the request. A byte-order mark is dropped, as body-parser
 * drops it.
 */
function parsedOr(bytes: Uint8Array, fallback?: JsonValue): JsonValue {
  const text = utf8.decode(bytes);
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return fallback ?? text;
  }
}
