/**
 * A real `parley serve` process for the benchmarks (the built CLI, as users run it), optionally
 * pinned to one core, and what /proc says about it: CPU time, RSS, open sockets.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Keys as long as real ones, since Parley looks for both in every recorded exchange and a
 * search's cost depends on the key's length: a proxy key as Parley generates it ('parley-' and
 * 43 base64url characters), an upstream key as OpenAI issues project keys (164 characters).
 */
export const BENCH_PROXY_KEY = `parley-${'Bq3xZ9wLk2'.repeat(5).slice(0, 43)}`;
export const BENCH_UPSTREAM_KEY = `sk-proj-${'Tq8Vn2Hs5RbYc4Kw0Jd7'.repeat(8).slice(0, 156)}`;

export interface ParleyProcess {
  readonly url: string;
  readonly pid: number;
  /** The V8 inspector's WebSocket URL, when started with `inspect` (for heapAfterGc). */
  readonly inspectorUrl: string | undefined;
  /** What it has printed on stdout so far (V8's `--trace-gc` lines, with `nodeArgs`). */
  readonly output: () => string;
  stop(): Promise<void>;
}

export interface ParleyOptions {
  readonly upstreamUrl: string;
  readonly extraArgs?: readonly string[];
  /** Run on this core only (`taskset`), so its CPU time is not shared with the load. */
  readonly cpu?: number;
  /** Node's own flags (`--cpu-prof`, `--heapsnapshot-signal`). */
  readonly nodeArgs?: readonly string[];
  /** Open the V8 inspector on a loopback port, so heapAfterGc can ask the process. */
  readonly inspect?: boolean;
}

const cli = fileURLToPath(new URL('../dist/app/cli.js', import.meta.url));
export async function startParley(options: ParleyOptions): Promise<ParleyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const args = [
    ...(options.inspect === true ? ['--inspect=127.0.0.1:0'] : []),
    ...(options.nodeArgs ?? []),
    cli,
    'serve',
    '--port',
    '0',
    '--config',
    join(dir, 'settings.json'),
    '--base-url',
    options.upstreamUrl,
    '--proxy-key',
    BENCH_PROXY_KEY,
    '--log-level',
    'error',
    ...(options.extraArgs ?? []),
  ];
  const server = await startServerProcess(args, options.cpu);
  return {
    ...server,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The bare HTTP pipe (bare-pipe.ts) in front of the same upstream: the floor of any proxy,
 * through Node's fetch (the default), undici's request as Parley calls, or Parley's own
 * upstream client (the `openai` SDK over that request).
 */
export function startBarePipe(
  options: ParleyOptions & { readonly via?: 'fetch' | 'request' | 'sdk' },
): Promise<ParleyProcess> {
  const script = fileURLToPath(new URL('bare-pipe.ts', import.meta.url));
  const args = ['--experimental-strip-types', '--no-warnings', script, options.upstreamUrl];
  if (options.via === 'request' || options.via === 'sdk') args.push(`--${options.via}`);
  return startServerProcess(args, options.cpu);
}

/** A Node process that prints `listening on URL`, pinned to `cpu` when it can be. */
async function startServerProcess(args: readonly string[], cpu?: number): Promise<ParleyProcess> {
  const pinned = cpu !== undefined && canPin();
  const child: ChildProcess = pinned
    ? spawn('taskset', ['-c', String(cpu), process.execPath, ...args], childOptions())
    : spawn(process.execPath, args, childOptions());
  // Its stderr is passed through, except the inspector's own announcement, which is read.
  let inspectorUrl: string | undefined;
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) {
      const match = /^Debugger listening on (ws:\S+)/.exec(line);
      if (match) inspectorUrl = match[1];
      else if (line !== '' && !/^(For help, see|Debugger |Waiting for the debugger)/.test(line))
        process.stderr.write(`${line}\n`);
    }
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /listening on (\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => {
      reject(new Error(`${args.join(' ')} exited with ${String(code)}`));
    });
  });
  return {
    url,
    // taskset execs node in place, so the pid is the server's own.
    pid: child.pid ?? 0,
    get inspectorUrl() {
      return inspectorUrl;
    },
    output: () => out,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function childOptions(): Parameters<typeof spawn>[2] {
  return {
    env: {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      OPENAI_API_KEY: BENCH_UPSTREAM_KEY,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  };
}

let pinning: boolean | undefined;
/** Whether `taskset` exists and there are two cores to split between load and proxy. */
export function canPin(): boolean {
  pinning ??=
    spawnSync('taskset', ['-c', '0', 'true']).status === 0 &&
    readFileSync('/proc/cpuinfo', 'utf8').split('\nprocessor').length >= 2;
  return pinning;
}

/** Pins this process, every thread of it (GC helpers, the libuv pool), to one core. */
export function pinSelf(cpu: number): boolean {
  return (
    canPin() && spawnSync('taskset', ['-a', '-cp', String(cpu), String(process.pid)]).status === 0
  );
}

/** CPU time of all the process's threads, in ms (schedstat is in ns, unlike the 10 ms ticks of stat). */
export function cpuMs(pid: number): number {
  let ms = 0;
  for (const used of cpuMsByThread(pid).values()) ms += used;
  return ms;
}

/**
 * CPU time by kind of thread, in ms: the thread's name without its number (`MainThread`,
 * `V8Worker` for V8's helpers: parallel scavenges, concurrent marking and sweeping, `libuv-worker`).
 */
export function cpuMsByThread(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      const name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      const kind = name.replace(/\d+$/, '');
      byName.set(kind, (byName.get(kind) ?? 0) + ns / 1e6);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return byName;
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export function openSockets(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

/** Samples RSS while work runs; `stop` returns the peak. */
export function rssSampler(pid: number): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid));
    },
  };
}

/** A session with a process's V8 inspector: one request, one answer. */
export interface InspectorSession {
  call(method: string, params?: object): Promise<Record<string, unknown>>;
  close(): void;
}

export async function openInspector(inspectorUrl: string): Promise<InspectorSession> {
  const socket = new WebSocket(inspectorUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  let nextId = 1;
  return {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        const id = nextId++;
        const onMessage = (message: MessageEvent): void => {
          const reply = JSON.parse(String(message.data)) as {
            id?: number;
            result?: Record<string, unknown>;
          };
          if (reply.id !== id) return;
          socket.removeEventListener('message', onMessage);
          resolve(reply.result ?? {});
        };
        socket.addEventListener('message', onMessage);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => {
      socket.close();
    },
  };
}

/**
 * The V8 heap in use after a full garbage collection, in MB, asked of the process over its
 * inspector: unlike RSS (V8 keeps freed pages mapped), it says whether memory was really released.
 */
export async function heapAfterGc(inspectorUrl: string): Promise<number> {
  const inspector = await openInspector(inspectorUrl);
  await inspector.call('HeapProfiler.collectGarbage');
  const usage = await inspector.call('Runtime.getHeapUsage');
  inspector.close();
  return Number(usage['usedSize']) / 1024 / 1024;
}
