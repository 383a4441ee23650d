/**
 * A model that refuses an optional parameter (PROTOCOL.md T9): an Azure deployment or a
 * compatible server hiding a reasoning model refuses `temperature`, and OpenAI refuses reasoning
 * summaries to organizations not yet verified. Parley sends the request again without it, once,
 * and leaves it out for that model from then on; the client sees only the answer.
 */
import { describe, expect, it } from 'vitest';
import type { ScriptedTurn } from '../support/mock-openai/script.ts';
import { postWithKey, useTestProxies } from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();

const refusal = (message: string, param: string): ScriptedTurn => ({
  fault: {
    kind: 'http-error',
    status: 400,
    body: {
      error: { message, type: 'invalid_request_error', param, code: 'unsupported_parameter' },
    },
  },
});
const answer: ScriptedTurn = { output: [{ type: 'text', text: 'Fine.' }] };

describe('a parameter the model refuses', () => {
  it('is left out of a second try, and of every later request to that model', async () => {
    // A deployment name the capability table cannot know is a reasoning model.
    const { mock, proxy } = await startTestProxy({
      file: { upstreamApi: 'chat', smallModel: 'my-reasoning-deployment' },
    });
    mock.enqueue(
      refusal(
        "Unsupported parameter: 'temperature' is not supported with this model.",
        'temperature',
      ),
      answer,
      answer,
    );
    // As Claude Code's Haiku calls send it (this SDK's types no longer list temperature).
    const ask = async () => {
      const response = await postWithKey(`${proxy.url}/v1/messages`, {
        model: 'claude-haiku-4-5-20251001',
        max_tokens: 100,
        temperature: 1,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { content: unknown };
    };
    expect((await ask()).content).toEqual([{ type: 'text', text: 'Fine.' }]);
    expect((await ask()).content).toEqual([{ type: 'text', text: 'Fine.' }]);
    const bodies = mock.requests.map((request) => request.body as Record<string, unknown>);
    expect(bodies.map((body) => body['temperature'])).toEqual([1, undefined, undefined]);
  });

  it('streams the answer after a refused reasoning summary, the effort kept', async () => {
    const { mock, client } = await startTestProxy();
    mock.enqueue(
      refusal(
        'Your organization must be verified to generate reasoning summaries.',
        'reasoning.summary',
      ),
      answer,
    );
    const message = await client()
      .messages.stream({
        model: 'claude-opus-4-8',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'Fine.' }]);
    const [first, second] = mock.requests.map((request) => request.body as Record<string, unknown>);
    expect(first?.['reasoning']).toEqual({ effort: 'medium', summary: 'auto' });
    expect(second?.['reasoning']).toEqual({ effort: 'medium' });
  });

  it('asks for the output that fits when a vLLM window cannot hold the output asked for', async () => {
    const { mock, client } = await startTestProxy({
      file: { provider: 'vllm', model: 'qwen3-32b' },
    });
    mock.enqueue(
      {
        fault: {
          kind: 'http-error',
          status: 400,
          body: {
            error: {
              message:
                "'max_tokens' or 'max_completion_tokens' is too large: 32000. This model's maximum context length is 32768 tokens and your request has 18000 input tokens (32000 > 32768 - 18000).",
              type: 'BadRequestError',
              param: null,
              code: 400,
            },
          },
        },
      },
      answer,
    );
    const message = await client().messages.create({
      model: 'claude-opus-4-8',
      max_tokens: 32000,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'Fine.' }]);
    const sent = mock.requests.map(
      (request) => (request.body as Record<string, unknown>)['max_tokens'],
    );
    expect(sent).toEqual([32000, 14768]);
  });

  it('does not hide any other bad request', async () => {
    const { mock, client } = await startTestProxy();
    mock.enqueue(refusal('Invalid schema for function Read.', 'tools[0].parameters'), answer);
    const failure = await client()
      .messages.create({
        model: 'claude-opus-4-8',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 400 });
    expect(mock.requests).toHaveLength(1);
  });
});
