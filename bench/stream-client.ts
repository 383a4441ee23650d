/**
 * The benchmark's load generator: a lean HTTP client that sends one prepared body per request
 * at a fixed concurrency over keep-alive sockets and times each SSE stream (first byte, first
 * delta, end) without parsing it: it only counts the delta markers it sees, so the generator
 * costs the same whichever side it talks to.
 */
import { Agent, request } from 'node:http';

export interface StreamTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Text that starts every delta event on this wire. */
  readonly deltaMarkers: readonly string[];
}

export interface StreamSample {
  readonly status: number;
  readonly ttfbMs: number;
  readonly ttfdMs: number;
  readonly totalMs: number;
  readonly deltas: number;
}

export interface RunFigures {
  readonly samples: readonly StreamSample[];
  readonly wallMs: number;
}

/**
 * `requests` streams, `concurrency` at a time, each client starting its next as its last ends.
 * With `spreadMs`, the clients' first requests are spread evenly over that time instead of all
 * leaving at once; given about a stream's length, their streams then stay out of step, as
 * independent clients' are, rather than starting and ending in waves.
 */
export async function runStreams(
  target: StreamTarget,
  requests: number,
  concurrency: number,
  options: { readonly spreadMs?: number } = {},
): Promise<RunFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const samples: StreamSample[] = [];
  let next = 0;
  const started = performance.now();
  const clients = Math.min(concurrency, requests);
  const worker = async (client: number): Promise<void> => {
    const delay = ((options.spreadMs ?? 0) * client) / clients;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    while (next < requests) {
      next += 1;
      samples.push(await oneStream(target, agent));
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, client) => worker(client)));
  const wallMs = performance.now() - started;
  agent.destroy();
  return { samples, wallMs };
}

function oneStream(target: StreamTarget, agent: Agent): Promise<StreamSample> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(
      target.url,
      {
        method: 'POST',
        agent,
        headers: {
          ...target.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(target.body),
        },
      },
      (res) => {
        const ttfbMs = performance.now() - start;
        let ttfdMs = -1;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (ttfdMs < 0 && target.deltaMarkers.some((marker) => text.includes(marker)))
            ttfdMs = performance.now() - start;
        });
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            ttfbMs,
            ttfdMs,
            totalMs: performance.now() - start,
            deltas: target.deltaMarkers.reduce((sum, marker) => sum + occurrences(text, marker), 0),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(target.body);
  });
}

function occurrences(text: string, marker: string): number {
  let count = 0;
  for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + marker.length))
    count += 1;
  return count;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
