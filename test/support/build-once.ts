import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

/** The CLI tests run the built `parley` bin, as users do; `tsc -b` is incremental and quick. */
export default function buildOnce(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', 'tsconfig.json'], { stdio: 'inherit' });
}
