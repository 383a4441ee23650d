/**
 * One full garbage collection once traffic has stopped for a while. V8 collects only as it
 * allocates, so a proxy that goes quiet after a burst keeps the burst's garbage resident, and
 * the pages it freed. Measured after 1,000 streams at concurrency 64: RSS 226 → 172 MB; with the
 * recorder's store full of Claude Code turns: 344 → 220 MB. It costs 20–200 ms of the idle
 * process's time (the most with a full store), so a request arriving just then waits that long,
 * once. And it makes V8 throw away the optimised code of 85–135 functions, whose code held
 * objects that died while idle (`--trace-deopt`: "embedded weak objects cleared"): the next
 * thousand or so streams cost 40–90% more CPU (about 1.2 → 1.9 ms each at c=1) until V8 has
 * optimised them again. A regular (not last-resort) collection does the same and hands nothing
 * back. Kept: a tray app that has gone quiet should hand that memory back. It needs `gc`
 * (node's --expose-gc, which `parley serve` adds when it re-executes itself: cli/heap-flags.ts);
 * without it there is no collector.
 */
import { loadMallocTrim } from './malloc-trim.ts';

export const IDLE_GC_DELAY_MS = 10_000;

export class IdleCollector {
  readonly #collect: () => void;
  readonly #delayMs: number;
  /**
   * At most one timer, armed when traffic stops and checked when it fires: streams start and
   * end hundreds of times a second, and a timer cleared and set for each cost more than the
   * rest of this bookkeeping.
   */
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #quietSince = 0;
  /** Whether anything ran since the last collection: an idle proxy is collected once, not again. */
  #trafficSince = false;

  constructor(collect: () => void, delayMs = IDLE_GC_DELAY_MS) {
    this.#collect = collect;
    this.#delayMs = delayMs;
  }

  /** Traffic started: nothing is collected while it runs. */
  busy(): void {
    this.#busy = true;
    this.#trafficSince = true;
  }

  /** Traffic stopped: collect once it has stayed stopped for the delay. */
  idle(): void {
    if (!this.#trafficSince) return;
    this.#busy = false;
    this.#quietSince = performance.now();
    this.#timer ??= this.#arm(this.#delayMs);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#fire();
    }, delayMs);
    timer.unref();
    return timer;
  }

  /** Traffic came back (idle arms again when it stops), stopped later than armed for, or not. */
  #fire(): void {
    this.#timer = undefined;
    if (this.#busy) return;
    const left = this.#quietSince + this.#delayMs - performance.now();
    // Timers may fire up to a millisecond early; that is quiet enough.
    if (left >= 1) {
      this.#timer = this.#arm(left);
      return;
    }
    this.#trafficSince = false;
    this.#collect();
  }
}

/**
 * V8 frees the memory of the buffers a collection found dead on a helper thread, after the
 * collection: trimmed at once, the C heap gave back 10–91 MB of the 125 MB a test had freed; half
 * a second later, all of it.
 */
export const TRIM_DELAY_MS = 1_000;

/**
 * The collector, when this process may collect (`gc` is exposed). A second after the collection,
 * the C heap's free pages go back to the system where that can be done (malloc-trim.ts); the
 * trim is looked for only then, so a process that cannot collect loads no `node:ffi`.
 */
export function idleCollector(
  gc: NodeJS.GCFunction | undefined = globalThis.gc,
  loadTrim: () => (() => void) | undefined = loadMallocTrim,
): IdleCollector | undefined {
  if (gc === undefined) return undefined;
  const trimMalloc = loadTrim();
  return new IdleCollector(() => {
    // The last-resort flavour also hands freed pages back to the system; a regular one keeps them.
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    if (trimMalloc) setTimeout(trimMalloc, TRIM_DELAY_MS).unref();
  });
}
