/**
 * The one `openai` SDK client of a run, built from settings. Every upstream call goes through
 * it: SSE parsing, retries with backoff, typed errors and AbortSignal come from the SDK.
 */
import OpenAI, { AzureOpenAI } from 'openai';

export interface UpstreamClientOptions {
  readonly baseUrl: string;
  /** Undefined for keyless servers (Ollama, LM Studio): they get a placeholder. */
  readonly apiKey: string | undefined;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Azure OpenAI: deployments by model name, `api-version`, the `api-key` header. */
  readonly azure?: { readonly apiVersion: string };
}

/** Sent to keyless local servers, which ignore it; the SDK refuses to start without a key. */
export const KEYLESS_PLACEHOLDER = 'parley-no-key';

export function createUpstreamClient(options: UpstreamClientOptions): OpenAI {
  if (options.azure) {
    return new AzureOpenAI({
      endpoint: options.baseUrl,
      apiKey: options.apiKey ?? KEYLESS_PLACEHOLDER,
      apiVersion: options.azure.apiVersion,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      defaultHeaders: { ...options.headers },
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
  });
}

/** The base URL without credentials or query, safe to show in /health and logs. */
export function displayBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}`;
}
