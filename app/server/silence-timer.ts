/**
 * Calls `onSilence` once `ms` have passed without a `touch()`. A touch only reads the clock: a
 * stream touches on every event, and re-arming a Node timer each time (`refresh()`: a binding
 * call for the loop's time, and the timer moved in its list) cost more. Instead, a timer that
 * fires early is set again for whatever silence is still missing: once per period at most.
 */
export class SilenceTimer {
  readonly #ms: number;
  readonly #onSilence: () => void;
  readonly #repeat: boolean;
  #timer: NodeJS.Timeout;
  #lastTouch = performance.now();
  #stopped = false;
  #unref = false;

  /** With `repeat`, it goes on, firing again after each further `ms` of silence. */
  constructor(ms: number, onSilence: () => void, options: { repeat?: boolean } = {}) {
    this.#ms = ms;
    this.#onSilence = onSilence;
    this.#repeat = options.repeat === true;
    this.#timer = this.#arm(ms);
  }

  touch(): void {
    this.#lastTouch = performance.now();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Lets the process exit while only this timer is pending. */
  unref(): this {
    this.#unref = true;
    this.#timer.unref();
    return this;
  }

  #arm(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#fire();
    }, ms);
    if (this.#unref) timer.unref();
    return timer;
  }

  #fire(): void {
    if (this.#stopped) return;
    const missing = this.#ms - (performance.now() - this.#lastTouch);
    // Timers may fire up to a millisecond early; that is silence enough.
    if (missing >= 1) {
      this.#timer = this.#arm(missing);
      return;
    }
    if (this.#repeat) {
      this.#lastTouch = performance.now();
      this.#timer = this.#arm(this.#ms);
    } else this.#stopped = true;
    this.#onSilence();
  }
}
