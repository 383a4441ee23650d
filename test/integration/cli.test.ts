/**
 * `parley serve` as a user runs it: the built bin in a child process, its exact output, exit
 * codes, and graceful shutdown on signals.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-http.ts';
import { cliPath, runCliProcess, type CliRun } from '../support/cli-process.ts';
import { useTempDirs } from '../support/temp-dir.ts';

const tempDir = useTempDirs();
const running: CliRun[] = [];
afterEach(() => {
  for (const run of running.splice(0)) run.child.kill('SIGKILL');
});

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

async function serve(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ run: CliRun; url: string }> {
  const configPath = join(await tempDir(), 'settings.json');
  const run = runCliProcess(['serve', '--port', '0', '--config', configPath, ...args], env);
  running.push(run);
  const [, url] = await run.waitForLine(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/);
  return { run, url: url ?? '' };
}

async function runToExit(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const run = runCliProcess(args, env);
  running.push(run);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('parley serve', () => {
  it('prints the listening line, then the two setup lines with the saved key', async () => {
    const configPath = join(await tempDir(), 'settings.json');
    const run = runCliProcess(['serve', '--port', '0', '--config', configPath], {
      OPENAI_API_KEY: 'test-key-upstream',
    });
    running.push(run);
    const [, url] = await run.waitForLine(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/);
    await run.waitForLine(/^export ANTHROPIC_AUTH_TOKEN=/);
    const saved = JSON.parse(readFileSync(configPath, 'utf8')) as { proxyKey: string };
    expect(run.stdout().split('\n')).toEqual([
      `listening on ${url}`,
      `export ANTHROPIC_BASE_URL=${url}`,
      `export ANTHROPIC_AUTH_TOKEN=${saved.proxyKey}`,
      '',
    ]);
    expect(run.stderr()).toContain('generated a proxy key');
    expect(run.stderr()).not.toContain(saved.proxyKey);
  });

  it('serves /health, refuses a keyless request with 401, and exits 0 on SIGTERM within 5 s', async () => {
    const { run, url } = await serve([], { OPENAI_API_KEY: 'test-key-upstream' });
    const health = await rawRequest(`${url}/health`);
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', version: packageVersion });
    const refused = await rawRequest(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });

    const started = performance.now();
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('exits 0 on SIGINT too', async () => {
    const { run } = await serve([], { OPENAI_API_KEY: 'test-key-upstream' });
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toContain('SIGINT: shutting down');
  });

  it('logs one line per request at info and none when silent', async () => {
    const loud = await serve([], { OPENAI_API_KEY: 'test-key-upstream' });
    await rawRequest(`${loud.url}/health`);
    await rawRequest(`${loud.url}/health`);
    loud.run.child.kill('SIGTERM');
    await loud.run.exited;
    expect(loud.run.stderr().match(/^info: GET \/health 200 \d+ms$/gm)).toHaveLength(2);

    const quiet = await serve(['--log-level', 'silent']);
    await rawRequest(`${quiet.url}/health`);
    quiet.run.child.kill('SIGTERM');
    await quiet.run.exited;
    expect(quiet.run.stderr()).toBe('');
  });

  it('starts without OPENAI_API_KEY, warns, and answers requests with a 401 naming it', async () => {
    const { run, url } = await serve(['--proxy-key', 'a-proxy-key-for-this-test']);
    expect(run.stderr()).toMatch(/^warn: OPENAI_API_KEY is not set/m);
    const response = await rawRequest(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'a-proxy-key-for-this-test' },
      body: JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 10, messages: [] }),
    });
    expect(response.status).toBe(401);
    expect(response.json).toMatchObject({
      error: { type: 'authentication_error', message: expect.stringContaining('OPENAI_API_KEY') },
    });
  });

  it('keeps no traffic under --no-record, and says so in /health', async () => {
    const recording = await serve([]);
    const notRecording = await serve(['--no-record']);
    const health = async (url: string): Promise<unknown> =>
      (await rawRequest(`${url}/health`)).json;
    expect(await health(recording.url)).toMatchObject({ recordingTraffic: true });
    expect(await health(notRecording.url)).toMatchObject({ recordingTraffic: false });
  });

  // Linux shows a process's arguments in /proc; the re-exec keeps the pid the parent spawned.
  it.runIf(existsSync('/proc/self/cmdline'))(
    're-executes itself with its heap flags, gc and two malloc arenas, in place, keeping what the user chose',
    async () => {
      const argsOf = (run: CliRun): string[] =>
        readFileSync(`/proc/${String(run.child.pid)}/cmdline`, 'utf8').split('\0');
      const envOf = (run: CliRun): string[] =>
        readFileSync(`/proc/${String(run.child.pid)}/environ`, 'utf8').split('\0');
      const tuned = await serve([]);
      expect(envOf(tuned.run)).toContain('MALLOC_ARENA_MAX=2');
      expect(argsOf(tuned.run).slice(1, 6)).toEqual([
        '--max-semi-space-size=4',
        '--heap-growing-percent=100',
        '--expose-gc',
        '--no-concurrent-recompilation',
        cliPath,
      ]);
      expect((await rawRequest(`${tuned.url}/health`)).status).toBe(200);
      const chosen = await serve([], {
        NODE_OPTIONS: '--max_semi_space_size=16',
        MALLOC_ARENA_MAX: '4',
      });
      expect(envOf(chosen.run)).toContain('MALLOC_ARENA_MAX=4');
      expect(argsOf(chosen.run).slice(1, 5)).toEqual([
        '--heap-growing-percent=100',
        '--expose-gc',
        '--no-concurrent-recompilation',
        cliPath,
      ]);
    },
  );

  it('prints a placeholder token under --no-auth', async () => {
    const { run } = await serve(['--no-auth']);
    await run.waitForLine(/^export ANTHROPIC_AUTH_TOKEN=parley-no-auth$/);
  });
});

describe('bad input: one clear line, exit 2, never a stack trace', () => {
  const cases: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
    [
      'a bad port',
      ['serve', '--port', 'eighty'],
      {},
      /^parley: invalid --port: "eighty" must be a number$/,
    ],
    [
      'an unknown upstream API',
      ['serve'],
      { PARLEY_UPSTREAM_API: 'assistants' },
      /^parley: invalid PARLEY_UPSTREAM_API: "assistants" must be one of: responses, chat$/,
    ],
    [
      'a malformed base URL',
      ['serve', '--base-url', 'api.openai.com'],
      {},
      /^parley: invalid --base-url: "api.openai.com" must be an http:\/\/ or https:\/\/ URL$/,
    ],
    [
      'an unknown flag',
      ['serve', '--prot', '1'],
      {},
      /^parley: Unknown option '--prot'.*\(see parley --help\)$/,
    ],
    ['a missing command', [], {}, /^parley: missing command; did you mean "parley serve"\?/],
    ['an unknown command', ['start'], {}, /^parley: unknown command "start"/],
  ];
  for (const [name, args, env, message] of cases) {
    it(`rejects ${name}`, async () => {
      const configPath = join(await tempDir(), 'settings.json');
      const withConfig = args[0] === 'serve' ? [...args, '--config', configPath] : args;
      const { code, stdout, stderr } = await runToExit(withConfig, env);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr.trimEnd()).toMatch(message);
    });
  }

  it('rejects a port already in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const configPath = join(await tempDir(), 'settings.json');
      const { code, stderr } = await runToExit([
        'serve',
        '--port',
        String(port),
        '--config',
        configPath,
        '--log-level',
        'error',
      ]);
      expect(code).toBe(2);
      expect(stderr.trimEnd()).toBe(
        `parley: port ${port} on 127.0.0.1 is already in use: stop the other program or choose another with --port (0 picks a free one)`,
      );
    } finally {
      blocker.close();
    }
  });
});

describe('--help and --version', () => {
  it('prints the help with every flag and exits 0', async () => {
    const { code, stdout } = await runToExit(['--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--host',
      '--port',
      '--upstream-api',
      '--base-url',
      '--model',
      '--small-model',
      '--proxy-key',
      '--no-auth',
      '--no-record',
      '--provider',
      '--config',
      '--log-level',
      '--version',
    ]) {
      expect(stdout).toContain(flag);
    }
    // The defaults it shows are the ones that apply: a provider brings its own API and URL.
    expect(stdout).toMatch(/--model NAME .*PARLEY_MODEL \(gpt-5\.1\)/);
    expect(stdout).toMatch(/--small-model NAME .*PARLEY_SMALL_MODEL \(gpt-5-mini\)/);
    expect(stdout).toMatch(/OPENAI_BASE_URL \(the provider's\)/);
  });

  it('prints the package version and exits 0', async () => {
    const { code, stdout } = await runToExit(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${packageVersion}\n`);
  });

  it('runs as the bin does, through its shebang', () => {
    // A plain `env node`: `env -S` (to pass Node flags) is missing from BusyBox, so Alpine.
    expect(readFileSync(cliPath, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    chmodSync(cliPath, 0o755); // what npm does to a package's bin
    const nodeDir = dirname(process.execPath);
    const stdout = execFileSync(cliPath, ['--version'], {
      env: { PATH: `${nodeDir}:/usr/bin:/bin` },
    }).toString();
    expect(stdout).toBe(`${packageVersion}\n`);
  });
});

describe('an old Node', () => {
  const systemNode = '/usr/bin/node';
  const oldNode =
    existsSync(systemNode) &&
    Number(execFileSync(systemNode, ['-p', 'process.versions.node.split(".")[0]']).toString()) < 22;
  it.skipIf(!oldNode)('is refused with one line that says what to do', async () => {
    const run = runCliProcess(['serve'], {}, systemNode);
    running.push(run);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(
      /^parley: Node 2\d\.[\d.]+ is too old; Parley needs Node 22 or newer/,
    );
  });
});
