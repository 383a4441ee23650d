/**
 * The streams in flight, so a shutdown can end each with an SSE error event once the grace
 * period is over instead of cutting the socket (a client then knows to retry). Whoever watches
 * for quiet (the idle collector) hears when the first starts and the last ends.
 */
export type StopStream = (message: string) => void;

export interface QuietWatcher {
  busy(): void;
  idle(): void;
}

export class InFlightStreams {
  readonly #streams = new Set<StopStream>();
  readonly #watcher: QuietWatcher | undefined;

  constructor(watcher?: QuietWatcher) {
    this.#watcher = watcher;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Registers a stream; call the returned function when it ends. */
  add(stop: StopStream): () => void {
    if (this.#streams.size === 0) this.#watcher?.busy();
    this.#streams.add(stop);
    return () => {
      if (this.#streams.delete(stop) && this.#streams.size === 0) this.#watcher?.idle();
    };
  }

  stopAll(message: string): void {
    for (const stop of [...this.#streams]) stop(message);
    this.#streams.clear();
  }
}
