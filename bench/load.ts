/**
 * `npm run bench:load`: 1,000 streaming requests with tool calls at concurrency 64 through a
 * real `parley serve` process (the built CLI) in front of the mock upstream, 5% cut by the
 * client and 5% failed by the upstream mid-stream. Prints the outcome counts (lifecycle
 * violations and lost requests must be 0), time to first delta, the Parley process's RSS
 * before, at its peak and after, and its open sockets afterwards. Loopback only; bounded.
 */
import { startMockUpstream } from '../test/support/mock-openai/mock-upstream.ts';
import { expectedCounts, runLoad } from './load-run.ts';
import {
  BENCH_PROXY_KEY,
  heapAfterGc,
  openSockets,
  rssMb,
  rssSampler,
  startParley,
} from './parley-process.ts';

const requests = Number(process.env['BENCH_REQUESTS'] ?? 1_000);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 64);

const mock = await startMockUpstream();
// The traffic recorder keeps exchanges by design (up to its bound), so memory is measured
// without it unless BENCH_RECORD=1: what must come back is everything else.
const record = process.env['BENCH_RECORD'] === '1';
const parley = await startParley({
  upstreamUrl: mock.url,
  inspect: true,
  extraArgs: record ? [] : ['--no-record'],
});
const { pid } = parley;
const proxyUrl = parley.url;
const proxyKey = BENCH_PROXY_KEY;

await new Promise((resolve) => setTimeout(resolve, 300));
const inspector = parley.inspectorUrl ?? '';
const before = { rss: rssMb(pid), sockets: openSockets(pid), heap: await heapAfterGc(inspector) };
const sampler = rssSampler(pid);
const figures = await runLoad({ proxyUrl, proxyKey, mock, requests, concurrency });
const peak = sampler.stop();
await new Promise((resolve) => setTimeout(resolve, 1_000));
const after = { rss: rssMb(pid), sockets: openSockets(pid), heap: await heapAfterGc(inspector) };
// The same load once more: a leak grows the heap again; pools and caches filled once do not.
const again = await runLoad({ proxyUrl, proxyKey, mock, requests, concurrency });
await new Promise((resolve) => setTimeout(resolve, 1_000));
const afterAgain = { heap: await heapAfterGc(inspector), lost: again.lost };

const expected = expectedCounts(requests);
const line = (label: string, value: string): void => {
  process.stdout.write(`${label.padEnd(34)} ${value}\n`);
};
process.stdout.write(
  `\nParley load run: ${requests} streaming requests, concurrency ${concurrency}, recorder ${record ? 'on' : 'off'}\n\n`,
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
  'V8 heap after a full GC, before / after',
  `${before.heap.toFixed(1)} / ${after.heap.toFixed(1)} MB (RSS read right after the load: V8 and glibc still hold the freed pages)`,
);
line(
  'V8 heap after the same load again',
  `${afterAgain.heap.toFixed(1)} MB (${afterAgain.lost} lost in that run)`,
);
line(
  'open sockets before / after',
  `${before.sockets} / ${after.sockets} (the listening socket and the upstream pool included)`,
);

await parley.stop();
await mock.close();
process.exitCode =
  figures.lost === 0 && figures.lifecycleViolations === 0 && afterAgain.lost === 0 ? 0 : 1;
