/**
 * The HTTP surface that exists before any translation: health, HEAD /, the proxy key, the Host
 * and Origin guards, body limits and the fallbacks. Real HTTP on loopback; the official
 * Anthropic SDK where a client's view matters.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-http.ts';
import { TEST_PROXY_KEY, TEST_UPSTREAM_KEY, useTestProxies } from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();
const minimalMessage = {
  model: 'claude-opus-4-8',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'hi' }],
};

function errorOf(json: unknown): { type: string; message: string } {
  expect(json).toMatchObject({
    type: 'error',
    error: { type: expect.any(String), message: expect.any(String) },
  });
  return (json as { error: { type: string; message: string } }).error;
}

describe('health and HEAD /', () => {
  it('answers GET /health without a key, with no secrets in it', async () => {
    const { proxy } = await startTestProxy();
    const response = await rawRequest(`${proxy.url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.json).toMatchObject({
      status: 'ok',
      name: 'parley',
      upstream: { api: 'responses', keyConfigured: true },
    });
    expect(response.text).not.toContain(TEST_PROXY_KEY);
    expect(response.text).not.toContain(TEST_UPSTREAM_KEY);
  });

  it('hides credentials embedded in the upstream base URL', async () => {
    const { proxy } = await startTestProxy({
      file: { baseUrl: 'https://user:secret-pass@gateway.example/v1?token=abc' },
    });
    const response = await rawRequest(`${proxy.url}/health`);
    expect(response.json).toMatchObject({ upstream: { baseUrl: 'https://gateway.example/v1' } });
    expect(response.text).not.toContain('secret-pass');
    expect(response.text).not.toContain('token=abc');
  });

  it('answers HEAD / with 200 and no body, without a key (Claude Code sends it at start)', async () => {
    const { proxy } = await startTestProxy();
    const response = await rawRequest(`${proxy.url}/`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
  });

  it('sends a request-id header on every answer', async () => {
    const { proxy } = await startTestProxy();
    const [a, b] = await Promise.all([
      rawRequest(`${proxy.url}/health`),
      rawRequest(`${proxy.url}/v1/messages`, { method: 'POST' }),
    ]);
    expect(a.headers['request-id']).toMatch(/^req_[0-9a-f]{24}$/);
    expect(b.headers['request-id']).toMatch(/^req_[0-9a-f]{24}$/);
    expect(a.headers['request-id']).not.toBe(b.headers['request-id']);
    expect((b.json as { request_id?: string }).request_id).toBe(b.headers['request-id']);
  });
});

describe('the proxy key', () => {
  it('refuses a request without a key with a 401 that says what to set', async () => {
    const { proxy, settingsPath } = await startTestProxy();
    const response = await rawRequest(`${proxy.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(minimalMessage),
    });
    expect(response.status).toBe(401);
    const error = errorOf(response.json);
    expect(error.type).toBe('authentication_error');
    expect(error.message).toContain('Missing Parley proxy key');
    expect(error.message).toContain('ANTHROPIC_AUTH_TOKEN');
    expect(error.message).toContain(settingsPath);
    expect(response.text).not.toContain(TEST_PROXY_KEY);
  });

  it('is what the Anthropic SDK reports for a wrong key, via x-api-key or Bearer', async () => {
    const testProxy = await startTestProxy();
    for (const auth of [{ apiKey: 'not-the-key-123' }, { authToken: 'not-the-key-123' }]) {
      const failure = await testProxy
        .client(auth)
        .messages.create(minimalMessage)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Anthropic.AuthenticationError);
      const error = failure as InstanceType<typeof Anthropic.AuthenticationError>;
      expect(error.status).toBe(401);
      expect(error.message).toContain('Wrong Parley proxy key');
      expect(error.message).not.toContain(TEST_PROXY_KEY);
    }
  });

  it('tells the user when they sent an OpenAI or Anthropic key instead', async () => {
    const testProxy = await startTestProxy();
    const openai = await testProxy
      .client({ authToken: 'sk-proj-fake-abcdefghijklmnopqrstuvwxyz' })
      .messages.create(minimalMessage)
      .catch((error: unknown) => error);
    expect((openai as Error).message).toContain('looks like an OpenAI API key');
    const anthropic = await testProxy
      .client({ apiKey: 'sk-ant-api03-fake-abcdefghijklmnop' })
      .messages.create(minimalMessage)
      .catch((error: unknown) => error);
    expect((anthropic as Error).message).toContain('Anthropic API key');
  });

  it('lets the right key through to the next check (here: no upstream key, 401 naming OPENAI_API_KEY)', async () => {
    const testProxy = await startTestProxy({ env: {} });
    for (const auth of [{ apiKey: TEST_PROXY_KEY }, { authToken: TEST_PROXY_KEY }]) {
      const failure = await testProxy
        .client(auth)
        .messages.create(minimalMessage)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((failure as Error).message).toContain('set OPENAI_API_KEY');
    }
    expect(testProxy.mock.requests).toHaveLength(0);
  });

  it('accepts clients without a key under --no-auth', async () => {
    const { proxy } = await startTestProxy({ env: {}, flags: { requireAuth: false } });
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(minimalMessage),
    });
    expect(errorOf(response.json).message).toContain('OPENAI_API_KEY');
  });
});

describe('Host and Origin guards', () => {
  it.each(['evil.example', 'evil.example:8419', '192.168.1.10', '[::2]'])(
    'refuses Host %s with 403 (DNS rebinding)',
    async (host) => {
      const { proxy } = await startTestProxy();
      const response = await rawRequest(`${proxy.url}/health`, { headers: { host } });
      expect(response.status).toBe(403);
      expect(errorOf(response.json).type).toBe('permission_error');
    },
  );

  it.each(['localhost', '127.0.0.1', '127.0.0.2', '[::1]'])('accepts Host %s', async (name) => {
    const { proxy } = await startTestProxy();
    const response = await rawRequest(`${proxy.url}/health`, {
      headers: { host: `${name}:${proxy.port}` },
    });
    expect(response.status).toBe(200);
  });

  it('refuses a loopback Host naming another port, or none', async () => {
    const { proxy } = await startTestProxy();
    for (const host of [`127.0.0.1:${proxy.port + 1}`, 'localhost']) {
      const response = await rawRequest(`${proxy.url}/health`, { headers: { host } });
      expect(response.status).toBe(403);
      expect((response.json as { error: { message: string } }).error.message).toContain(
        `on its port ${proxy.port}`,
      );
    }
  });

  it('accepts a Host the user allowed in settings', async () => {
    const { proxy } = await startTestProxy({ file: { allowedHosts: ['devbox.lan'] } });
    const response = await rawRequest(`${proxy.url}/health`, {
      headers: { host: `devbox.lan:${proxy.port}` },
    });
    expect(response.status).toBe(200);
  });

  it('accepts only its own origin (the inspector page it serves), never another page', async () => {
    const { proxy } = await startTestProxy();
    const withOrigin = (origin: string, host = `127.0.0.1:${proxy.port}`) =>
      rawRequest(`${proxy.url}/v1/models`, {
        headers: { origin, host, 'x-api-key': TEST_PROXY_KEY },
      });
    expect((await withOrigin(`http://127.0.0.1:${proxy.port}`)).status).toBe(200);
    expect(
      (await withOrigin(`http://localhost:${proxy.port}`, `localhost:${proxy.port}`)).status,
    ).toBe(200);
    for (const origin of [
      `http://localhost:${proxy.port}`, // another origin than the Host this request names
      `http://127.0.0.1:${proxy.port + 1}`,
      `https://127.0.0.1:${proxy.port}`,
      'null',
      'http://evil.example',
    ]) {
      const response = await withOrigin(origin);
      expect(response.status, origin).toBe(403);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('refuses a request with a foreign Origin header, even with the right key', async () => {
    const { proxy } = await startTestProxy();
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: {
        origin: 'https://evil.example',
        'x-api-key': TEST_PROXY_KEY,
        'content-type': 'application/json',
        'anthropic-dangerous-direct-browser-access': 'true',
      },
      body: JSON.stringify(minimalMessage),
    });
    expect(response.status).toBe(403);
    expect(errorOf(response.json).type).toBe('permission_error');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('bodies and unknown routes', () => {
  const authed = { 'x-api-key': TEST_PROXY_KEY };

  it('refuses a text/plain POST (a browser simple request) with 400', async () => {
    const { proxy } = await startTestProxy();
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { ...authed, 'content-type': 'text/plain' },
      body: JSON.stringify(minimalMessage),
    });
    expect(response.status).toBe(400);
    expect(errorOf(response.json)).toEqual({
      type: 'invalid_request_error',
      message: expect.stringContaining('application/json'),
    });
  });

  it('answers malformed JSON with 400 invalid_request_error', async () => {
    const { proxy } = await startTestProxy();
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { ...authed, 'content-type': 'application/json' },
      body: '{"model": "claude-opus-4-8", ',
    });
    expect(response.status).toBe(400);
    expect(errorOf(response.json)).toEqual({
      type: 'invalid_request_error',
      message: 'Request body is not valid JSON.',
    });
  });

  it('answers a body over the limit with 413 request_too_large', async () => {
    const { proxy } = await startTestProxy({ file: { bodyLimitBytes: 4096 } });
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { ...authed, 'content-type': 'application/json' },
      body: JSON.stringify({
        ...minimalMessage,
        messages: [{ role: 'user', content: 'x'.repeat(10_000) }],
      }),
    });
    expect(response.status).toBe(413);
    expect(errorOf(response.json)).toEqual({
      type: 'request_too_large',
      message: expect.stringContaining('4096 bytes'),
    });
  });

  it('answers an unknown route with 404 naming the base URL to use', async () => {
    const { proxy } = await startTestProxy();
    const response = await rawRequest(`${proxy.url}/v1/complete`, {
      method: 'POST',
      headers: { ...authed, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(404);
    const error = errorOf(response.json);
    expect(error.type).toBe('not_found_error');
    expect(error.message).toContain(`ANTHROPIC_BASE_URL=${proxy.url}`);
  });

  it('spots a base URL that already ends in /v1', async () => {
    const { proxy } = await startTestProxy();
    const response = await rawRequest(`${proxy.url}/v1/v1/messages`, {
      method: 'POST',
      headers: { ...authed, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(404);
    expect(errorOf(response.json).message).toContain('ends in /v1');
  });
});

describe('request log', () => {
  it('writes one line per request at info, without the key', async () => {
    const { proxy, logLines } = await startTestProxy();
    await rawRequest(`${proxy.url}/health`);
    await rawRequest(`${proxy.url}/nope`, { headers: { 'x-api-key': TEST_PROXY_KEY } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const requestLines = logLines.filter((line) => / \d+ms/.test(line));
    expect(requestLines).toEqual([
      expect.stringMatching(/^info: GET \/health 200 \d+ms$/),
      expect.stringMatching(/^info: GET \/nope 404 \d+ms$/),
    ]);
    expect(logLines.join('\n')).not.toContain(TEST_PROXY_KEY);
  });
});
