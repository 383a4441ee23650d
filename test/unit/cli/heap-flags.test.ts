import { describe, expect, it } from 'vitest';
import { HEAP_FLAGS, missingHeapFlags, missingMemoryEnv } from '../../../app/cli/heap-flags.ts';

describe('missingHeapFlags', () => {
  it('adds the semi-space size, the heap growth, gc and main-thread compiles when nobody set them', () => {
    expect(HEAP_FLAGS).toEqual([
      '--max-semi-space-size=4',
      '--heap-growing-percent=100',
      '--expose-gc',
      '--no-concurrent-recompilation',
    ]);
    expect(missingHeapFlags([], undefined)).toEqual(HEAP_FLAGS);
    expect(missingHeapFlags(['--enable-source-maps'], '--max-old-space-size=4096')).toEqual(
      HEAP_FLAGS,
    );
  });

  it("keeps the user's own size, however it is spelt or wherever it is given", () => {
    expect(missingHeapFlags(['--max-semi-space-size=32'], undefined)).toEqual([
      '--heap-growing-percent=100',
      '--expose-gc',
      '--no-concurrent-recompilation',
    ]);
    expect(
      missingHeapFlags(
        [],
        '--inspect --max_semi_space_size=2 --heap_growing_percent=50 --expose_gc --concurrent_recompilation',
      ),
    ).toEqual([]);
    // Turning a flag on names the flag we would turn off.
    expect(missingHeapFlags(['--concurrent-recompilation'], undefined)).not.toContain(
      '--no-concurrent-recompilation',
    );
    // After the re-exec the flags are in node's own arguments: no second re-exec.
    expect(missingHeapFlags([...HEAP_FLAGS, '--no-warnings'], '')).toEqual([]);
  });
});

describe('missingMemoryEnv', () => {
  it("sets glibc's arena count unless the environment already does", () => {
    expect(missingMemoryEnv({ PATH: '/bin' })).toEqual({ MALLOC_ARENA_MAX: '2' });
    expect(missingMemoryEnv({ MALLOC_ARENA_MAX: '8' })).toEqual({});
  });
});
