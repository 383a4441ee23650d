/**
 * The `openai` SDK clients, built from settings. Every upstream call goes through one: auth,
 * retries with backoff, timeouts, typed errors and AbortSignal come from the SDK. The transport
 * under it is lean-fetch.ts and the reading of event streams upstream-events.ts, both measured.
 */
import OpenAI, { AzureOpenAI, type ClientOptions } from 'openai';
import type { Settings } from '../config/settings-schema.ts';
import { leanFetch } from './lean-fetch.ts';
import { upstreamDispatcher, type UpstreamProxy } from './network.ts';

export interface UpstreamClientOptions {
  readonly baseUrl: string;
  /** Undefined for keyless servers (Ollama, LM Studio): they get a placeholder. */
  readonly apiKey: string | undefined;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Azure OpenAI: deployments by model name, `api-version`, the `api-key` header. */
  readonly azure?: { readonly apiVersion: string };
  /** How long a connection may take to open (default undici's 10 s). */
  readonly connectTimeoutMs?: number;
  /** HTTP(S)_PROXY and NO_PROXY from the environment. */
  readonly proxy?: UpstreamProxy | undefined;
}

/** Sent to keyless local servers, which ignore it; the SDK refuses to start without a key. */
export const KEYLESS_PLACEHOLDER = 'parley-no-key';

export function createUpstreamClient(options: UpstreamClientOptions): OpenAI {
  // Calls go out through one undici dispatcher, which carries the connect timeout and the proxy.
  const dispatcher = upstreamDispatcher(options.connectTimeoutMs ?? 10_000, options.proxy);
  const network: Pick<ClientOptions, 'fetch'> = { fetch: leanFetch(dispatcher) };
  if (options.azure) {
    return new AzureOpenAI({
      endpoint: options.baseUrl,
      apiKey: options.apiKey ?? KEYLESS_PLACEHOLDER,
      apiVersion: options.azure.apiVersion,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      defaultHeaders: { ...options.headers },
      ...network,
    });
  }
  return new OpenAI({
    apiKey: options.apiKey ?? KEYLESS_PLACEHOLDER,
    baseURL: options.baseUrl,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    defaultHeaders: { ...options.headers },
    // Parley's own settings are the only source: the SDK must not read OPENAI_ORG_ID & co.
    organization: null,
    project: null,
    ...network,
  });
}

/** Where an upstream is and how to reach it: the run's own provider, or one a route names. */
export interface UpstreamTarget {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly client: 'openai' | 'azure';
}

/** The SDK client for a target, with the run's timeouts and retries. */
export function clientForTarget(
  target: UpstreamTarget,
  settings: Pick<
    Settings,
    'upstreamTimeoutMs' | 'upstreamConnectTimeoutMs' | 'upstreamMaxRetries' | 'azureApiVersion'
  >,
  proxy: UpstreamProxy | undefined,
): OpenAI {
  return createUpstreamClient({
    baseUrl: target.baseUrl,
    apiKey: target.apiKey,
    connectTimeoutMs: settings.upstreamConnectTimeoutMs,
    proxy,
    timeoutMs: settings.upstreamTimeoutMs,
    maxRetries: settings.upstreamMaxRetries,
    headers: withoutCompression(target.headers),
    ...(target.client === 'azure' ? { azure: { apiVersion: settings.azureApiVersion } } : {}),
  });
}

/**
 * The configured headers without `accept-encoding`: the lean fetch undoes no compression (none is
 * asked for), so a gzip body asked for in the settings would reach the SSE reader as noise.
 */
function withoutCompression(
  headers: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  const names = Object.keys(headers);
  if (!names.some((name) => name.toLowerCase() === 'accept-encoding')) return headers;
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'accept-encoding'),
  );
}

/** The base URL without credentials or query, safe to show in /health and logs. */
export function displayBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}`;
}
