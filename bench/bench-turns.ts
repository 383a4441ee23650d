/**
 * What the benchmarks send and what the mock upstream answers: a 200-delta text answer and a
 * two-tool-call turn, to a small coding-agent request with three tools (3 KB), and the real
 * 89 KB Claude Code turn from ../shared/fixtures when it is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScriptedTurn } from '../test/support/mock-openai/script.ts';
import { sharedFixturesDir } from '../test/support/shared-fixtures.ts';
import { BENCH_PROXY_KEY, type ParleyProcess } from './parley-process.ts';
import type { StreamTarget } from './stream-client.ts';

const words =
  'the quick brown fox jumps over a lazy dog while parley translates every delta '.repeat(12);
export const turns: Record<string, ScriptedTurn> = {
  // 800 characters in 4-character deltas: 200 text deltas.
  text: {
    output: [{ type: 'text', text: words.slice(0, 800) }],
    deltaSize: 4,
    usage: { input: 900, output: 200 },
  },
  // One delta: what a request costs apart from the events it streams.
  one: {
    output: [{ type: 'text', text: 'Done.' }],
    deltaSize: 8,
    usage: { input: 900, output: 2 },
  },
  tools: {
    output: [
      { type: 'text', text: 'Reading both files.' },
      {
        type: 'tool_call',
        name: 'Read',
        arguments: JSON.stringify({ file_path: '/home/user/project/src/index.ts', limit: 400 }),
      },
      {
        type: 'tool_call',
        name: 'Read',
        arguments: JSON.stringify({ file_path: '/home/user/project/src/server.ts', limit: 400 }),
      },
    ],
    deltaSize: 8,
    usage: { input: 900, output: 60 },
  },
};

/**
 * The mock's answer for a model name: `bench-text`, `bench-tools`, `bench-one`, and any of them
 * with `-paced` (5 ms between events).
 */
export function benchTurn(body: Record<string, unknown>): ScriptedTurn {
  const model = String(body['model']);
  const shape = model.replace(/^bench-|-paced$/g, '');
  const turn = turns[shape] ?? turns['text'];
  if (!turn) throw new Error('no scripted turns');
  return model.endsWith('-paced') ? { ...turn, delayMs: 5 } : turn;
}

export const tools = [
  {
    name: 'Read',
    description: 'Reads a file from the local filesystem.',
    input_schema: schema({ file_path: 'string', limit: 'number' }),
  },
  {
    name: 'Bash',
    description: 'Runs a shell command.',
    input_schema: schema({ command: 'string' }),
  },
  {
    name: 'Edit',
    description: 'Replaces a string in a file.',
    input_schema: schema({ file_path: 'string', old_string: 'string', new_string: 'string' }),
  },
];
export const system = "You are a coding agent working in the user's repository. ".repeat(16);
export const history = [
  { role: 'user', content: 'Look at the project and tell me what the server does.' },
  { role: 'assistant', content: 'I will read the entry point first.' },
  { role: 'user', content: 'Go ahead, and keep it short.' },
];

/** The Anthropic request the benchmarks send (`model` and `stream` are added per request). */
export const benchRequest = { max_tokens: 4096, system, messages: history, tools };

/**
 * A real Claude Code turn (89 KB: the whole history, 18 tools), when ../shared/fixtures is beside
 * the repo: what Parley reads, checks, translates and serialises again on every real request.
 */
export function claudeCodeTurn(): Record<string, unknown> | undefined {
  const file = join(sharedFixturesDir, 'claude-code', 'tool-result-turn.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { body: Record<string, unknown> }).body;
}

function schema(properties: Record<string, 'string' | 'number'>): object {
  return {
    type: 'object',
    properties: Object.fromEntries(
      Object.entries(properties).map(([name, type]) => [name, { type }]),
    ),
    required: Object.keys(properties),
    additionalProperties: false,
  };
}

/** A streaming request through Parley: the benchmark's request (or `turn`) for `model`. */
export function parleyTarget(parley: ParleyProcess, model: string, turn?: object): StreamTarget {
  const body = turn ?? benchRequest;
  return {
    url: `${parley.url}/v1/messages`,
    headers: { 'x-api-key': BENCH_PROXY_KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ ...body, model, stream: true }),
    deltaMarkers: ['event: content_block_delta'],
  };
}
