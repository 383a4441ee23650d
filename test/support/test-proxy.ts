/**
 * Starts the real proxy in-process on port 0 with a temporary settings file, in front of a mock
 * OpenAI upstream. Integration tests talk to it over real HTTP on loopback.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterEach } from 'vitest';
import { loadSettings, startProxy, type ProxyHandle } from '../../app/index.ts';
import type { FlagValues } from '../../app/config/load-settings.ts';
import type { Logger } from '../../app/log.ts';
import { startMockUpstream, type MockUpstream } from './mock-openai/mock-upstream.ts';
import { useTempDirs } from './temp-dir.ts';

export const TEST_PROXY_KEY = 'test-key-proxy-0123456789';
export const TEST_UPSTREAM_KEY = 'test-key-upstream-0123456789';

/** POSTs a JSON body with the test proxy key, as a client other than the SDK would. */
export function postWithKey(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEST_PROXY_KEY },
    body: JSON.stringify(body),
  });
}

export interface TestProxy {
  readonly proxy: ProxyHandle;
  readonly mock: MockUpstream;
  readonly settingsPath: string;
  readonly logLines: string[];
  /** An official Anthropic SDK client pointed at the proxy (no SDK retries). */
  readonly client: (options?: { apiKey?: string | null; authToken?: string | null }) => Anthropic;
}

export interface TestProxyOptions {
  /** Settings file contents (merged over the test defaults). */
  readonly file?: Record<string, unknown>;
  readonly env?: NodeJS.ProcessEnv;
  readonly flags?: FlagValues;
}

/** Registers cleanup for every proxy the returned function starts. */
export function useTestProxies(): (options?: TestProxyOptions) => Promise<TestProxy> {
  const tempDir = useTempDirs();
  const running: TestProxy[] = [];
  afterEach(async () => {
    await Promise.all(
      running.splice(0).map(async ({ proxy, mock }) => {
        await proxy.close(0);
        await mock.close();
      }),
    );
  });
  return async (options = {}) => {
    const mock = await startMockUpstream();
    const settingsPath = join(await tempDir(), 'settings.json');
    await writeFile(
      settingsPath,
      JSON.stringify({
        port: 0,
        proxyKey: TEST_PROXY_KEY,
        baseUrl: mock.url,
        upstreamMaxRetries: 0,
        ...options.file,
      }),
    );
    const loaded = await loadSettings({
      configPath: settingsPath,
      env: options.env ?? { OPENAI_API_KEY: TEST_UPSTREAM_KEY },
      flags: options.flags ?? {},
    });
    const { logger, lines: logLines } = capturingLogger();
    const proxy = await startProxy({ loaded, logger });
    const handle: TestProxy = {
      proxy,
      mock,
      settingsPath,
      logLines,
      client: (auth = { authToken: TEST_PROXY_KEY }) =>
        new Anthropic({
          baseURL: proxy.url,
          apiKey: auth.apiKey ?? null,
          authToken: auth.authToken ?? null,
          maxRetries: 0,
          timeout: 10_000,
        }),
    };
    running.push(handle);
    return handle;
  };
}

/** A logger that keeps every line, prefixed with its level, for a test to read. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger: Logger = {
    error: (line) => lines.push(`error: ${line}`),
    warn: (line) => lines.push(`warn: ${line}`),
    info: (line) => lines.push(`info: ${line}`),
    debug: (line) => lines.push(`debug: ${line}`),
  };
  return { logger, lines };
}
