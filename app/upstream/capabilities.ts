/**
 * What Parley knows about an upstream model: limits and which parameters it takes. The
 * translators read limits only from here. A minimal table until the capabilities issue brings
 * maintained model metadata and user overrides.
 */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

export interface ModelCapabilities {
  readonly contextWindow: number;
  readonly maxOutputTokens: number;
  /** The Responses API rejects max_output_tokens below 16. */
  readonly minOutputTokens: number;
  /** Efforts the model accepts, lowest first; empty for models without reasoning. */
  readonly reasoningEfforts: readonly ReasoningEffort[];
  /** Reasoning models answer 400 to temperature and top_p. */
  readonly acceptsSampling: boolean;
  readonly webSearch: boolean;
}

interface Entry {
  readonly pattern: RegExp;
  readonly capabilities: ModelCapabilities;
}

const gpt5Efforts: readonly ReasoningEffort[] = ['minimal', 'low', 'medium', 'high'];
const gpt51Efforts: readonly ReasoningEffort[] = ['none', 'low', 'medium', 'high'];
const oSeriesEfforts: readonly ReasoningEffort[] = ['low', 'medium', 'high'];

const reasoningModel = (
  efforts: readonly ReasoningEffort[],
  contextWindow: number,
  maxOutputTokens: number,
): ModelCapabilities => ({
  contextWindow,
  maxOutputTokens,
  minOutputTokens: 16,
  reasoningEfforts: efforts,
  acceptsSampling: false,
  webSearch: true,
});
const chatModel = (
  contextWindow: number,
  maxOutputTokens: number,
  webSearch: boolean,
): ModelCapabilities => ({
  contextWindow,
  maxOutputTokens,
  minOutputTokens: 16,
  reasoningEfforts: [],
  acceptsSampling: true,
  webSearch,
});

/** First match wins: more specific names first. */
const table: readonly Entry[] = [
  {
    pattern: /^gpt-5\.[1-9](-codex)?(-mini)?(-\d{4}-\d{2}-\d{2})?$/,
    capabilities: reasoningModel(gpt51Efforts, 400_000, 128_000),
  },
  { pattern: /^gpt-5(\.\d+)?-chat/, capabilities: chatModel(128_000, 16_384, false) },
  { pattern: /^gpt-5/, capabilities: reasoningModel(gpt5Efforts, 400_000, 128_000) },
  { pattern: /^o[134](-|$)/, capabilities: reasoningModel(oSeriesEfforts, 200_000, 100_000) },
  { pattern: /^gpt-4\.1/, capabilities: chatModel(1_047_576, 32_768, true) },
  { pattern: /^gpt-4o/, capabilities: chatModel(128_000, 16_384, true) },
];

/** Safe defaults for a model Parley does not know: no reasoning parameters, modest limits. */
export const unknownModelCapabilities: ModelCapabilities = chatModel(128_000, 32_000, false);

export function capabilitiesFor(model: string): ModelCapabilities {
  return table.find((entry) => entry.pattern.test(model))?.capabilities ?? unknownModelCapabilities;
}
