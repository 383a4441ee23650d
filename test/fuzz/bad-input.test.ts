/**
 * Bad input, systematically: thousands of requests — real Claude Code requests with random
 * parts deleted or replaced, and random Messages requests, valid and not — each sent over real
 * HTTP, streaming or not. Every one must be answered with a success or an Anthropic-shaped 4xx:
 * never a 500, a crash, a hang or a stack trace.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lifecycleViolations } from '../../app/translate/lifecycle.ts';
import { parseFrames } from '../support/anthropic-sse.ts';
import { sharedFixturesAvailable, sharedFixturesDir } from '../support/shared-fixtures.ts';
import { TEST_PROXY_KEY, useTestProxies } from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

function post(url: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/messages?beta=true`,
      {
        method: 'POST',
        agent,
        timeout: 5_000,
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_PROXY_KEY },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type']),
            text,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** How many answers were successes and refusals, so a run that only ever hit one is caught. */
const seen = { success: 0, refused: 0 };

/** The promise of this suite, for one answer. */
function expectWellFormed(answer: Answer): void {
  if (answer.status === 200) seen.success += 1;
  else seen.refused += 1;
  expect(answer.text).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace, ever
  if (answer.status === 200 && answer.contentType.startsWith('text/event-stream')) {
    expect(lifecycleViolations(parseFrames(answer.text))).toEqual([]);
    return;
  }
  if (answer.status === 200) {
    expect(JSON.parse(answer.text)).toMatchObject({ type: 'message', role: 'assistant' });
    return;
  }
  expect([400, 404, 413]).toContain(answer.status);
  expect(JSON.parse(answer.text)).toMatchObject({
    type: 'error',
    error: { type: expect.any(String), message: expect.any(String) },
  });
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Deletes or replaces the node at a path of child choices (each choice taken modulo the size). */
function mutate(
  value: Json,
  path: readonly number[],
  action: 'delete' | 'replace',
  replacement: Json,
): Json {
  if (path.length === 0 || value === null || typeof value !== 'object')
    return action === 'replace' ? replacement : null;
  const [choice = 0, ...rest] = path;
  if (Array.isArray(value)) {
    if (value.length === 0) return value;
    const at = choice % value.length;
    const copy = [...value];
    if (rest.length === 0 && action === 'delete') copy.splice(at, 1);
    else copy[at] = mutate(copy[at] ?? null, rest, action, replacement);
    return copy;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return value;
  const key = keys[choice % keys.length] ?? '';
  if (rest.length === 0 && action === 'delete') {
    return Object.fromEntries(Object.entries(value).filter(([name]) => name !== key));
  }
  return { ...value, [key]: mutate(value[key] ?? null, rest, action, replacement) };
}

const recorded: Json[] = sharedFixturesAvailable()
  ? readdirSync(join(sharedFixturesDir, 'claude-code'))
      .filter((file) => file.endsWith('.json') && file !== 'manifest.json')
      .map(
        (file) =>
          (
            JSON.parse(readFileSync(join(sharedFixturesDir, 'claude-code', file), 'utf8')) as {
              body: Json;
            }
          ).body,
      )
  : [];

const block = fc.oneof(
  fc.record({ type: fc.constant('text'), text: fc.string() }),
  fc.record({
    type: fc.constant('image'),
    source: fc.record(
      {
        type: fc.constantFrom('base64', 'url', 'file'),
        media_type: fc.string(),
        data: fc.string(),
        url: fc.string(),
      },
      { requiredKeys: ['type'] },
    ),
  }),
  fc.record({
    type: fc.constant('tool_use'),
    id: fc.string(),
    name: fc.string(),
    input: fc.jsonValue(),
  }),
  fc.record(
    {
      type: fc.constant('tool_result'),
      tool_use_id: fc.string(),
      content: fc.oneof(
        fc.string(),
        fc.array(fc.record({ type: fc.constant('text'), text: fc.string() })),
      ),
      is_error: fc.boolean(),
    },
    { requiredKeys: ['type', 'tool_use_id'] },
  ),
  fc.record({ type: fc.constant('thinking'), thinking: fc.string(), signature: fc.string() }),
  fc.record({ type: fc.string(), anything: fc.jsonValue() }),
);
const randomRequest = fc.record(
  {
    model: fc.oneof(fc.constantFrom('claude-opus-4-8', 'claude-haiku-4-5', 'gpt-4.1'), fc.string()),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 200_000 }), fc.constant('many')),
    messages: fc.array(
      fc.record({
        role: fc.constantFrom('user', 'assistant', 'system', 'tool'),
        content: fc.oneof(fc.string(), fc.array(block, { maxLength: 4 })),
      }),
      { maxLength: 5 },
    ),
    system: fc.oneof(
      fc.string(),
      fc.array(fc.record({ type: fc.constant('text'), text: fc.string() })),
    ),
    tools: fc.array(
      fc.record({
        name: fc.string(),
        input_schema: fc.oneof(fc.constant({ type: 'object' }), fc.jsonValue()),
      }),
      { maxLength: 3 },
    ),
    tool_choice: fc.record(
      { type: fc.constantFrom('auto', 'any', 'tool', 'none', 'bogus'), name: fc.string() },
      { requiredKeys: ['type'] },
    ),
    temperature: fc.double({ noNaN: true }),
    stop_sequences: fc.array(fc.string(), { maxLength: 3 }),
    thinking: fc.record(
      { type: fc.constantFrom('enabled', 'disabled', 'adaptive'), budget_tokens: fc.integer() },
      { requiredKeys: ['type'] },
    ),
    stream: fc.boolean(),
  },
  { requiredKeys: [] },
);

describe('bad input', () => {
  it(
    'answers random Messages requests, valid and not, with a success or an Anthropic-shaped 4xx',
    { timeout: 120_000 },
    async () => {
      const { proxy, mock } = await startTestProxy({ file: { upstreamApi: 'responses' } });
      mock.setDefaultTurn({ output: [{ type: 'text', text: 'ok' }] });
      await fc.assert(
        fc.asyncProperty(randomRequest, async (body) => {
          expectWellFormed(await post(proxy.url, JSON.stringify(body)));
        }),
        { numRuns: 1_000, seed: 20261124 },
      );
      expect(seen.refused).toBeGreaterThan(100);
    },
  );

  it.skipIf(recorded.length === 0)(
    'answers mutated Claude Code requests the same way, through either API',
    { timeout: 120_000 },
    async () => {
      for (const upstreamApi of ['responses', 'chat'] as const) {
        const { proxy, mock } = await startTestProxy({ file: { upstreamApi } });
        mock.setDefaultTurn({
          output: [
            { type: 'text', text: 'ok' },
            { type: 'tool_call', name: 'Bash', arguments: '{"command":"ls"}' },
          ],
        });
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...recorded),
            fc.array(fc.nat(), { maxLength: 7 }),
            fc.constantFrom('delete' as const, 'replace' as const),
            fc.jsonValue() as fc.Arbitrary<Json>,
            fc.boolean(),
            async (body, path, action, replacement, stream) => {
              const mutated = mutate(body, path, action, replacement);
              const sent =
                typeof mutated === 'object' && mutated !== null && !Array.isArray(mutated)
                  ? { ...mutated, stream }
                  : mutated;
              expectWellFormed(await post(proxy.url, JSON.stringify(sent)));
            },
          ),
          { numRuns: 750, seed: 20261124 },
        );
      }
      // Most mutations leave a request Claude Code could send; some break it.
      expect(seen.success).toBeGreaterThan(300);
      expect(seen.refused).toBeGreaterThan(100);
    },
  );
});
