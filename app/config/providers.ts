/**
 * Provider presets: plain data. A preset fills in base URL, upstream API and whether a key is
 * needed; anything set in the settings file, the environment or a flag overrides it.
 */
import type { SettingsLayer } from './settings-schema.ts';

/** How a Chat Completions server differs from OpenAI's, where the translation must care. */
export interface ChatDialect {
  /** OpenAI wants `max_completion_tokens`; most compatible servers only know `max_tokens`. */
  readonly maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /** DeepSeek's thinking mode requires earlier turns' reasoning back (T13); others reject it. */
  readonly reasoningContentBack: boolean;
  /** Whether system text may go as a `developer` message (OpenAI reasoning models want it). */
  readonly developerRole: boolean;
  /** Whether PDFs may go as `file` content parts (OpenAI); elsewhere a PDF is a clear 400. */
  readonly fileParts: boolean;
  /** Whether the hashed user id may go as `safety_identifier` (unknown fields upset some servers). */
  readonly safetyIdentifier: boolean;
  /** Most tools one request may declare. */
  readonly maxTools: number;
  /**
   * Gemini 3 signs its tool calls (`extra_content.google.thought_signature`) and answers 400 to a
   * history whose calls come back without their signature.
   */
  readonly thoughtSignatures: boolean;
}

export interface ProviderPreset {
  readonly label: string;
  readonly settings: SettingsLayer;
  /** Whether the upstream needs OPENAI_API_KEY; keyless servers get a placeholder. */
  readonly needsApiKey: boolean;
  readonly chat: ChatDialect;
  /** Headers the provider asks of its clients; settings' upstreamHeaders add to them. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Azure routes by deployment and api-version and sends `api-key`: the SDK's Azure client. */
  readonly client?: 'openai' | 'azure';
  /** The preset has no base URL of its own: the user must give one. */
  readonly needsBaseUrl?: string;
}

const compatible: ChatDialect = {
  maxTokensField: 'max_tokens',
  reasoningContentBack: false,
  developerRole: false,
  fileParts: false,
  safetyIdentifier: false,
  maxTools: 128,
  thoughtSignatures: false,
};

export const providerPresets: Readonly<Record<string, ProviderPreset>> = {
  openai: {
    label: 'OpenAI',
    settings: { baseUrl: 'https://api.openai.com/v1', upstreamApi: 'responses' },
    needsApiKey: true,
    chat: {
      maxTokensField: 'max_completion_tokens',
      reasoningContentBack: false,
      developerRole: true,
      fileParts: true,
      safetyIdentifier: true,
      maxTools: 128,
      thoughtSignatures: false,
    },
  },
  deepseek: {
    label: 'DeepSeek',
    settings: {
      baseUrl: 'https://api.deepseek.com/v1',
      upstreamApi: 'chat',
      // deepseek-chat and deepseek-reasoner went away on 2026-07-24 (api-docs.deepseek.com).
      model: 'deepseek-v4-pro',
      smallModel: 'deepseek-v4-flash',
    },
    needsApiKey: true,
    chat: { ...compatible, reasoningContentBack: true },
  },
  openrouter: {
    label: 'OpenRouter',
    settings: { baseUrl: 'https://openrouter.ai/api/v1', upstreamApi: 'chat' },
    needsApiKey: true,
    // OpenRouter's app attribution: requests show up under this name in its dashboards.
    headers: { 'X-Title': 'Parley' },
    chat: compatible,
  },
  groq: {
    label: 'Groq',
    settings: { baseUrl: 'https://api.groq.com/openai/v1', upstreamApi: 'chat' },
    needsApiKey: true,
    chat: compatible,
  },
  gemini: {
    label: 'Gemini (OpenAI-compatible endpoint)',
    settings: {
      baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai',
      upstreamApi: 'chat',
    },
    needsApiKey: true,
    chat: { ...compatible, thoughtSignatures: true },
  },
  ollama: {
    label: 'Ollama',
    settings: { baseUrl: 'http://127.0.0.1:11434/v1', upstreamApi: 'chat' },
    needsApiKey: false,
    chat: compatible,
  },
  lmstudio: {
    label: 'LM Studio',
    settings: { baseUrl: 'http://127.0.0.1:1234/v1', upstreamApi: 'chat' },
    needsApiKey: false,
    chat: compatible,
  },
  vllm: {
    label: 'vLLM',
    settings: { baseUrl: 'http://127.0.0.1:8000/v1', upstreamApi: 'chat' },
    needsApiKey: false,
    chat: compatible,
  },
  azure: {
    label: 'Azure OpenAI',
    settings: { upstreamApi: 'chat' },
    needsApiKey: true,
    client: 'azure',
    needsBaseUrl: 'your resource endpoint, e.g. https://NAME.openai.azure.com',
    chat: {
      ...compatible,
      maxTokensField: 'max_completion_tokens',
      developerRole: true,
      fileParts: true,
    },
  },
  custom: {
    label: 'Custom OpenAI-compatible server',
    settings: { upstreamApi: 'chat' },
    needsApiKey: false,
    needsBaseUrl: "the server's OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1",
    chat: compatible,
  },
};

export function providerPreset(name: string): ProviderPreset | undefined {
  return Object.hasOwn(providerPresets, name) ? providerPresets[name] : undefined;
}
