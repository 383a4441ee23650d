/**
 * The load run of issue 6, shared by `npm run bench:load` (1,000 requests, figures printed) and a
 * smaller run inside `npm test` (counts asserted, timings not): streaming requests with tool
 * calls at a given concurrency, 5% cut by the client mid-stream, 5% failed by the upstream
 * mid-stream. Every request must end as expected; nothing may be lost or left open.
 */
import { Agent, request } from 'node:http';
import { lifecycleViolations } from '../app/translate/lifecycle.ts';
import { parseFrames } from '../test/support/anthropic-sse.ts';
import type { MockUpstream } from '../test/support/mock-openai/mock-upstream.ts';
import type { ScriptedTurn } from '../test/support/mock-openai/script.ts';

export interface LoadOptions {
  readonly proxyUrl: string;
  readonly proxyKey: string;
  readonly mock: MockUpstream;
  readonly requests: number;
  readonly concurrency: number;
  /** Give up on a request after this long: it counts as lost. */
  readonly requestTimeoutMs?: number;
}

export interface LoadFigures {
  readonly completed: number;
  readonly cutByClientAsExpected: number;
  readonly failedByUpstreamAsExpected: number;
  readonly lifecycleViolations: number;
  readonly lost: number;
  readonly lostReasons: readonly string[];
  readonly timeToFirstDeltaMs: { readonly p50: number; readonly p99: number };
  readonly wallMs: number;
}

type Kind = 'normal' | 'client-cut' | 'upstream-fail';

const kindOf = (index: number): Kind =>
  index % 20 === 0 ? 'client-cut' : index % 20 === 1 ? 'upstream-fail' : 'normal';

const answer: ScriptedTurn = {
  output: [
    { type: 'text', text: 'I will look at both files and run the tests.' },
    {
      type: 'tool_call',
      name: 'Read',
      arguments: '{"file_path":"/home/dev/project/src/index.ts"}',
    },
    {
      type: 'tool_call',
      name: 'Bash',
      arguments: '{"command":"npm test -- --run","timeout":120000}',
    },
  ],
  deltaSize: 6,
  // Paced like a real upstream, so cuts and failures land while streams are in flight.
  delayMs: 1,
};

export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  // The upstream's behaviour is chosen by the request itself, since concurrent requests
  // reach it in no fixed order.
  options.mock.setDefaultTurn((body) =>
    JSON.stringify(body).includes('[upstream-fail]')
      ? { ...answer, fault: { kind: 'reset', afterEvents: 8 } }
      : answer,
  );
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const figures = { completed: 0, cut: 0, failed: 0, violations: 0, lost: 0 };
  const lostReasons: string[] = [];
  const firstDelta: number[] = [];
  let next = 0;
  const started = performance.now();

  const worker = async (): Promise<void> => {
    while (next < options.requests) {
      const index = next++;
      const kind = kindOf(index);
      const outcome = await oneRequest(options, agent, kind).catch((error: unknown) => ({
        kind: 'lost' as const,
        reason: error instanceof Error ? error.message : String(error),
      }));
      if (outcome.kind === 'lost') {
        figures.lost += 1;
        if (lostReasons.length < 10) lostReasons.push(`#${index} (${kind}): ${outcome.reason}`);
        continue;
      }
      if (outcome.firstDeltaMs !== undefined) firstDelta.push(outcome.firstDeltaMs);
      if (outcome.violations > 0) figures.violations += 1;
      if (kind === 'client-cut' && outcome.kind === 'cut') figures.cut += 1;
      else if (kind === 'upstream-fail' && outcome.kind === 'error-event') figures.failed += 1;
      else if (kind === 'normal' && outcome.kind === 'completed') figures.completed += 1;
      else {
        figures.lost += 1;
        if (lostReasons.length < 10)
          lostReasons.push(`#${index} (${kind}): ended as ${outcome.kind}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  agent.destroy();
  firstDelta.sort((a, b) => a - b);
  return {
    completed: figures.completed,
    cutByClientAsExpected: figures.cut,
    failedByUpstreamAsExpected: figures.failed,
    lifecycleViolations: figures.violations,
    lost: figures.lost,
    lostReasons,
    timeToFirstDeltaMs: { p50: percentile(firstDelta, 0.5), p99: percentile(firstDelta, 0.99) },
    wallMs: performance.now() - started,
  };
}

/** How many requests of each kind a run of `requests` holds. */
export function expectedCounts(requests: number): Record<Kind, number> {
  const counts: Record<Kind, number> = { normal: 0, 'client-cut': 0, 'upstream-fail': 0 };
  for (let index = 0; index < requests; index++) counts[kindOf(index)] += 1;
  return counts;
}

interface Outcome {
  readonly kind: 'completed' | 'error-event' | 'cut' | 'http-error';
  readonly firstDeltaMs: number | undefined;
  readonly violations: number;
}

function oneRequest(options: LoadOptions, agent: Agent, kind: Kind): Promise<Outcome> {
  const body = JSON.stringify({
    model: 'claude-opus-4-8',
    max_tokens: 4096,
    stream: true,
    tools: [
      {
        name: 'Read',
        input_schema: { type: 'object', properties: { file_path: { type: 'string' } } },
      },
      {
        name: 'Bash',
        input_schema: { type: 'object', properties: { command: { type: 'string' } } },
      },
    ],
    messages: [
      {
        role: 'user',
        content: kind === 'upstream-fail' ? 'look around [upstream-fail]' : 'look around',
      },
    ],
  });
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    let firstDeltaMs: number | undefined;
    const req = request(
      `${options.proxyUrl}/v1/messages`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'x-api-key': options.proxyKey },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (firstDeltaMs === undefined && text.includes('content_block_delta')) {
            firstDeltaMs = performance.now() - startedAt;
            if (kind === 'client-cut') {
              req.destroy();
              resolve({ kind: 'cut', firstDeltaMs, violations: 0 });
            }
          }
        });
        res.on('end', () => {
          if (res.statusCode !== 200) {
            resolve({ kind: 'http-error', firstDeltaMs, violations: 0 });
            return;
          }
          const frames = parseFrames(text);
          const last = frames.at(-1)?.event;
          resolve({
            kind: last === 'message_stop' ? 'completed' : 'error-event',
            firstDeltaMs,
            violations: lifecycleViolations(frames).length,
          });
        });
        res.on('error', () => undefined); // a cut request's response errors on purpose
      },
    );
    req.setTimeout(options.requestTimeoutMs ?? 10_000, () =>
      req.destroy(new Error('no answer in time')),
    );
    req.on('error', (error) => {
      if (kind !== 'client-cut' || firstDeltaMs === undefined) reject(error);
    });
    req.end(body);
  });
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}
