/**
 * An exchange's stream events (`upstream.event-received`, `client.event-sent`: hundreds per
 * exchange) kept as columns instead of objects: their texts as UTF-8 in one growing buffer,
 * their numbers in typed arrays. The store keeps up to 1,000 exchanges; an object or a string
 * per event kept that long is what the garbage collector copies out of the young generation and
 * then traces on every full collection, while a buffer lives outside the JavaScript heap and is
 * never traced or moved. The texts given to `append` die young. Event objects are rebuilt only
 * when a late subscriber asks for the history.
 */
import type { ClientEventSent, TrafficEvent, UpstreamEventReceived } from './traffic-event.ts';

export type StreamEvent = UpstreamEventReceived | ClientEventSent;

export function isStreamEvent(event: TrafficEvent): event is StreamEvent {
  return event.type === 'upstream.event-received' || event.type === 'client.event-sent';
}

/** Client event names (`content_block_delta`, …: a handful), and their codes in #kind. */
const names: string[] = [];
const codes = new Map<string, number>();
function kindOf(name: string): number {
  let code = codes.get(name);
  if (code === undefined) {
    code = names.push(name);
    codes.set(name, code);
  }
  return code;
}

const INITIAL_EVENTS = 256;
const INITIAL_BYTES = 32 * 1024;
/** Per event: seq, the code of its kind, where its text ends (in #ints); at and t (in #times). */
const INTS = 3;
const TIMES = 2;

export class StreamEventLog {
  #size = 0;
  #ints = new Uint32Array(INITIAL_EVENTS * INTS);
  #times = new Float64Array(INITIAL_EVENTS * TIMES);
  #text = Buffer.allocUnsafe(INITIAL_BYTES);
  #used = 0;
  #sealed = false;

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
    if (this.#sealed) return false;
    if (this.#size * INTS === this.#ints.length) this.#resize(this.#size * 2);
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.#used + json.length * 3 > this.#text.length)
      this.#resizeText(Math.max(this.#text.length * 2, this.#used + json.length * 3));
    this.#used += this.#text.write(json, this.#used, 'utf8');
    const ints = this.#size * INTS;
    this.#ints[ints] = seq;
    // 0: upstream.event-received; n: client.event-sent named names[n - 1].
    this.#ints[ints + 1] = type === 'client.event-sent' ? kindOf(name) : 0;
    this.#ints[ints + 2] = this.#used;
    this.#times[this.#size * TIMES] = at;
    this.#times[this.#size * TIMES + 1] = t;
    this.#size += 1;
    return true;
  }

  /**
   * The exchange ended: nothing more is kept. Arrays more than a quarter empty are copied to
   * their size, the others keep their slack (a copy costs more than the memory it saves).
   */
  seal(): void {
    if (this.#sealed) return;
    this.#sealed = true;
    if (this.#size * INTS < this.#ints.length * 0.75) this.#resize(this.#size);
    if (this.#used < this.#text.length * 0.75) this.#resizeText(this.#used);
  }

  /** The events again, as they were published, in order. */
  events(exchangeId: string): StreamEvent[] {
    const events: StreamEvent[] = [];
    let start = 0;
    for (let index = 0; index < this.#size; index += 1) {
      const [seq = 0, kind = 0, end = start] = this.#ints.subarray(
        index * INTS,
        index * INTS + INTS,
      );
      const [at = 0, t = 0] = this.#times.subarray(index * TIMES, index * TIMES + TIMES);
      const base = { exchangeId, seq, at, t, json: this.#text.toString('utf8', start, end) };
      events.push(
        kind === 0
          ? { type: 'upstream.event-received', ...base }
          : { type: 'client.event-sent', event: names[kind - 1] ?? '', ...base },
      );
      start = end;
    }
    return events;
  }

  /** Room for `events` events: more when full, exactly the size once sealed. */
  #resize(events: number): void {
    const ints = new Uint32Array(events * INTS);
    ints.set(this.#ints.subarray(0, this.#size * INTS));
    this.#ints = ints;
    const times = new Float64Array(events * TIMES);
    times.set(this.#times.subarray(0, this.#size * TIMES));
    this.#times = times;
  }

  #resizeText(bytes: number): void {
    const text = Buffer.allocUnsafe(bytes);
    this.#text.copy(text, 0, 0, this.#used);
    this.#text = text;
  }
}

/** One exchange's history: its other events as objects and its stream events, by seq. */
export function mergeBySeq(
  others: readonly TrafficEvent[],
  stream: readonly TrafficEvent[],
): TrafficEvent[] {
  return [...others, ...stream].sort((a, b) => a.seq - b.seq);
}
