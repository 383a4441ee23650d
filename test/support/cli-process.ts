/** Runs the built `parley` bin as a user would, and reads what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const cliPath = fileURLToPath(new URL('../../dist/app/cli.js', import.meta.url));

export interface CliRun {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or the signal name if killed). */
  readonly exited: Promise<number | string>;
  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
  waitForLine(pattern: RegExp): Promise<RegExpMatchArray>;
}

export function runCliProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  nodePath: string = process.execPath,
): CliRun {
  const child = spawn(nodePath, [cliPath, ...args], {
    // Only what the test gives: no OPENAI_API_KEY or PARLEY_* leaks in from the developer's shell.
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = out
            .split('\n')
            .map((line) => pattern.exec(line))
            .find((m) => m !== null);
          if (match) resolve(match);
          return match !== undefined;
        };
        if (check()) return;
        const onData = (): void => {
          if (check()) child.stdout.off('data', onData);
        };
        child.stdout.on('data', onData);
        void exited.then((code) => {
          if (!check())
            reject(new Error(`parley exited (${code}) before printing ${pattern}; stderr: ${err}`));
        });
      }),
  };
}
