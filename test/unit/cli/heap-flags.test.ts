import { describe, expect, it } from 'vitest';
import { HEAP_FLAGS, missingHeapFlags } from '../../../app/cli/heap-flags.ts';

describe('missingHeapFlags', () => {
  it('adds the semi-space size when nobody set one', () => {
    expect(HEAP_FLAGS).toEqual(['--max-semi-space-size=8']);
    expect(missingHeapFlags([], undefined)).toEqual(['--max-semi-space-size=8']);
    expect(missingHeapFlags(['--enable-source-maps'], '--max-old-space-size=4096')).toEqual([
      '--max-semi-space-size=8',
    ]);
  });

  it("keeps the user's own size, however it is spelt or wherever it is given", () => {
    expect(missingHeapFlags(['--max-semi-space-size=32'], undefined)).toEqual([]);
    expect(missingHeapFlags([], '--inspect --max_semi_space_size=2')).toEqual([]);
    // After the re-exec the flag is in node's own arguments: no second re-exec.
    expect(missingHeapFlags([...HEAP_FLAGS, '--no-warnings'], '')).toEqual([]);
  });
});
