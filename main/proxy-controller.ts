/**
 * Owns the proxy's lifecycle in the desktop app: the tray toggle, settings changes and quitting
 * all go through here, so start and stop never race. Knows nothing of Electron.
 */
import type { ProxyHandle } from '../app/index.ts';

export type ProxyStatus =
  | { readonly state: 'stopped' }
  | { readonly state: 'starting' }
  | { readonly state: 'running'; readonly url: string }
  | { readonly state: 'failed'; readonly message: string };

export class ProxyController {
  #handle: ProxyHandle | undefined;
  #status: ProxyStatus = { state: 'stopped' };
  #queue: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<(status: ProxyStatus) => void>();

  private readonly startProxy: () => Promise<ProxyHandle>;

  constructor(startProxy: () => Promise<ProxyHandle>) {
    this.startProxy = startProxy;
  }

  get status(): ProxyStatus {
    return this.#status;
  }

  onStatus(listener: (status: ProxyStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts the proxy unless it runs; a failure is reported as status, never thrown. */
  start(): Promise<ProxyStatus> {
    return this.#serialise(async () => {
      if (this.#handle) return this.#status;
      this.#set({ state: 'starting' });
      try {
        this.#handle = await this.startProxy();
        this.#set({ state: 'running', url: this.#handle.url });
      } catch (error) {
        this.#set({
          state: 'failed',
          message: error instanceof Error ? error.message : String(error),
        });
      }
      return this.#status;
    });
  }

  stop(): Promise<ProxyStatus> {
    return this.#serialise(async () => {
      const handle = this.#handle;
      this.#handle = undefined;
      if (handle) await handle.close();
      this.#set({ state: 'stopped' });
      return this.#status;
    });
  }

  setEnabled(enabled: boolean): Promise<ProxyStatus> {
    return enabled ? this.start() : this.stop();
  }

  #serialise<T>(step: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(step, step);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #set(status: ProxyStatus): void {
    this.#status = status;
    for (const listener of this.#listeners) listener(status);
  }
}
