/**
 * What Parley knows about an upstream model: limits and which parameters it takes. The
 * translators read limits only from here. Context window, output limit, reasoning and image
 * input come from the model metadata gpt-tokenizer maintains; the reasoning efforts a family
 * accepts and its hosted web search from the small table below (the metadata has neither); then
 * the user's overrides from settings. Unknown models get safe defaults.
 * Pricing is not taken from that metadata: it disagrees with OpenAI's price list for models
 * checked (gpt-4.1), so the per-request cost estimate waits for a source that is right.
 */
import * as knownModels from 'gpt-tokenizer/models';

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
  /** Images for a model without image input are replaced by a line of text, not sent. */
  readonly imageInput: boolean;
}

const OVERRIDABLE = [
  'contextWindow',
  'maxOutputTokens',
  'reasoningEfforts',
  'acceptsSampling',
  'imageInput',
] as const;

/** What a user may set per model in settings (`models`); other fields there are not limits. */
export type CapabilityOverrides = {
  readonly [K in (typeof OVERRIDABLE)[number]]?: ModelCapabilities[K] | undefined;
};

interface Family {
  readonly pattern: RegExp;
  readonly reasoningEfforts: readonly ReasoningEffort[];
  readonly webSearch: boolean;
}

/** First match wins: more specific names first. */
const families: readonly Family[] = [
  { pattern: /^gpt-5(\.\d+)?-chat/, reasoningEfforts: [], webSearch: false },
  {
    pattern: /^gpt-5\.[1-9]/,
    reasoningEfforts: ['none', 'low', 'medium', 'high'],
    webSearch: true,
  },
  { pattern: /^gpt-5/, reasoningEfforts: ['minimal', 'low', 'medium', 'high'], webSearch: true },
  // OpenAI's web search guide lists neither o1 nor o3-mini, nor gpt-4.1-nano.
  { pattern: /^o1(-|$)|^o3-mini/, reasoningEfforts: ['low', 'medium', 'high'], webSearch: false },
  { pattern: /^o[34](-|$)/, reasoningEfforts: ['low', 'medium', 'high'], webSearch: true },
  { pattern: /^gpt-4\.1-nano/, reasoningEfforts: [], webSearch: false },
  { pattern: /^gpt-4\.1|^gpt-4o/, reasoningEfforts: [], webSearch: true },
];

/** Safe defaults for a model Parley does not know: no reasoning parameters, modest limits. */
export const unknownModelCapabilities: ModelCapabilities = {
  contextWindow: 128_000,
  maxOutputTokens: 32_000,
  minOutputTokens: 16,
  reasoningEfforts: [],
  acceptsSampling: true,
  webSearch: false,
  imageInput: true,
};

interface KnownSpec {
  readonly context_window?: number;
  readonly max_output_tokens?: number;
  readonly reasoning_tokens?: boolean;
  readonly modalities?: { readonly input?: readonly string[] };
}

export function capabilitiesFor(
  model: string,
  overrides: CapabilityOverrides = {},
): ModelCapabilities {
  const base = baseModel(model);
  const family = families.find((candidate) => candidate.pattern.test(base));
  const spec = specFor(base);
  const reasoning =
    spec?.reasoning_tokens ?? (family !== undefined && family.reasoningEfforts.length > 0);
  const efforts = reasoning
    ? family?.reasoningEfforts.length
      ? family.reasoningEfforts
      : (['low', 'medium', 'high'] as const)
    : [];
  return {
    contextWindow: spec?.context_window ?? unknownModelCapabilities.contextWindow,
    maxOutputTokens: spec?.max_output_tokens ?? unknownModelCapabilities.maxOutputTokens,
    minOutputTokens: 16,
    reasoningEfforts: efforts,
    acceptsSampling: !reasoning,
    webSearch: family?.webSearch ?? false,
    imageInput: spec?.modalities?.input?.includes('image') ?? true,
    // Only what the user set: an absent field keeps the table's value.
    ...Object.fromEntries(
      OVERRIDABLE.flatMap((key) => (overrides[key] === undefined ? [] : [[key, overrides[key]]])),
    ),
  };
}

/** A fine-tuned model (`ft:o4-mini-2025-04-16:org::id`) can do what its base model can. */
function baseModel(model: string): string {
  return model.startsWith('ft:') ? (model.split(':')[1] ?? model) : model;
}

/** The metadata of a model by its name or its dated snapshot name. */
function specFor(model: string): KnownSpec | undefined {
  const table = knownModels as unknown as Readonly<Record<string, KnownSpec | undefined>>;
  const undated = model.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  return Object.hasOwn(table, model)
    ? table[model]
    : Object.hasOwn(table, undated)
      ? table[undated]
      : undefined;
}
