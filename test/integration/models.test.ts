/** GET /v1/models and /v1/models/{id} through the official SDK, in Anthropic's list shape. */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useTestProxies } from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();

describe('/v1/models', () => {
  it('lists the routed Claude names, then the upstream models, and pages through them', async () => {
    const { client } = await startTestProxy();
    const page = await client().models.list({ limit: 4 });
    expect(page.data.map((model) => model.id)).toEqual([
      'claude-opus-4-8',
      'claude-fable-5',
      'claude-haiku-4-5-20251001',
      'gpt-5.1',
    ]);
    expect(page.data[0]).toMatchObject({
      type: 'model',
      display_name: 'claude-opus-4-8 → gpt-5.1 (Parley)',
    });
    expect(page.data[2]?.display_name).toContain('→ gpt-5-mini');
    expect(page.has_more).toBe(true);
    const all: string[] = [];
    for await (const model of client().models.list({ limit: 2 })) all.push(model.id);
    expect(all).toEqual([
      'claude-opus-4-8',
      'claude-fable-5',
      'claude-haiku-4-5-20251001',
      'gpt-5.1',
      'gpt-5-mini',
      'gpt-4.1',
    ]);
  });

  it('fetches the upstream list once and keeps it', async () => {
    const { client, mock } = await startTestProxy();
    await client().models.list();
    await client().models.list();
    expect(mock.requests.filter((request) => request.path.startsWith('/v1/models'))).toHaveLength(
      1,
    );
  });

  it('retrieves one model: any Claude name with its route, an upstream model as listed', async () => {
    const { client } = await startTestProxy();
    expect(await client().models.retrieve('claude-opus-5-preview')).toMatchObject({
      id: 'claude-opus-5-preview',
      display_name: 'claude-opus-5-preview → gpt-5.1 (Parley)',
    });
    expect(await client().models.retrieve('gpt-4.1')).toMatchObject({
      type: 'model',
      id: 'gpt-4.1',
    });
    const missing = await client()
      .models.retrieve('no-such-model')
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
  });

  it('answers an upstream failure as the mapped Anthropic error, and tries again next time', async () => {
    const { client, mock } = await startTestProxy();
    mock.setModels({
      status: 401,
      body: {
        error: {
          message: 'Incorrect API key provided',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
          param: null,
        },
      },
    });
    const failure = await client()
      .models.list()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((failure as Error).message).toContain('OPENAI_API_KEY');
    mock.setModels(['gpt-5.1']);
    const page = await client().models.list();
    expect(page.data.map((model) => model.id)).toContain('gpt-5.1');
  });
});
