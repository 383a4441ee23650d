/**
 * POST /v1/messages/count_tokens through the official SDK: counted locally, the same number the
 * translation and tokenizer give, no upstream call, no upstream key needed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { validateMessagesRequest } from '../../app/protocol/messages-request.ts';
import { toResponsesRequest } from '../../app/translate/to-responses-request.ts';
import { capabilitiesFor } from '../../app/upstream/capabilities.ts';
import { countRequestTokens } from '../../app/upstream/token-count.ts';
import { rawRequest } from '../support/raw-http.ts';
import { sharedFixturesAvailable, sharedFixturesDir } from '../support/shared-fixtures.ts';
import { TEST_PROXY_KEY, useTestProxies } from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();
const tools = [
  {
    name: 'Bash',
    description: 'Run a command',
    input_schema: {
      type: 'object' as const,
      properties: { command: { type: 'string' } },
      required: ['command'],
    },
  },
];
const messages = [{ role: 'user' as const, content: 'How many files are in this folder?' }];

function expectedCount(body: Record<string, unknown>): number {
  const validation = validateMessagesRequest({ max_tokens: 16, ...body });
  if (!validation.ok) throw new Error(validation.message);
  const translated = toResponsesRequest(validation.value, {
    upstreamModel: 'gpt-5.1',
    capabilities: capabilitiesFor('gpt-5.1'),
    hash: (value) => value,
  });
  return countRequestTokens(translated.body, 'gpt-5.1');
}

describe('count_tokens', () => {
  it('answers with the local count, without calling the upstream or needing its key', async () => {
    const { mock, client } = await startTestProxy({ env: {} });
    const counted = await client().messages.countTokens({
      model: 'claude-opus-4-8',
      messages,
      tools,
    });
    expect(counted).toEqual({
      input_tokens: expectedCount({ model: 'claude-opus-4-8', messages, tools }),
    });
    const withoutTools = await client().messages.countTokens({
      model: 'claude-opus-4-8',
      messages,
    });
    expect(withoutTools.input_tokens).toBeLessThan(counted.input_tokens);
    expect(mock.requests).toHaveLength(0);
  });

  it('answers 50 parallel calls (Claude Code sends 14 at once for /context) with the same figures', async () => {
    const { client } = await startTestProxy();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client().messages.countTokens({
          model: 'claude-opus-4-8',
          messages: [{ role: 'user', content: `section ${i % 5}` }],
        }),
      ),
    );
    for (const [i, answer] of answers.entries()) {
      expect(answer.input_tokens).toBe(
        expectedCount({
          model: 'claude-opus-4-8',
          messages: [{ role: 'user', content: `section ${i % 5}` }],
        }),
      );
    }
  });

  it('counts a prompt holding special-token text, where the tokenizer would refuse it', async () => {
    const { client } = await startTestProxy();
    const withTemplate = [
      { role: 'user' as const, content: 'Strip <|endoftext|> and <|im_start|>.' },
    ];
    const counted = await client().messages.countTokens({
      model: 'claude-opus-4-8',
      messages: withTemplate,
    });
    expect(counted).toEqual({
      input_tokens: expectedCount({ model: 'claude-opus-4-8', messages: withTemplate }),
    });
  });

  it('names the field of a bad request', async () => {
    const { client } = await startTestProxy();
    const failure = await client()
      .messages.countTokens({
        model: 'claude-opus-4-8',
        messages: [{ role: 'user', content: [{ type: 'image' } as never] }],
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.BadRequestError);
    expect((failure as Error).message).toContain('messages.0.content.0.source');
  });

  it.skipIf(!sharedFixturesAvailable())(
    'answers the recorded Claude Code count_tokens request',
    async () => {
      const { proxy } = await startTestProxy();
      const recorded = JSON.parse(
        readFileSync(join(sharedFixturesDir, 'claude-code', 'count-tokens.json'), 'utf8'),
      ) as { path: string; body: Record<string, unknown> };
      const response = await rawRequest(`${proxy.url}${recorded.path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': TEST_PROXY_KEY,
          'anthropic-beta': 'token-counting-2024-11-01',
        },
        body: JSON.stringify(recorded.body),
      });
      expect(response.status).toBe(200);
      expect(response.json).toEqual({ input_tokens: expectedCount(recorded.body) });
      expect((response.json as { input_tokens: number }).input_tokens).toBeGreaterThan(1000); // 8 tools with long descriptions
    },
  );
});

describe('pre-flight', () => {
  it('answers a prompt over the context window at once with the 400 Claude Code compacts on', async () => {
    const { mock, client } = await startTestProxy({ file: { model: 'gpt-4o' } });
    const huge = 'lorem ipsum dolor sit amet '.repeat(30_000); // ~150k tokens, gpt-4o holds 128k
    const failure = await client()
      .messages.create({
        model: 'claude-opus-4-8',
        max_tokens: 100,
        messages: [{ role: 'user', content: huge }],
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.BadRequestError);
    expect((failure as Error).message).toMatch(/prompt is too long: \d+ tokens > 128000 maximum/);
    expect(mock.requests).toHaveLength(0);
  });

  it('lets a large prompt within the window through', async () => {
    const { mock, client } = await startTestProxy({ file: { model: 'gpt-4o' } });
    mock.enqueue({ output: [{ type: 'text', text: 'read it' }] });
    const large = 'lorem ipsum dolor sit amet '.repeat(12_000); // ~60k tokens
    const message = await client().messages.create({
      model: 'claude-opus-4-8',
      max_tokens: 100,
      messages: [{ role: 'user', content: large }],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'read it' }]);
  });
});

describe('calibration', () => {
  it('compares each request’s local count with the input the upstream reported', async () => {
    const { proxy, mock, client } = await startTestProxy();
    // Calibration measures the counts Parley gives: it starts once something has counted.
    await client().messages.countTokens({ model: 'claude-opus-4-8', messages });
    mock.enqueue(
      { output: [{ type: 'text', text: 'a' }], usage: { input: 1000, cached: 400, output: 5 } },
      { output: [{ type: 'text', text: 'b' }], usage: { input: 30, output: 5 } },
    );
    await client().messages.create({ model: 'claude-opus-4-8', max_tokens: 100, messages });
    await client()
      .messages.stream({ model: 'claude-opus-4-8', max_tokens: 100, messages })
      .finalMessage();
    await new Promise((resolve) => setImmediate(resolve));
    const counted = expectedCount({ model: 'claude-opus-4-8', messages });
    expect(proxy.calibration.figures()['gpt-5.1']).toEqual({
      samples: 2,
      meanRelativeError: ((counted - 1000) / 1000 + (counted - 30) / 30) / 2,
      meanAbsoluteRelativeError:
        (Math.abs(counted - 1000) / 1000 + Math.abs(counted - 30) / 30) / 2,
      lastCounted: counted,
      lastReported: 30,
    });
    expect((await rawRequest(`${proxy.url}/health`)).json).toMatchObject({
      tokenCounting: { 'gpt-5.1': { samples: 2 } },
    });
  });
});
