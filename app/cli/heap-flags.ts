/**
 * V8 sizes its heap for the machine, not for a proxy whose live data is small and whose garbage
 * is most of what it allocates. `parley serve` therefore runs with:
 * - 4 MB semi-spaces: V8 gives a large machine up to 64 MB each, and under load all of it stays
 *   resident;
 * - an old generation that may double before the next full collection
 *   (`--heap-growing-percent=100`): by default V8 lets it grow up to fourfold, so at 64
 *   concurrent streams it held about 40 MB of dead objects, and the 20–50 MB of socket buffers
 *   only they kept alive;
 * - `gc` exposed, for one collection once traffic stops (server/idle-gc.ts);
 * - optimising compiles on the main thread, one at a time (`--no-concurrent-recompilation`):
 *   on helper threads several jobs held their compiler memory at once, and V8's malloced memory
 *   peaked at 45–55 MB while a fresh process warmed up (25 MB one at a time); glibc kept those
 *   pages. Side by side (two processes each, both APIs), peak RSS at 64 concurrent streams
 *   161–173 → 147–151 MB; CPU per stream, and time to first delta while warming up, the same.
 * The first three, measured side by side (bench/README.md): peak RSS at 64 concurrent streams
 * fell from 215–230 to about 160 MB, with a real Claude Code turn from 217 to 152 MB; CPU per
 * stream stayed within the noise at concurrency 1 and 64, was 14–18% lower at a realistic 5 ms
 * pace (fewer GCs over a long stream), and about 5% higher for an 89 KB Claude Code turn (more
 * full collections).
 * V8 reads flags only at startup, so `serve` re-executes itself with them: `process.execve`, the
 * same pid, nothing left running. A user who sets a flag (NODE_OPTIONS or node's own arguments)
 * keeps theirs; where execve is missing (Windows, Node before 22.15) Parley runs with V8's
 * defaults.
 */
export const HEAP_FLAGS: readonly string[] = [
  '--max-semi-space-size=4',
  '--heap-growing-percent=100',
  '--expose-gc',
  '--no-concurrent-recompilation',
];

/**
 * glibc gives each thread that allocates its own arena, and keeps what was freed there: V8's
 * four helper threads (compilers, concurrent marking) held 20–25 MB at 64 concurrent streams.
 * Two arenas shared by all threads: peak RSS 167 → 152 MB side by side, CPU the same. Other C
 * libraries ignore the variable. (A lower `MALLOC_MMAP_THRESHOLD_` kept the main heap small too,
 * at 15–50% more CPU per stream; the idle trim gives that memory back once traffic stops, at no
 * cost under load: server/malloc-trim.ts.)
 */
export const MEMORY_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** The variables of MEMORY_ENV the environment does not set already. */
export function missingMemoryEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(MEMORY_ENV).filter(([name]) => env[name] === undefined));
}

/** The heap flags not already given, by name, in node's arguments or NODE_OPTIONS. */
export function missingHeapFlags(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map(flagName);
  return HEAP_FLAGS.filter((flag) => !given.includes(flagName(flag)));
}

/**
 * `--max_semi_space_size=4` and `--max-semi-space-size 4` name the same V8 flag, and
 * `--concurrent-recompilation` is the flag `--no-concurrent-recompilation` turns off.
 */
function flagName(arg: string): string {
  return (arg.split('=')[0] ?? '').replaceAll('_', '-').replace(/^--no-/, '--');
}

/**
 * Replaces this process with itself plus the missing heap flags and memory variables; returns if
 * there is nothing to add.
 */
export function reexecWithHeapFlags(): void {
  const missing = missingHeapFlags(process.execArgv, process.env['NODE_OPTIONS']);
  const env = missingMemoryEnv(process.env);
  if (missing.length === 0 && Object.keys(env).length === 0) return;
  if (typeof process.execve !== 'function') return;
  const args = [...missing, ...process.execArgv, ...process.argv.slice(1)];
  try {
    process.execve(process.execPath, [process.execPath, ...args], { ...process.env, ...env });
  } catch {
    // Not permitted here (a sandbox): run on with V8's defaults.
  }
}
