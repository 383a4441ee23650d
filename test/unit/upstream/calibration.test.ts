import { describe, expect, it } from 'vitest';
import { Calibration } from '../../../app/upstream/calibration.ts';

describe('Calibration', () => {
  it('keeps the mean signed and absolute relative error per model', () => {
    const calibration = new Calibration();
    calibration.record('gpt-5.1', 110, 100); // +10%
    calibration.record('gpt-5.1', 180, 200); // -10%
    calibration.record('gpt-4.1', 50, 40); // +25%
    const figures = calibration.figures();
    expect(figures['gpt-5.1']).toEqual({
      samples: 2,
      meanRelativeError: 0,
      meanAbsoluteRelativeError: 0.1,
      lastCounted: 180,
      lastReported: 200,
    });
    expect(figures['gpt-4.1']?.meanRelativeError).toBeCloseTo(0.25);
  });

  it('ignores a report of zero input tokens (a server that sent no usage)', () => {
    const calibration = new Calibration();
    calibration.record('m', 10, 0);
    expect(calibration.figures()).toEqual({});
  });

  it('samples every request of a model until it has 16, then one in 16', () => {
    const calibration = new Calibration();
    const wanted = Array.from({ length: 64 }, () => calibration.wantsSample('gpt-5.1'));
    expect(wanted.slice(0, 16).every(Boolean)).toBe(true);
    expect(wanted.flatMap((want, index) => (want && index >= 16 ? [index + 1] : []))).toEqual([
      32, 48, 64,
    ]);
    expect(calibration.wantsSample('gpt-4.1')).toBe(true);
  });
});
