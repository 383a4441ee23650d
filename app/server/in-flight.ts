/**
 * The streams in flight, so a shutdown can end each with an SSE error event once the grace
 * period is over instead of cutting the socket (a client then knows to retry).
 */
export type StopStream = (message: string) => void;

export class InFlightStreams {
  readonly #streams = new Set<StopStream>();

  get size(): number {
    return this.#streams.size;
  }

  /** Registers a stream; call the returned function when it ends. */
  add(stop: StopStream): () => void {
    this.#streams.add(stop);
    return () => this.#streams.delete(stop);
  }

  stopAll(message: string): void {
    for (const stop of [...this.#streams]) stop(message);
    this.#streams.clear();
  }
}
