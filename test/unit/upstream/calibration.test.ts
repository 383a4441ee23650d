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
});
