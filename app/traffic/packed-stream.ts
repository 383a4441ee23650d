/**
 * An exchange's stream events (`upstream.event-received`, `client.event-sent`: hundreds per
 * exchange) kept as columns instead of objects, at the least cost per event: the texts are
 * written as UTF-8 into a TextArena buffer at the end of each synchronous run of events (or 64
 * at a time), their places and times into a typed array; when the exchange ends the columns are
 * written beside the texts.
 * The store keeps up to 1,000 exchanges; an object or a string per event kept that long is what
 * the garbage collector copies out of the young generation and traces on every full collection,
 * while a buffer lives outside the JavaScript heap and is never traced or moved. Texts are kept
 * as they were sent and redacted as they are read back (reading is rare: a window opening).
 * Event objects are rebuilt only when a late subscriber asks.
 */
import { endianness } from 'node:os';
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
  readonly bytes: Buffer;
  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }
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

  /** Writes `text` as UTF-8, held until its slice is released. */
  write(text: string): ArenaSlice {
    return this.#hold(this.appendText(text));
  }

  /**
   * Writes `text` as UTF-8 without a slice object (a stream's texts, many times an exchange):
   * it is in `current`, from the start returned to `used`. The caller holds that buffer (`hold`)
   * before anything else is written.
   */
  appendText(text: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; only when that bound does not fit is the
    // text measured (ASCII takes one), so a buffer is not left a third full.
    let room = text.length * 3;
    if (this.#used + room > this.#chunk.bytes.length) room = Buffer.byteLength(text, 'utf8');
    const start = this.#reserve(room);
    this.#used += this.#chunk.bytes.write(text, start, 'utf8');
    return start;
  }

  /** The buffer being written. */
  get current(): ArenaChunk {
    return this.#chunk;
  }

  /** Where the next write into `current` starts. */
  get used(): number {
    return this.#used;
  }

  /** Keeps `chunk` from being written again until `releaseChunk`. */
  hold(chunk: ArenaChunk): void {
    chunk.holders += 1;
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
    this.releaseChunk(slice.chunk);
  }

  /** Ends one `hold` (or one write's). */
  releaseChunk(chunk: ArenaChunk): void {
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

/**
 * Per event: seq, kind (see kindOf), at, t, and where its text is: START packs the index of its
 * buffer in the log's list and its offset in it (texts of exchanges running together interleave
 * in the arena, and a log may go on in the next buffer), END is where it ends in that buffer.
 */
const FIELDS = 6;
const SEQ = 0;
const KIND = 1;
const AT = 2;
const T = 3;
const START = 4;
const END = 5;
/** START = buffer index × this + offset (buffers are far smaller than 4 GiB). */
const PER_BUFFER = 2 ** 32;
/** The columns' bytes are a Float64Array's, in the machine's byte order. */
const readDouble =
  endianness() === 'LE'
    ? (bytes: Buffer, offset: number) => bytes.readDoubleLE(offset)
    : (bytes: Buffer, offset: number) => bytes.readDoubleBE(offset);

/**
 * Column arrays let go by sealed logs, for the next ones: a 200-delta exchange fills 400
 * events' worth, which grown from small cost four allocations (zeroed, outside the heap) and
 * three copies per exchange. Only arrays of the usual size are kept, at most as many as
 * exchanges usually run at once.
 */
export class ColumnPool {
  static readonly EVENTS = 512;
  static readonly SPARES = 64;
  readonly #spares: Float64Array[] = [];

  take(): Float64Array {
    return this.#spares.pop() ?? new Float64Array(ColumnPool.EVENTS * FIELDS);
  }

  give(columns: Float64Array): void {
    if (columns.length === ColumnPool.EVENTS * FIELDS && this.#spares.length < ColumnPool.SPARES)
      this.#spares.push(columns);
  }
}

const noColumns: Float64Array = new Float64Array(0);

export class StreamEventLog {
  /** Texts written to the arena together (some 10 KB of a stream's). */
  static readonly TEXTS_PER_WRITE = 64;
  readonly #arena: TextArena;
  readonly #columnPool: ColumnPool;
  readonly #redact: (text: string) => string;
  #size = 0;
  /**
   * Until sealed: the columns, in a typed array (outside the JavaScript heap: a store of 1,000
   * exchanges kept them as number arrays, 11 KB of heap each for the collector to trace).
   */
  #columns = noColumns;
  /**
   * Texts of the last events, not yet written (writePending): the first #pendingCount. Emptied
   * by overwriting, not truncating: V8 gives a truncated array's storage up, so it would be
   * allocated again for every write. Let go once the exchange ends (the store keeps 1,000).
   */
  #pending: string[] = new Array<string>(StreamEventLog.TEXTS_PER_WRITE).fill('');
  #pendingCount = 0;
  /** The arena buffers its texts are in, each held until the log is released. */
  #buffers: ArenaChunk[] = [];
  /** Once sealed: its columns, as bytes in the arena. */
  #sealed: ArenaSlice | undefined;
  #released = false;

  constructor(arena: TextArena, columnPool: ColumnPool, redact: (text: string) => string) {
    this.#arena = arena;
    this.#columnPool = columnPool;
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
    if (this.#sealed || this.#released) return false;
    let columns = this.#columns;
    const base = this.#size * FIELDS;
    if (base === columns.length) columns = this.#grow();
    columns[base + SEQ] = seq;
    columns[base + KIND] = kindOf(type, name);
    columns[base + AT] = at;
    columns[base + T] = t;
    this.#size += 1;
    this.#pending[this.#pendingCount] = json;
    this.#pendingCount += 1;
    if (this.#pendingCount === StreamEventLog.TEXTS_PER_WRITE) this.writePending();
    return true;
  }

  /**
   * The texts not yet in the arena go in, as one write, and their places into the columns: at
   * the end of each synchronous run of stream events (the recorder says when), or every
   * TEXTS_PER_WRITE texts. A write per text cost more than joining them; texts kept longer
   * outlive young-generation collections, to be copied and promoted (at 5 ms pace, c=64, texts
   * kept until 64 had come made scavenges promote 63 KB per stream, against 24 KB now and 23
   * with the recorder off).
   */
  writePending(): void {
    const count = this.#pendingCount;
    if (count === 0) return;
    const texts = this.#pending;
    const joined = count === texts.length ? texts.join('') : texts.slice(0, count).join('');
    const arena = this.#arena;
    let offset = arena.appendText(joined);
    const buffer = arena.current;
    let bufferIndex = this.#buffers.length - 1;
    if (this.#buffers[bufferIndex] !== buffer) {
      arena.hold(buffer);
      bufferIndex = this.#buffers.push(buffer) - 1;
    }
    // As many bytes as units: all ASCII (nearly always), so each text's bytes are its length.
    const ascii = arena.used - offset === joined.length;
    const columns = this.#columns;
    let base = (this.#size - count) * FIELDS;
    for (let index = 0; index < count; index += 1) {
      const text = texts[index] ?? '';
      columns[base + START] = bufferIndex * PER_BUFFER + offset;
      offset += ascii ? text.length : Buffer.byteLength(text, 'utf8');
      columns[base + END] = offset;
      base += FIELDS;
    }
    this.#forgetPending();
  }

  /** The written texts go: kept, they would outlive young-generation collections for nothing. */
  #forgetPending(): void {
    this.#pending.fill('', 0, this.#pendingCount);
    this.#pendingCount = 0;
  }

  #grow(): Float64Array {
    const old = this.#columns;
    const grown = old.length === 0 ? this.#columnPool.take() : new Float64Array(old.length * 2);
    grown.set(old);
    this.#columnPool.give(old);
    this.#columns = grown;
    return grown;
  }

  /** The exchange ended: its columns are written to the arena beside its texts, and let go. */
  seal(): void {
    if (this.#sealed || this.#released) return;
    this.writePending();
    const columns = this.#columns;
    const bytes = new Uint8Array(columns.buffer, 0, this.#size * FIELDS * 8);
    this.#sealed = this.#arena.writeBytes(bytes);
    this.#columnPool.give(columns);
    this.#columns = noColumns;
    this.#pending = [];
  }

  /** The exchange left the store: its events are no longer read, and their arena space may be reused. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#sealed) this.#arena.release(this.#sealed);
    for (const buffer of this.#buffers) this.#arena.releaseChunk(buffer);
    this.#columnPool.give(this.#columns);
    this.#sealed = undefined;
    this.#size = 0;
    this.#columns = noColumns;
    this.#buffers = [];
    this.#pending = [];
    this.#pendingCount = 0;
  }

  /** The events again, as they were published (redacted), in order. */
  events(exchangeId: string): StreamEvent[] {
    this.writePending();
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
    return readDouble(sealed.chunk.bytes, sealed.start + position * 8);
  }

  #text(index: number): string {
    const start = this.#field(index, START);
    const buffer = this.#buffers[Math.floor(start / PER_BUFFER)];
    if (!buffer) return '';
    return this.#redact(buffer.bytes.toString('utf8', start % PER_BUFFER, this.#field(index, END)));
  }
}

/** One exchange's history: its other events as objects and its stream events, by seq. */
export function mergeBySeq(
  others: readonly TrafficEvent[],
  stream: readonly TrafficEvent[],
): TrafficEvent[] {
  return [...others, ...stream].sort((a, b) => a.seq - b.seq);
}
