#!/usr/bin/env -S node --max-semi-space-size=8
// The flag caps V8's young generation at 8 MB per semi-space. Left to size itself on a machine
// with plenty of memory it grows to 64 MB under load and its pages stay resident afterwards:
// about 100 MB of RSS for no measurable CPU gain (bench/README.md).
// Checked before anything else loads: the dependencies need Node 22+ and would fail obscurely.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `parley: Node ${process.versions.node} is too old; Parley needs Node 22 or newer (run it through scripts/use-node.sh, see the README)\n`,
  );
  process.exit(2);
}
try {
  const { runCli } = await import('./cli/run-cli.ts');
  process.exitCode = await runCli(process.argv.slice(2));
} catch (error) {
  // Expected failures are handled inside runCli; this is a bug, so say so in one line.
  process.stderr.write(
    `parley: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
}
