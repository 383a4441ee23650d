import { describe, expect, it } from 'vitest';
import { routeProviders } from '../../../app/config/route-providers.ts';

const route = (provider: string) => ({ match: 'claude-haiku-*', model: 'm', provider });

describe('routeProviders', () => {
  it('resolves a preset named by a route, with its key from NAME_API_KEY', () => {
    const { providers, warnings } = routeProviders(
      { routes: [route('groq'), route('groq')], providers: {} },
      { GROQ_API_KEY: 'gsk-1' },
    );
    expect(providers).toEqual([
      expect.objectContaining({
        name: 'groq',
        baseUrl: 'https://api.groq.com/openai/v1',
        upstreamApi: 'chat',
        keyEnv: 'GROQ_API_KEY',
        apiKey: 'gsk-1',
        needsApiKey: true,
      }),
    ]);
    expect(warnings).toEqual([]);
  });

  it('applies a providers entry over its preset, and warns of a missing key', () => {
    const { providers, warnings } = routeProviders(
      {
        routes: [route('gpu-box')],
        providers: {
          'gpu-box': {
            preset: 'openrouter',
            baseUrl: 'http://10.0.0.5:8000/v1',
            upstreamApi: 'responses',
            apiKeyEnv: 'GPU_BOX_TOKEN',
            headers: { 'x-team': 'infra' },
          },
        },
      },
      {},
    );
    expect(providers[0]).toMatchObject({
      name: 'gpu-box',
      baseUrl: 'http://10.0.0.5:8000/v1',
      upstreamApi: 'responses',
      keyEnv: 'GPU_BOX_TOKEN',
      apiKey: undefined,
      headers: { 'X-Title': 'Parley', 'x-team': 'infra' },
    });
    expect(warnings).toEqual([expect.stringMatching(/^GPU_BOX_TOKEN is not set/)]);
  });

  it('needs no key for a keyless preset, and ignores routes without a provider', () => {
    const { providers, warnings } = routeProviders(
      { routes: [{ match: 'x', model: 'y' }, route('ollama')], providers: {} },
      {},
    );
    expect(providers.map((provider) => [provider.name, provider.needsApiKey])).toEqual([
      ['ollama', false],
    ]);
    expect(warnings).toEqual([]);
  });

  it('refuses an unknown provider, and one without a base URL, in one line each', () => {
    expect(() => routeProviders({ routes: [route('nope')], providers: {} }, {})).toThrow(
      /names provider "nope", which is neither a preset .* nor an entry of "providers"/,
    );
    expect(() => routeProviders({ routes: [route('custom')], providers: {} }, {})).toThrow(
      /provider "custom" needs a base URL/,
    );
  });
});
