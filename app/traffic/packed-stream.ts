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

/** One buffer of the arena, and how many kept texts and bodies are written in it. */
export class ArenaChunk {
  holders = 0;
  constructor(readonly bytes: Buffer) {}
}

/** Where a text or a body was written: `chunk.bytes` from `start` to `end`. */
export interface ArenaSlice {
  readonly chunk: ArenaChunk;
  readonly start: number;
  readonly end: number;
}

/**
 * Buffers the texts of many exchanges are written into one after another: one allocation per
 * CHUNK_BYTES of text instead of several per exchange. Each write holds its buffer until it is
 * released (its exchange left the store); a buffer nothing holds any more is written again
 * rather than left to the garbage collector. Memory written for the first time costs a page
 * fault every 4 KB: measured inside the server, 30–45 µs of an exchange's seal, against 6 µs
 * into a buffer written before.
 */
export class TextArena {
  static readonly CHUNK_BYTES = 256 * 1024;
  /** Released buffers kept for the next ones: the store lets exchanges go about as fast as new ones are written. */
  static readonly SPARES = 4;
  #chunk = new ArenaChunk(Buffer.allocUnsafe(TextArena.CHUNK_BYTES));
  #used = 0;
  readonly #spares: ArenaChunk[] = [];

  /** Writes `text` as UTF-8. */
  write(text: string): ArenaSlice {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; only when that bound does not fit is the
    // text measured (ASCII takes one), so a buffer is not left a third full.
    let room = text.length * 3;
    if (this.#used + room > this.#chunk.bytes.length) room = Buffer.byteLength(text, 'utf8');
    const start = this.#reserve(room);
    this.#used += this.#chunk.bytes.write(text, start, 'utf8');
    return this.#hold(start);
  }

  /** Copies `bytes` in as they are. */
  writeBytes(bytes: Uint8Array): ArenaSlice {
    const start = this.#reserve(bytes.length);
    this.#chunk.bytes.set(bytes, start);
    this.#used += bytes.length;
    return this.#hold(start);
  }

  /** What was written there is no longer read: its buffer may be written again once nothing else is. */
  release(slice: ArenaSlice): void {
    const { chunk } = slice;
    chunk.holders -= 1;
    if (chunk.holders === 0 && chunk !== this.#chunk) this.#spare(chunk);
  }

  /** Bigger buffers (a body over CHUNK_BYTES) and more than SPARES go to the garbage collector. */
  #spare(chunk: ArenaChunk): void {
    if (chunk.bytes.length === TextArena.CHUNK_BYTES && this.#spares.length < TextArena.SPARES)
      this.#spares.push(chunk);
  }

  #hold(start: number): ArenaSlice {
    this.#chunk.holders += 1;
    return { chunk: this.#chunk, start, end: this.#used };
  }

  /** Where `bytes` more fit: here, at the start of this buffer if nothing holds it, or in another. */
  #reserve(bytes: number): number {
    if (this.#used + bytes <= this.#chunk.bytes.length) return this.#used;
    this.#used = 0;
    if (this.#chunk.holders === 0) {
      if (bytes <= this.#chunk.bytes.length) return 0;
      this.#spare(this.#chunk);
    }
    const spare = bytes <= TextArena.CHUNK_BYTES ? this.#spares.pop() : undefined;
    this.#chunk =
      spare ?? new ArenaChunk(Buffer.allocUnsafe(Math.max(TextArena.CHUNK_BYTES, bytes)));
    return 0;
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
  /** Once sealed: where the texts were written, and where each ends. */
  #written: ArenaSlice | undefined;
  #ends: number[] = [];
  #released = false;

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
    if (this.#written || this.#released) return false;
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
    if (this.#written || this.#released) return;
    let texts = this.#texts;
    let joined = texts.join('');
    if (this.#redact(joined) !== joined) {
      texts = texts.map(this.#redact);
      joined = texts.join('');
    }
    const written = this.#arena.write(joined);
    this.#written = written;
    // As many bytes as units: all ASCII (nearly always), so each text's bytes are its length.
    const ascii = written.end - written.start === joined.length;
    let end = written.start;
    this.#ends = texts.map((text) => (end += ascii ? text.length : Buffer.byteLength(text)));
    this.#texts = [];
  }

  /** The exchange left the store: its texts are no longer read, and its arena space may be reused. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#written) this.#arena.release(this.#written);
    this.#written = undefined;
    this.#size = 0;
    this.#ints = [];
    this.#times = [];
    this.#texts = [];
    this.#ends = [];
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
    const written = this.#written;
    if (!written) return this.#redact(this.#texts[index] ?? '');
    const start = index === 0 ? written.start : (this.#ends[index - 1] ?? 0);
    return written.chunk.bytes.toString('utf8', start, this.#ends[index] ?? start);
  }
}

/** One exchange's history: its other events as objects and its stream events, by seq. */
export function mergeBySeq(
  others: readonly TrafficEvent[],
  stream: readonly TrafficEvent[],
): TrafficEvent[] {
  return [...others, ...stream].sort((a, b) => a.seq - b.seq);
}
