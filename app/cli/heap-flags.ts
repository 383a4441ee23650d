/**
 * V8 sizes its young generation for the machine's memory (up to 64 MB a semi-space on a large
 * one), and a proxy that allocates for every event keeps all of it resident. With 8 MB
 * semi-spaces, `parley serve`'s peak RSS at 64 concurrent streams fell from 367 to 247 MB
 * (bench/README.md). `gc` is exposed for one collection once traffic stops (server/idle-gc.ts).
 * V8 reads flags only at startup, so `serve` re-executes itself with them: `process.execve`, the
 * same pid, nothing left running. A user who sets a flag (NODE_OPTIONS or node's own arguments)
 * keeps theirs; where execve is missing (Windows, Node before 22.15) Parley runs with V8's
 * defaults.
 */
export const HEAP_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--expose-gc'];

/** The heap flags not already given, by name, in node's arguments or NODE_OPTIONS. */
export function missingHeapFlags(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map(flagName);
  return HEAP_FLAGS.filter((flag) => !given.includes(flagName(flag)));
}

/** `--max_semi_space_size=4` and `--max-semi-space-size 4` name the same V8 flag. */
function flagName(arg: string): string {
  return (arg.split('=')[0] ?? '').replaceAll('_', '-');
}

/** Replaces this process with itself plus the missing heap flags; returns if there is nothing to add. */
export function reexecWithHeapFlags(): void {
  const missing = missingHeapFlags(process.execArgv, process.env['NODE_OPTIONS']);
  if (missing.length === 0 || typeof process.execve !== 'function') return;
  const args = [...missing, ...process.execArgv, ...process.argv.slice(1)];
  try {
    process.execve(process.execPath, [process.execPath, ...args], process.env);
  } catch {
    // Not permitted here (a sandbox): run on with V8's defaults.
  }
}
