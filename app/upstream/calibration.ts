/**
 * How far Parley's local token counts are from what the upstream bills: each real request's
 * count is compared with the input tokens the upstream then reports, per model. The inspector
 * shows it; a count that drifts says the counting rules need a look.
 */
export interface CalibrationFigures {
  readonly samples: number;
  /** Mean of (counted - reported) / reported: negative means Parley undercounts. */
  readonly meanRelativeError: number;
  /** Mean of |counted - reported| / reported. */
  readonly meanAbsoluteRelativeError: number;
  readonly lastCounted: number;
  readonly lastReported: number;
}

interface Sums {
  samples: number;
  relative: number;
  absolute: number;
  lastCounted: number;
  lastReported: number;
}

/** Every request is compared until this many samples; after that one in this many. */
const SAMPLE_EVERY = 16;

export class Calibration {
  readonly #byModel = new Map<string, Sums>();
  readonly #seen = new Map<string, number>();

  /**
   * Whether to compare this request. Counting a big prompt costs a millisecond or more of CPU,
   * so once a model has enough samples only one request in SAMPLE_EVERY is counted.
   */
  wantsSample(model: string): boolean {
    const seen = (this.#seen.get(model) ?? 0) + 1;
    this.#seen.set(model, seen);
    return seen <= SAMPLE_EVERY || seen % SAMPLE_EVERY === 0;
  }

  /** One request: what Parley counted and the upstream's total input (cached tokens included). */
  record(model: string, counted: number, reported: number): void {
    if (reported <= 0) return;
    const error = (counted - reported) / reported;
    const sums = this.#byModel.get(model) ?? {
      samples: 0,
      relative: 0,
      absolute: 0,
      lastCounted: 0,
      lastReported: 0,
    };
    sums.samples += 1;
    sums.relative += error;
    sums.absolute += Math.abs(error);
    sums.lastCounted = counted;
    sums.lastReported = reported;
    this.#byModel.set(model, sums);
  }

  figures(): Record<string, CalibrationFigures> {
    const out: Record<string, CalibrationFigures> = {};
    for (const [model, sums] of this.#byModel) {
      out[model] = {
        samples: sums.samples,
        meanRelativeError: sums.relative / sums.samples,
        meanAbsoluteRelativeError: sums.absolute / sums.samples,
        lastCounted: sums.lastCounted,
        lastReported: sums.lastReported,
      };
    }
    return out;
  }
}
