/**
 * Upstream networking real setups need: a keyless local server, extra headers per provider, and
 * an HTTP proxy from the environment (the `parley serve` process, as users run it).
 */
import { readFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliProcess, type CliRun } from '../support/cli-process.ts';
import { startMockUpstream } from '../support/mock-openai/mock-upstream.ts';
import { rawRequest } from '../support/raw-http.ts';
import { useTempDirs } from '../support/temp-dir.ts';
import { useTestProxies } from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();
const tempDir = useTempDirs();
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const ask = {
  model: 'claude-opus-4-8',
  max_tokens: 100,
  messages: [{ role: 'user' as const, content: 'hi' }],
};

describe('providers', () => {
  it('calls a keyless local server without OPENAI_API_KEY, with a placeholder key', async () => {
    const { proxy, mock, client } = await startTestProxy({ env: {}, file: { provider: 'ollama' } });
    mock.enqueue({ output: [{ type: 'text', text: 'local answer' }] });
    const message = await client().messages.create(ask);
    expect(message.content).toEqual([{ type: 'text', text: 'local answer' }]);
    expect(mock.requests[0]?.path).toBe('/v1/chat/completions');
    expect(mock.requests[0]?.headers.authorization).toBe('Bearer parley-no-key');
    expect((await rawRequest(`${proxy.url}/health`)).json).toMatchObject({
      upstream: { api: 'chat', keyConfigured: true },
    });
  });

  it('sends the preset headers and the settings headers on every upstream request', async () => {
    const { mock, client } = await startTestProxy({
      file: {
        provider: 'openrouter',
        upstreamHeaders: { 'x-gateway-team': 'platform', 'Accept-Encoding': 'gzip' },
      },
    });
    mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
    await client().messages.create(ask);
    expect(mock.requests[0]?.headers).toMatchObject({
      'x-title': 'Parley',
      'x-gateway-team': 'platform',
    });
    // Parley undoes no compression, so none may be asked for.
    expect(mock.requests[0]?.headers).not.toHaveProperty('accept-encoding');
  });
});

/** A forward proxy on loopback that records what it carried: CONNECT tunnels and plain requests. */
async function startForwardProxy(): Promise<{
  url: string;
  seen: string[];
  close: () => Promise<void>;
}> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const target = new URL(req.url ?? '');
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url ?? ''}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream).add(client);
  });
  server.on('connection', (socket: Socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Asks `parley serve` (the built CLI, with this environment) one question; its answer and stderr. */
async function serveThrough(
  env: NodeJS.ProcessEnv,
  mockUrl: string,
): Promise<{ json: unknown; stderr: string }> {
  const configPath = join(await tempDir(), 'settings.json');
  const run: CliRun = runCliProcess(
    [
      'serve',
      '--port',
      '0',
      '--config',
      configPath,
      '--base-url',
      mockUrl,
      '--upstream-api',
      'chat',
      '--proxy-key',
      'proxy-key-for-this-test',
    ],
    { OPENAI_API_KEY: 'test-key-upstream', ...env },
  );
  cleanups.push(() => {
    run.child.kill('SIGKILL');
  });
  const [, url] = await run.waitForLine(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/);
  const response = await rawRequest(`${url ?? ''}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'proxy-key-for-this-test' },
    body: JSON.stringify(ask),
  });
  return { json: response.json, stderr: run.stderr() };
}

describe('an HTTP proxy from the environment', () => {
  it('carries the upstream requests of parley serve', async () => {
    const mock = await startMockUpstream();
    const forward = await startForwardProxy();
    cleanups.push(
      () => mock.close(),
      () => forward.close(),
    );
    mock.enqueue({ output: [{ type: 'text', text: 'through the proxy' }] });
    const { json, stderr } = await serveThrough(
      { HTTP_PROXY: forward.url, HTTPS_PROXY: forward.url },
      mock.url,
    );
    expect(json).toMatchObject({ content: [{ type: 'text', text: 'through the proxy' }] });
    const mockPort = new URL(mock.url).port;
    expect(forward.seen.some((line) => line.includes(`127.0.0.1:${mockPort}`))).toBe(true);
    expect(stderr).toContain(`upstream requests go through ${forward.url}`);
  });
});

describe('Azure OpenAI', () => {
  it('routes by deployment with api-version and sends the key as api-key', async () => {
    const { mock, client } = await startTestProxy({
      file: { provider: 'azure', azureApiVersion: '2024-10-21', model: 'my-gpt-deployment' },
    });
    // The test proxy points baseUrl at the mock's /v1; Azure wants the resource endpoint.
    expect(mock.url.endsWith('/v1')).toBe(true);
    mock.enqueue({ output: [{ type: 'text', text: 'from azure' }] });
    const message = await client().messages.create(ask);
    expect(message.content).toEqual([{ type: 'text', text: 'from azure' }]);
    expect(mock.requests[0]?.path).toBe(
      '/v1/openai/deployments/my-gpt-deployment/chat/completions?api-version=2024-10-21',
    );
    expect(mock.requests[0]?.headers['api-key']).toBe('test-key-upstream-0123456789');
    expect(mock.requests[0]?.headers.authorization).toBeUndefined();
    expect(mock.requests[0]?.body).toMatchObject({ max_completion_tokens: 100 });
  });
});

describe('an extra CA and NO_PROXY', () => {
  const tlsDir = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

  it('trusts an HTTPS upstream signed by the CA in NODE_EXTRA_CA_CERTS, and only then', async () => {
    const tls = {
      key: readFileSync(join(tlsDir, 'localhost-key.pem'), 'utf8'),
      cert: readFileSync(join(tlsDir, 'localhost-cert.pem'), 'utf8'),
    };
    const mock = await startMockUpstream({ tls });
    cleanups.push(() => mock.close());
    mock.enqueue({ output: [{ type: 'text', text: 'over TLS' }] });
    expect(
      (await serveThrough({ NODE_EXTRA_CA_CERTS: join(tlsDir, 'localhost-cert.pem') }, mock.url))
        .json,
    ).toMatchObject({
      content: [{ type: 'text', text: 'over TLS' }],
    });
    // Without the CA the certificate is refused: the upstream is unreachable, never trusted blindly.
    expect((await serveThrough({}, mock.url)).json).toMatchObject({
      error: { type: 'api_error', message: expect.stringContaining('Cannot reach the upstream') },
    });
  });

  it('goes direct to hosts listed in NO_PROXY', async () => {
    const mock = await startMockUpstream();
    const forward = await startForwardProxy();
    cleanups.push(
      () => mock.close(),
      () => forward.close(),
    );
    mock.enqueue({ output: [{ type: 'text', text: 'direct' }] });
    const { json } = await serveThrough(
      { HTTP_PROXY: forward.url, NO_PROXY: '127.0.0.1' },
      mock.url,
    );
    expect(json).toMatchObject({ content: [{ type: 'text', text: 'direct' }] });
    expect(forward.seen).toEqual([]);
  });
});
