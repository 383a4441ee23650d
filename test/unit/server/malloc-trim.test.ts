import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMallocTrim } from '../../../app/server/malloc-trim.ts';

/** Where malloc_trim can be called: Linux on glibc, 64-bit, with node:ffi in this Node. */
function trimmable(): boolean {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) return false;
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  if (report.header?.glibcVersionRuntime === undefined) return false;
  // Asked without loading it: a node built without FFI, or run with --no-experimental-ffi, lists
  // no such module.
  return process.execArgv.every((arg) => arg !== '--no-experimental-ffi') && hasFfi();
}

function hasFfi(): boolean {
  const out = execFileSync(
    process.execPath,
    ['--no-warnings', '-p', "process.getBuiltinModule('node:ffi') !== undefined"],
    { encoding: 'utf8' },
  );
  return out.trim() === 'true';
}

const canTrim = trimmable();
if (!canTrim) {
  console.log(
    `skip notice: malloc_trim is not callable on this Node (${process.version}, ${process.platform}/${process.arch}); only the fallback is tested`,
  );
}

describe('loadMallocTrim', () => {
  it('binds malloc_trim where it can be called, and nothing elsewhere', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const trim = loadMallocTrim();
      expect(trim === undefined ? 'none' : typeof trim).toBe(canTrim ? 'function' : 'none');
      expect(() => trim?.()).not.toThrow();
      // Warnings are emitted on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    // Loading node:ffi warns that it is experimental; a user of parley serve should not see it.
    expect(warnings.map((warning) => warning.message)).toEqual([]);
  });

  it.skipIf(!canTrim)('hands freed C heap back to the system', () => {
    // In a process of its own with gc exposed: 2,000 buffers of about 64 KB, each followed by a
    // small one kept, the large ones freed. glibc keeps the holes until trimmed.
    const module = fileURLToPath(new URL('../../../app/server/malloc-trim.ts', import.meta.url));
    const script = `
      import { loadMallocTrim } from ${JSON.stringify(module)};
      const trim = loadMallocTrim();
      const kept = [];
      let freed = [];
      for (let i = 0; i < 2000; i += 1) {
        freed.push(Buffer.alloc(65536 - i));
        kept.push(Buffer.alloc(1024 + (i % 7)));
      }
      freed = [];
      gc();
      // V8 frees the buffers' memory on a helper thread after the collection (see idle-gc.ts).
      setTimeout(() => {
        const before = process.memoryUsage().rss;
        trim();
        const after = process.memoryUsage().rss;
        console.log(JSON.stringify({ before, after, kept: kept.length }));
      }, 500);
    `;
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--no-warnings', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    const { before, after } = JSON.parse(out) as { before: number; after: number };
    // About 125 MB were freed; at least 64 MB of it must go back.
    expect(before - after).toBeGreaterThan(64 * 1024 * 1024);
  });
});
