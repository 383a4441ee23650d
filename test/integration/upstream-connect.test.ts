/**
 * The connect timeout, over real TCP on loopback. An upstream that never completes the
 * handshake is made from a listener whose process is stopped (SIGSTOP): the kernel queues a
 * backlog's worth of connections, then drops further SYNs, so the next connect hangs exactly as
 * it does to a host that does not answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_PROXY_KEY, TEST_UPSTREAM_KEY, useTestProxies } from '../support/test-proxy.ts';

const startTestProxy = useTestProxies();
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A port on 127.0.0.1 whose connect never completes. */
async function blackHolePort(): Promise<number> {
  const listener: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      "const s = require('node:net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const fillers: Socket[] = [];
  cleanups.push(() => {
    for (const socket of fillers) socket.destroy();
    listener.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve) => {
    listener.stdout?.setEncoding('utf8').once('data', (line: string) => {
      resolve(Number(line.trim()));
    });
  });
  listener.kill('SIGSTOP');
  // Fill the accept queue (backlog + 1 on Linux); the connects beyond it hang.
  for (let index = 0; index < 4; index += 1) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    fillers.push(socket);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  return port;
}

/** One small messages request, as Claude Code sends it. */
function ask(proxyUrl: string): Promise<Response> {
  return fetch(`${proxyUrl}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEST_PROXY_KEY },
    body: JSON.stringify({
      model: 'claude-opus-4-8',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
}

describe('upstream connect timeout', () => {
  it('answers 504 timeout_error naming the setting once the connect takes longer than upstreamConnectTimeoutMs', async () => {
    const port = await blackHolePort();
    const { proxy } = await startTestProxy({
      file: {
        baseUrl: `http://127.0.0.1:${port}/v1`,
        upstreamConnectTimeoutMs: 300,
        upstreamTimeoutMs: 30_000,
      },
    });
    const started = performance.now();
    const response = await ask(proxy.url);
    const elapsed = performance.now() - started;
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: {
        type: 'timeout_error',
        message: expect.stringMatching(
          /upstreamConnectTimeoutMs.*Connect Timeout Error/,
        ) as unknown,
      },
    });
    // The connect timeout, not the 30 s request timeout, ended it (retries are off in tests).
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('bounds the connection to an HTTP proxy the same way', async () => {
    const proxyPort = await blackHolePort();
    const { proxy } = await startTestProxy({
      env: { OPENAI_API_KEY: TEST_UPSTREAM_KEY, HTTP_PROXY: `http://127.0.0.1:${proxyPort}` },
      file: { upstreamConnectTimeoutMs: 300, upstreamTimeoutMs: 30_000 },
    });
    const started = performance.now();
    const response = await ask(proxy.url);
    expect(response.status).toBe(504);
    // Well before undici's own 10 s default, which would apply if the setting did not reach it.
    expect(performance.now() - started).toBeLessThan(8_000);
  });
});
