#!/usr/bin/env node
// Checked before anything else loads: the dependencies need Node 22+ and would fail obscurely.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `parley: Node ${process.versions.node} is too old; Parley needs Node 22 or newer (run it through scripts/use-node.sh, see the README)\n`,
  );
  process.exit(2);
}
try {
  if (process.argv[2] === 'serve') (await import('./cli/heap-flags.ts')).reexecWithHeapFlags();
  const { runCli } = await import('./cli/run-cli.ts');
  process.exitCode = await runCli(process.argv.slice(2));
} catch (error) {
  // Expected failures are handled inside runCli; this is a bug, so say so in one line.
  process.stderr.write(
    `parley: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
}
