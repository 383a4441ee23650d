/**
 * An exchange's stream events (`upstream.event-received`, `client.event-sent`: hundreds per
 * exchange) kept as columns instead of objects, at the least cost per event: while the exchange
 * runs, its texts are only collected; when it ends they are redacted in one pass, written as
 * UTF-8 into a TextArena buffer in one write, and let go. The store keeps up to 1,000
 * exchanges; an object or a string per event kept that long is what the garbage collector copies
 * out of the young generation and traces on every full collection, while a buffer lives outside
 * the JavaScript heap and is never traced or moved. Event objects are rebuilt only when a late
 * subscriber asks, redacted whichever state the exchange is in.
 */
import type { ClientEventSent, TrafficEvent, UpstreamEventReceived } from './traffic-event.ts';

export type StreamEvent = UpstreamEventReceived | ClientEventSent;

export function isStreamEvent(event: TrafficEvent): event is StreamEvent {
  return event.type === 'upstream.event-received' || event.type === 'client.event-sent';
}

/** Client event names (`content_block_delta`, …: a handful), and their codes. */
const names: string[] = [];
const codes = new Map<string, number>();
let lastName = '';
let lastCode = 0;
/** 0 for an upstream event; n for a client event named names[n - 1]. */
function kindOf(type: StreamEvent['type'], name: string): number {
  if (type === 'upstream.event-received') return 0;
  // Deltas come in runs: nearly always the name of the event before.
  if (name === lastName && lastCode !== 0) return lastCode;
  let code = codes.get(name);
  if (code === undefined) {
    code = names.push(name);
    codes.set(name, code);
  }
  lastName = name;
  lastCode = code;
  return code;
}

/**
 * Buffers the texts of many exchanges are written into one after another: one allocation per
 * CHUNK_BYTES of text instead of several per exchange. A buffer is freed once no exchange in the
 * store still points into it, and the store lets exchanges go oldest first, as they were written.
 */
export class TextArena {
  static readonly CHUNK_BYTES = 256 * 1024;
  #chunk = Buffer.allocUnsafe(TextArena.CHUNK_BYTES);
  #used = 0;

  /** Writes `text` as UTF-8; the buffer and where it ends there are `chunk` and `used`. */
  write(text: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; only when that bound does not fit is the
    // text measured (ASCII takes one), so a buffer is not left a third full.
    let room = text.length * 3;
    if (this.#used + room > this.#chunk.length) room = Buffer.byteLength(text, 'utf8');
    const start = this.#reserve(room);
    this.#used += this.#chunk.write(text, start, 'utf8');
    return start;
  }

  /** Copies `bytes` in as they are; returns where they start in `chunk`. */
  writeBytes(bytes: Uint8Array): number {
    const start = this.#reserve(bytes.length);
    this.#chunk.set(bytes, start);
    this.#used += bytes.length;
    return start;
  }

  get chunk(): Buffer {
    return this.#chunk;
  }

  get used(): number {
    return this.#used;
  }

  /** Where `bytes` more fit: here, or at the start of a new buffer. */
  #reserve(bytes: number): number {
    if (this.#used + bytes > this.#chunk.length) {
      this.#chunk = Buffer.allocUnsafe(Math.max(TextArena.CHUNK_BYTES, bytes));
      this.#used = 0;
    }
    return this.#used;
  }
}

/** Per event in #ints: seq, kind (see kindOf). Per event in #times: at, t. */
const INTS = 2;
const TIMES = 2;

export class StreamEventLog {
  readonly #arena: TextArena;
  readonly #redact: (text: string) => string;
  #size = 0;
  #ints: number[] = [];
  #times: number[] = [];
  /** Until sealed: the texts as published, not yet redacted. */
  #texts: string[] = [];
  /** Once sealed: the arena buffer holding the texts, where they start, and where each ends. */
  #chunk: Buffer | undefined;
  #start = 0;
  #ends: number[] = [];

  constructor(arena: TextArena, redact: (text: string) => string) {
    this.#arena = arena;
    this.#redact = redact;
  }

  get size(): number {
    return this.#size;
  }

  /** False, and nothing kept, once the exchange has ended (sealed). */
  add(event: StreamEvent): boolean {
    return event.type === 'client.event-sent'
      ? this.append(event.type, event.event, event.json, event.seq, event.at, event.t)
      : this.append(event.type, '', event.json, event.seq, event.at, event.t);
  }

  /** `add` without the event object: the recorder's hot path builds none when nobody listens. */
  append(
    type: StreamEvent['type'],
    name: string,
    json: string,
    seq: number,
    at: number,
    t: number,
  ): boolean {
    if (this.#chunk) return false;
    this.#texts.push(json);
    this.#ints.push(seq, kindOf(type, name));
    this.#times.push(at, t);
    this.#size += 1;
    return true;
  }

  /**
   * The exchange ended: its texts are redacted (one search over them all, text by text only when
   * a secret is there) and written to the arena in one go. Nothing more is kept.
   */
  seal(): void {
    if (this.#chunk) return;
    let texts = this.#texts;
    let joined = texts.join('');
    if (this.#redact(joined) !== joined) {
      texts = texts.map(this.#redact);
      joined = texts.join('');
    }
    this.#start = this.#arena.write(joined);
    this.#chunk = this.#arena.chunk;
    // As many bytes as units: all ASCII (nearly always), so each text's bytes are its length.
    const ascii = this.#arena.used - this.#start === joined.length;
    let end = this.#start;
    this.#ends = texts.map((text) => (end += ascii ? text.length : Buffer.byteLength(text)));
    this.#texts = [];
  }

  /** The events again, as they were published (redacted), in order. */
  events(exchangeId: string): StreamEvent[] {
    const events: StreamEvent[] = [];
    for (let index = 0; index < this.#size; index += 1) {
      const [seq = 0, kind = 0] = this.#ints.slice(index * INTS, index * INTS + INTS);
      const [at = 0, t = 0] = this.#times.slice(index * TIMES, index * TIMES + TIMES);
      const base = { exchangeId, seq, at, t, json: this.#text(index) };
      events.push(
        kind === 0
          ? { type: 'upstream.event-received', ...base }
          : { type: 'client.event-sent', event: names[kind - 1] ?? '', ...base },
      );
    }
    return events;
  }

  #text(index: number): string {
    if (!this.#chunk) return this.#redact(this.#texts[index] ?? '');
    const start = index === 0 ? this.#start : (this.#ends[index - 1] ?? 0);
    return this.#chunk.toString('utf8', start, this.#ends[index] ?? start);
  }
}

/** One exchange's history: its other events as objects and its stream events, by seq. */
export function mergeBySeq(
  others: readonly TrafficEvent[],
  stream: readonly TrafficEvent[],
): TrafficEvent[] {
  return [...others, ...stream].sort((a, b) => a.seq - b.seq);
}
