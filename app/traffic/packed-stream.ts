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
import { endianness } from 'node:os';
import type { TextRedaction } from './redact.ts';
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
    if (chunk.holders > 0) return;
    // The buffer being written starts over; another one is kept for later.
    if (chunk === this.#chunk) this.#used = 0;
    else this.#spare(chunk);
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

/** Per event: seq, kind (see kindOf), at, t, and once sealed where its text ends. */
const FIELDS = 5;
const SEQ = 0;
const KIND = 1;
const AT = 2;
const T = 3;
const END = 4;
/** The columns' bytes are a Float64Array's, in the machine's byte order. */
const readDouble =
  endianness() === 'LE'
    ? (bytes: Buffer, offset: number) => bytes.readDoubleLE(offset)
    : (bytes: Buffer, offset: number) => bytes.readDoubleBE(offset);
/** Events the columns first have room for; they double as needed. */
const FIRST_CAPACITY = 64;

/**
 * Where a sealed exchange's stream events are: their columns (FIELDS doubles per event, as
 * bytes) and their texts, one after another as UTF-8.
 */
interface Sealed {
  readonly columns: ArenaSlice;
  readonly texts: ArenaSlice;
}

export class StreamEventLog {
  readonly #arena: TextArena;
  readonly #redaction: TextRedaction;
  #size = 0;
  /**
   * Until sealed: the columns, in a typed array (outside the JavaScript heap: a store of 1,000
   * exchanges kept them as number arrays, 11 KB of heap each for the collector to trace).
   */
  #columns = new Float64Array(0);
  /** Until sealed: the texts as published, not yet redacted. */
  #texts: string[] = [];
  #sealed: Sealed | undefined;
  /** Once sealed and first read: whether its texts hold a secret (then each is redacted). */
  #holdsSecret: boolean | undefined;
  #released = false;

  constructor(arena: TextArena, redaction: TextRedaction) {
    this.#arena = arena;
    this.#redaction = redaction;
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
    if (this.#sealed || this.#released) return false;
    let columns = this.#columns;
    const at0 = this.#size * FIELDS;
    if (at0 === columns.length) {
      const grown = new Float64Array(Math.max(FIRST_CAPACITY * FIELDS, columns.length * 2));
      grown.set(columns);
      this.#columns = columns = grown;
    }
    columns[at0 + SEQ] = seq;
    columns[at0 + KIND] = kindOf(type, name);
    columns[at0 + AT] = at;
    columns[at0 + T] = t;
    this.#texts.push(json);
    this.#size += 1;
    return true;
  }

  /**
   * The exchange ended: its texts are written to the arena in one go, its columns beside them.
   * Nothing more is kept. They are kept as they were sent and redacted as they are read back
   * (#text): reading is rare, and an exchange's secret search (two keys over some 70 KB of text)
   * was a fifth of what recording it cost.
   */
  seal(): void {
    if (this.#sealed || this.#released) return;
    const texts = this.#texts;
    const joined = texts.join('');
    const written = this.#arena.write(joined);
    // As many bytes as units: all ASCII (nearly always), so each text's bytes are its length.
    const ascii = written.end - written.start === joined.length;
    const columns = this.#columns;
    let end = 0;
    for (let index = 0; index < texts.length; index += 1) {
      const text = texts[index] ?? '';
      end += ascii ? text.length : Buffer.byteLength(text);
      columns[index * FIELDS + END] = end;
    }
    const bytes = new Uint8Array(columns.buffer, 0, this.#size * FIELDS * 8);
    this.#sealed = { columns: this.#arena.writeBytes(bytes), texts: written };
    this.#columns = new Float64Array(0);
    this.#texts = [];
  }

  /** The exchange left the store: its events are no longer read, and their arena space may be reused. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#sealed) {
      this.#arena.release(this.#sealed.columns);
      this.#arena.release(this.#sealed.texts);
    }
    this.#sealed = undefined;
    this.#size = 0;
    this.#columns = new Float64Array(0);
    this.#texts = [];
  }

  /** The events again, as they were published (redacted), in order. */
  events(exchangeId: string): StreamEvent[] {
    const events: StreamEvent[] = [];
    for (let index = 0; index < this.#size; index += 1) {
      const kind = this.#field(index, KIND);
      const base = {
        exchangeId,
        seq: this.#field(index, SEQ),
        at: this.#field(index, AT),
        t: this.#field(index, T),
        json: this.#text(index),
      };
      events.push(
        kind === 0
          ? { type: 'upstream.event-received', ...base }
          : { type: 'client.event-sent', event: names[kind - 1] ?? '', ...base },
      );
    }
    return events;
  }

  #field(index: number, field: number): number {
    const position = index * FIELDS + field;
    const sealed = this.#sealed;
    if (!sealed) return this.#columns[position] ?? 0;
    const { chunk, start } = sealed.columns;
    return readDouble(chunk.bytes, start + position * 8);
  }

  #text(index: number): string {
    const sealed = this.#sealed;
    if (!sealed) return this.#redaction.redact(this.#texts[index] ?? '');
    const { chunk, start, end } = sealed.texts;
    this.#holdsSecret ??= this.#redaction.inBytes(chunk.bytes.subarray(start, end));
    const from = index === 0 ? 0 : this.#field(index - 1, END);
    const text = chunk.bytes.toString('utf8', start + from, start + this.#field(index, END));
    return this.#holdsSecret ? this.#redaction.redact(text) : text;
  }
}

/** One exchange's history: its other events as objects and its stream events, by seq. */
export function mergeBySeq(
  others: readonly TrafficEvent[],
  stream: readonly TrafficEvent[],
): TrafficEvent[] {
  return [...others, ...stream].sort((a, b) => a.seq - b.seq);
}
