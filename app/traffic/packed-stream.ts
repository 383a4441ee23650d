/**
 * An exchange's stream events (`upstream.event-received`, `client.event-sent`: hundreds per
 * exchange) kept as columns instead of objects: their texts in one list (joined into a single
 * string once the exchange ends), their numbers in flat arrays. The store keeps up to 1,000
 * exchanges, and an object per event kept that long is what the garbage collector copies out of
 * the young generation and then traces on every full collection. The event objects themselves
 * live only as long as the subscribers need them; the history is rebuilt when a late subscriber
 * asks for it.
 */
import type { ClientEventSent, TrafficEvent, UpstreamEventReceived } from './traffic-event.ts';

type StreamEvent = UpstreamEventReceived | ClientEventSent;

export function isStreamEvent(event: TrafficEvent): event is StreamEvent {
  return event.type === 'upstream.event-received' || event.type === 'client.event-sent';
}

export class StreamEventLog {
  #seq: number[] | Uint32Array = [];
  #at: number[] | Float64Array = [];
  #t: number[] | Float64Array = [];
  /** 0: upstream.event-received, 1: client.event-sent. */
  #kind: number[] | Uint8Array = [];
  /** Each event's JSON text, then its event name ('' for upstream events). */
  #parts: string[] = [];
  /** Once sealed: the parts end to end, and where each part ends. */
  #text = '';
  #ends: Uint32Array | undefined;

  get size(): number {
    return this.#seq.length;
  }

  /** False, and nothing kept, once the exchange has ended (sealed). */
  add(event: StreamEvent): boolean {
    if (this.#ends) return false;
    (this.#seq as number[]).push(event.seq);
    (this.#at as number[]).push(event.at);
    (this.#t as number[]).push(event.t);
    (this.#kind as number[]).push(event.type === 'client.event-sent' ? 1 : 0);
    this.#parts.push(event.json, event.type === 'client.event-sent' ? event.event : '');
    return true;
  }

  /** The exchange ended: pack everything into a few flat objects. */
  seal(): void {
    if (this.#ends) return;
    this.#seq = Uint32Array.from(this.#seq);
    this.#at = Float64Array.from(this.#at);
    this.#t = Float64Array.from(this.#t);
    this.#kind = Uint8Array.from(this.#kind);
    const ends = new Uint32Array(this.#parts.length);
    let length = 0;
    this.#parts.forEach((part, index) => {
      length += part.length;
      ends[index] = length;
    });
    this.#text = this.#parts.join('');
    this.#ends = ends;
    this.#parts = [];
  }

  /** The events again, as they were published, in order. */
  events(exchangeId: string): StreamEvent[] {
    const events: StreamEvent[] = [];
    for (let index = 0; index < this.size; index += 1) {
      const base = {
        exchangeId,
        seq: this.#seq[index] ?? 0,
        at: this.#at[index] ?? 0,
        t: this.#t[index] ?? 0,
        json: this.#part(2 * index),
      };
      events.push(
        this.#kind[index] === 1
          ? { type: 'client.event-sent', event: this.#part(2 * index + 1), ...base }
          : { type: 'upstream.event-received', ...base },
      );
    }
    return events;
  }

  #part(index: number): string {
    if (!this.#ends) return this.#parts[index] ?? '';
    const start = index === 0 ? 0 : (this.#ends[index - 1] ?? 0);
    return this.#text.slice(start, this.#ends[index] ?? start);
  }
}

/** One exchange's history: its other events as objects and its stream events, by seq. */
export function mergeBySeq(
  others: readonly TrafficEvent[],
  stream: readonly TrafficEvent[],
): TrafficEvent[] {
  return [...others, ...stream].sort((a, b) => a.seq - b.seq);
}
