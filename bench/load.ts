/**
 * `npm run bench:load`: 1,000 streaming requests with tool calls at concurrency 64 through a
 * real `parley serve` process (the built CLI) in front of the mock upstream, 5% cut by the
 * client and 5% failed by the upstream mid-stream. Prints the outcome counts (lifecycle
 * violations and lost requests must be 0), time to first delta, the Parley process's RSS
 * before, at its peak and after, and its open sockets afterwards. Loopback only; bounded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockUpstream } from '../test/support/mock-openai/mock-upstream.ts';
import { expectedCounts, runLoad } from './load-run.ts';

const requests = Number(process.env['BENCH_REQUESTS'] ?? 1_000);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
const proxyKey = 'bench-proxy-key-0123456789';

const mock = await startMockUpstream();
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
const cli = fileURLToPath(new URL('../dist/app/cli.js', import.meta.url));
const parley = spawn(
  process.execPath,
  [
    cli,
    'serve',
    '--port',
    '0',
    '--config',
    join(dir, 'settings.json'),
    '--base-url',
    mock.url,
    '--proxy-key',
    proxyKey,
    '--log-level',
    'error',
  ],
  {
    env: {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      OPENAI_API_KEY: 'bench-upstream-key',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const pid = parley.pid ?? 0;
const proxyUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  parley.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const match = /listening on (\S+)/.exec(out);
    if (match?.[1]) resolve(match[1]);
  });
  parley.once('exit', (code) => {
    reject(new Error(`parley exited with ${String(code)}`));
  });
});

const rssMb = (): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
};
const openSockets = (): number =>
  readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;

await new Promise((resolve) => setTimeout(resolve, 300));
const before = { rss: rssMb(), sockets: openSockets() };
let peak = before.rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, rssMb());
}, 25);

const figures = await runLoad({ proxyUrl, proxyKey, mock, requests, concurrency });
clearInterval(sampler);
await new Promise((resolve) => setTimeout(resolve, 1_000));
const after = { rss: rssMb(), sockets: openSockets() };

const expected = expectedCounts(requests);
const line = (label: string, value: string): void => {
  process.stdout.write(`${label.padEnd(34)} ${value}\n`);
};
process.stdout.write(
  `\nParley load run: ${requests} streaming requests, concurrency ${concurrency}\n\n`,
);
line('completed', `${figures.completed} / ${expected.normal}`);
line(
  'cut by the client, as expected',
  `${figures.cutByClientAsExpected} / ${expected['client-cut']}`,
);
line(
  'failed by the upstream, as expected',
  `${figures.failedByUpstreamAsExpected} / ${expected['upstream-fail']}`,
);
line('lifecycle violations (must be 0)', String(figures.lifecycleViolations));
line('lost requests (must be 0)', String(figures.lost));
for (const reason of figures.lostReasons) line('  lost', reason);
line(
  'time to first delta p50 / p99',
  `${figures.timeToFirstDeltaMs.p50.toFixed(1)} ms / ${figures.timeToFirstDeltaMs.p99.toFixed(1)} ms`,
);
line('wall time', `${(figures.wallMs / 1000).toFixed(2)} s`);
line(
  'RSS before / peak / after',
  `${before.rss.toFixed(1)} / ${peak.toFixed(1)} / ${after.rss.toFixed(1)} MB`,
);
line(
  'open sockets before / after',
  `${before.sockets} / ${after.sockets} (the listening socket and the upstream pool included)`,
);

parley.kill('SIGTERM');
await new Promise((resolve) => parley.once('exit', resolve));
await mock.close();
rmSync(dir, { recursive: true, force: true });
process.exitCode = figures.lost === 0 && figures.lifecycleViolations === 0 ? 0 : 1;
