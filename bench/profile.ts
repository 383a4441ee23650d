/**
 * `npm run bench:profile`: where a figure of `npm run bench` comes from. Runs `parley serve`
 * pinned to core 1 (the load and the mock on core 0), warms it up, then sends the benchmark's
 * 200-delta stream and reports per stream, by what PROFILE says:
 * - `cpu` (default): V8's CPU profile of the main thread, self time by package or file and by
 *   function, and inclusive time by function, scaled to the process's CPU time per stream;
 * - `heap`: bytes allocated per stream by allocation site (V8's sampling heap profiler);
 * - `gc`: V8's own account of every collection (`--trace-gc-nvp`): how many, how long, and how
 *   much each scavenge promoted to the old generation (what outlived the young generation).
 * Options in the environment: BENCH_API=chat, BENCH_RECORD=1 (the recorder on), BENCH_PACED=1
 * (5 ms between events, 64 at a time), BENCH_CONCURRENCY (streams at a time: 1, or 64 paced),
 * BENCH_TURN=claude-code (the 89 KB turn), BENCH_MODEL (the mock's answer, bench-text unless
 * paced: bench-one, bench-tools; see bench-turns.ts), BENCH_REQUESTS, BENCH_WARMUP,
 * BENCH_WARMUP_CONCURRENCY, BENCH_TOP (lines per table), BENCH_NODE_ARGS (V8 flags to try).
 */
import { startMockUpstream } from '../test/support/mock-openai/mock-upstream.ts';
import { benchTurn, claudeCodeTurn, parleyTarget } from './bench-turns.ts';
import {
  cpuMsByThread,
  openInspector,
  pinSelf,
  startParley,
  type InspectorSession,
} from './parley-process.ts';
import { runStreams } from './stream-client.ts';

const mode = process.env['PROFILE'] ?? 'cpu';
const api = process.env['BENCH_API'] === 'chat' ? 'chat' : 'responses';
const record = process.env['BENCH_RECORD'] === '1';
const paced = process.env['BENCH_PACED'] === '1';
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? (paced ? 64 : 1));
const requests = Number(process.env['BENCH_REQUESTS'] ?? (paced ? 512 : 3000));
const warmup = Number(process.env['BENCH_WARMUP'] ?? (paced ? 256 : 3000));
/** `npm run bench` warms its servers at c=16: BENCH_WARMUP_CONCURRENCY=16 profiles such a server. */
const warmupConcurrency = Number(process.env['BENCH_WARMUP_CONCURRENCY'] ?? concurrency);
const top = Number(process.env['BENCH_TOP'] ?? 40);

const mock = await startMockUpstream();
mock.setDefaultTurn(benchTurn);
pinSelf(0);
const parley = await startParley({
  upstreamUrl: mock.url,
  cpu: 1,
  extraArgs: ['--upstream-api', api, ...(record ? [] : ['--no-record'])],
  inspect: mode !== 'gc',
  nodeArgs: [
    ...(mode === 'gc' ? ['--trace-gc-nvp'] : []),
    ...(process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
  ],
});
const turn = process.env['BENCH_TURN'] === 'claude-code' ? claudeCodeTurn() : undefined;
const model = process.env['BENCH_MODEL'] ?? (paced ? 'bench-text-paced' : 'bench-text');
const target = parleyTarget(parley, model, turn);
await runStreams(target, warmup, warmupConcurrency);
if (warmupConcurrency !== concurrency) await runStreams(target, 600, concurrency);

const inspector = mode === 'gc' ? undefined : await openInspector(parley.inspectorUrl ?? '');
await inspector?.call(mode === 'heap' ? 'HeapProfiler.enable' : 'Profiler.enable');
if (mode === 'heap')
  await inspector?.call('HeapProfiler.startSampling', {
    samplingInterval: 512,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
else if (mode === 'cpu') {
  await inspector?.call('Profiler.setSamplingInterval', { interval: 100 });
  await inspector?.call('Profiler.start');
}
const gcLinesBefore = parley.output().split('\n').length;
const threadsBefore = cpuMsByThread(parley.pid);
await runStreams(target, requests, concurrency);
/** CPU per stream by kind of thread, the busiest first. */
const byThread = [...cpuMsByThread(parley.pid)]
  .map(([name, ms]): [string, number] => [name, (ms - (threadsBefore.get(name) ?? 0)) / requests])
  .sort((a, b) => b[1] - a[1]);
const cpuPerStream = byThread.reduce((sum, [, ms]) => sum + ms, 0);

const out = process.stdout;
out.write(
  `${api}${record ? ', recorder on' : ''}${paced ? ', 5 ms pace' : ''}, c=${String(concurrency)}${turn ? ', Claude Code turn' : ''}: ` +
    `${cpuPerStream.toFixed(3)} ms CPU per stream (all threads, ${String(requests)} streams)\n` +
    `  by thread: ${byThread
      .filter(([, ms]) => ms >= 0.001)
      .map(([name, ms]) => `${name} ${ms.toFixed(3)}`)
      .join(', ')} ms\n`,
);
if (mode === 'cpu' && inspector) await reportCpu(inspector);
else if (mode === 'heap' && inspector) await reportHeap(inspector);
else reportGc(parley.output().split('\n').slice(gcLinesBefore));
inspector?.close();
await parley.stop();
await mock.close();

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

/** A package's name, a node: module, a file of Parley's, or what V8 calls the frame. */
function whereOf({ url, functionName }: CallFrame): string {
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.includes('/dist/app/')) return `parley ${url.replace(/.*\/dist\/app\//, '')}`;
  return url === '' ? functionName : url;
}

function frameName(frame: CallFrame): string {
  return `${frame.functionName || '(anonymous)'} ${whereOf(frame)}:${String(frame.lineNumber + 1)}`;
}

function printTable(title: string, rows: Map<string, number>, format: (value: number) => string) {
  out.write(`\n${title}\n`);
  for (const [name, value] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, top))
    out.write(`  ${format(value).padStart(8)}  ${name}\n`);
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

async function reportCpu(session: InspectorSession): Promise<void> {
  interface ProfileNode {
    readonly id: number;
    readonly callFrame: CallFrame;
    readonly children?: readonly number[];
  }
  const { profile } = (await session.call('Profiler.stop')) as {
    profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const idle = profile.nodes.find((node) => node.callFrame.functionName === '(idle)')?.id;
  let busy = 0;
  for (const [id, us] of self) if (id !== idle) busy += us;
  // The profile's share of the main thread's samples, as µs of the process's CPU per stream.
  const perStream = (us: number): string => ((us / busy) * cpuPerStream * 1000).toFixed(1);
  const byWhere = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node || id === idle) continue;
    add(byWhere, whereOf(node.callFrame), us);
    add(byFunction, frameName(node.callFrame), us);
    // Each function on the stack once (recursion counted once).
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame) break;
      const name = frameName(frame);
      if (!seen.has(name)) add(inclusive, name, us);
      seen.add(name);
    }
  }
  out.write('(main thread only; other threads are in the total above)\n');
  printTable('self time per stream (µs), by where', byWhere, perStream);
  printTable('self time per stream (µs), by function', byFunction, perStream);
  printTable('inclusive time per stream (µs), by function', inclusive, perStream);
}

async function reportHeap(session: InspectorSession): Promise<void> {
  interface HeapNode {
    readonly callFrame: CallFrame;
    readonly selfSize: number;
    readonly children: readonly HeapNode[];
  }
  const { profile } = (await session.call('HeapProfiler.getSamplingProfile')) as {
    profile: { head: HeapNode };
  };
  await session.call('HeapProfiler.stopSampling');
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode): void => {
    add(bySite, frameName(node.callFrame), node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const kb = (bytes: number): string => (bytes / requests / 1024).toFixed(2);
  out.write(`allocated: ${kb(total)} KB per stream\n`);
  printTable('KB allocated per stream, by allocation site', bySite, kb);
}

function reportGc(lines: readonly string[]): void {
  // Node 22 and 24 print `key=value` pairs; Node 26 (V8 14) prints `GC: {json}`.
  const fields = (line: string): Map<string, string> => {
    const json = line.indexOf('GC: {');
    if (json !== -1) {
      const record = JSON.parse(line.slice(json + 4)) as Record<string, unknown>;
      return new Map(Object.entries(record).map(([key, value]) => [key, String(value)]));
    }
    return new Map(
      line
        .split(' ')
        .map((pair) => pair.split('='))
        .filter((pair): pair is [string, string] => pair.length === 2)
        .map(([key, value]) => [key, value]),
    );
  };
  const collections = lines
    .filter((line) => line.includes('gc=') || line.includes('GC: {'))
    .map(fields);
  const kinds = new Map<string, Map<string, string>[]>();
  for (const gc of collections) {
    const kind = gc.get('gc') ?? '?';
    kinds.set(kind, [...(kinds.get(kind) ?? []), gc]);
  }
  const mean = (list: readonly Map<string, string>[], key: string): number =>
    list.reduce((sum, gc) => sum + Number(gc.get(key) ?? 0), 0) / Math.max(list.length, 1);
  const names: Record<string, string> = { s: 'scavenges', ms: 'full (mark-sweep)', mc: 'full' };
  for (const [kind, list] of kinds) {
    out.write(
      `${(names[kind] ?? kind).padEnd(18)} ${String(list.length).padStart(5)}, one per ${(requests / list.length).toFixed(1)} streams; ` +
        `pause ${mean(list, 'pause').toFixed(2)} ms` +
        (kind === 's'
          ? `, promoted ${(mean(list, 'promoted') / 1024).toFixed(1)} KB each (${(mean(list, 'promoted') / 1024 / (requests / list.length)).toFixed(1)} KB per stream)`
          : '') +
        '\n',
    );
  }
  const pauses = collections.reduce((sum, gc) => sum + Number(gc.get('pause') ?? 0), 0);
  out.write(`pauses             ${(pauses / requests).toFixed(3)} ms per stream (main thread)\n`);
}
