/**
 * What a request cost at OpenAI's list prices, for the inspector. An estimate, not a bill: it
 * ignores the Batch, Flex and Priority tiers, regional uplifts, tool-call fees and the higher
 * long-context rate some models charge past 272K input tokens (such a prompt is under-priced).
 *
 * The prices are our own table, not gpt-tokenizer's `price_data`. Compared on the models both
 * cover, the library is wrong for most: gpt-4.1, gpt-4o, gpt-5, o3 and even gpt-4o-mini's audio
 * preview all read $10 in / $30 out (a placeholder, it seems), where OpenAI lists $2/$8, $2.50/$10,
 * $1.25/$10, $2/$8 and $0.15/$0.60; it agrees only on o1 and gpt-5-codex, and has no price at all
 * for gpt-5.1, gpt-5-mini or gpt-4.1-mini. No family could be trusted to it, so a model missing
 * from this table and from the user's settings has no price (null), never a borrowed one.
 */
import type { AnthropicUsage } from '../protocol/anthropic-wire.ts';

/** USD per million tokens. A missing cached price means cache hits cost the input price. */
export interface ModelPrice {
  readonly inputPerMTok: number;
  readonly cachedInputPerMTok?: number | undefined;
  readonly outputPerMTok: number;
}

export type PriceSource = 'settings' | 'table';

/** Parley's usage: input_tokens is the uncached part, cache reads are counted apart. */
export type PricedUsage = Pick<AnthropicUsage, 'input_tokens' | 'output_tokens'> &
  Partial<Pick<AnthropicUsage, 'cache_read_input_tokens' | 'cache_creation_input_tokens'>>;

const price = (input: number, cached: number | undefined, output: number): ModelPrice =>
  cached === undefined
    ? { inputPerMTok: input, outputPerMTok: output }
    : { inputPerMTok: input, cachedInputPerMTok: cached, outputPerMTok: output };

/*
 * OpenAI standard-tier list prices, USD per 1M tokens: input, cached input, output. Checked
 * 2026-11-25 through stored copies of these pages (each row names its sources; a row is here
 * only when OpenAI's own page shows it, or two independent copies of OpenAI's list agree):
 *   [oai]     developers.openai.com model pages: /api/docs/models/gpt-5-nano.md,
 *             /ko-KR/api/docs/models/gpt-5-mini, /zh-Hans/api/docs/models/gpt-5.1,
 *             /api/docs/models/gpt-5-codex, and the list at /docs/models (input/output only)
 *   [gh]      https://github.com/github/docs/blob/main/data/tables/copilot/models-and-pricing.yml
 *             (GitHub's per-token Copilot rates, which repeat OpenAI's list)
 *   [ex]      https://github.com/vkryukov/responses/blob/main/lib/responses/pricing.ex
 *             (a copy of platform.openai.com/docs/pricing, mid-2025, with the gpt-5 launch rows)
 *   [at]      https://github.com/kannandreams/agent-top/blob/main/crates/agent-top-core/prices.toml
 *             (a copy of developers.openai.com/api/docs/pricing checked 2026-09-05)
 *   [helicone] https://www.helicone.ai/model/gpt-4.1 and /model/o4-mini (OpenAI provider rows)
 *   [vercel]  https://vercel.com/ai-gateway/models/gpt-4.1-mini/providers (OpenAI provider row)
 *   [deploy]  https://deploybase.ai/articles/openai-pricing (input/output, March 2026)
 *   [crate]   https://docs.rs/crate/openai-models/0.1.1/source/src/lib.rs (gpt-4o, -mini, o1)
 *   [pl]      https://huggingface.co/spaces/Presidentlin/llm-pricing-calculator (gpt-4o-2024-05-13)
 * Left out, unverified or conflicting: gpt-5.6-* (the copies disagree), gpt-5.2/5.4/5.5-pro
 * (one copy each, and they disagree on a cached price), gpt-5.3 (only its -codex is listed).
 */
const table: Readonly<Record<string, ModelPrice>> = {
  'gpt-5.5': price(5, 0.5, 30), // [oai] list, [gh], [at]
  'gpt-5.4': price(2.5, 0.25, 15), // [oai] list, [gh], [at]
  'gpt-5.4-mini': price(0.75, 0.075, 4.5), // [oai] list, [gh], [at]
  'gpt-5.4-nano': price(0.2, 0.02, 1.25), // [oai] gpt-5-nano page (input), [gh], [at]
  'gpt-5.2': price(1.75, 0.175, 14), // [gh] (2026 copy), [at]
  'gpt-5.1': price(1.25, 0.125, 10), // [oai] gpt-5.1 page, [at]
  'gpt-5': price(1.25, 0.125, 10), // [oai] gpt-5-codex page (GPT-5 row), [ex], [at]
  'gpt-5-mini': price(0.25, 0.025, 2), // [oai] gpt-5-mini page, [gh], [ex], [at]
  'gpt-5-nano': price(0.05, 0.005, 0.4), // [oai] gpt-5-nano page, [ex], [at]
  'gpt-5-pro': price(15, undefined, 120), // [at], [deploy]; no cached rate is offered
  'gpt-4.1': price(2, 0.5, 8), // [gh], [ex], [helicone]
  'gpt-4.1-mini': price(0.4, 0.1, 1.6), // [ex], [vercel], [deploy]
  'gpt-4.1-nano': price(0.1, 0.025, 0.4), // [ex], [deploy]
  'gpt-4o': price(2.5, 1.25, 10), // [ex], [crate], [deploy]
  // The first gpt-4o snapshot kept its launch price; listed so the snapshot rule below
  // cannot hand it gpt-4o's.
  'gpt-4o-2024-05-13': price(5, undefined, 15), // [ex], [pl]
  'gpt-4o-mini': price(0.15, 0.075, 0.6), // [ex], [crate], [deploy]
  o3: price(2, 0.5, 8), // [ex], [deploy]
  'o3-mini': price(1.1, 0.55, 4.4), // [ex], [deploy]
  'o4-mini': price(1.1, 0.275, 4.4), // [ex], [helicone], [deploy]
  o1: price(15, 7.5, 60), // [ex], [crate]
};

/** `gpt-4.1-2025-04-14` is the dated snapshot of `gpt-4.1`. */
const SNAPSHOT_DATE = /-\d{4}-\d{2}-\d{2}$/;

/*
 * The only endings that may fall back to a shorter name: variants OpenAI prices like their base
 * (gpt-5-codex and gpt-5.2-codex as gpt-5 and gpt-5.2 [oai][gh], gpt-5-chat-latest as gpt-5
 * [ex]). Anything else (-mini, -nano, -pro, -codex-mini, a name not seen yet) is a different
 * price, so a bare prefix match would guess; those stay unknown.
 */
const SAME_PRICE_VARIANTS = ['-chat-latest', '-codex'] as const;

export function priceFor(
  model: string,
  overrides: Readonly<Record<string, ModelPrice>> = {},
): { price: ModelPrice; source: PriceSource } | undefined {
  const names = candidateNames(model);
  const fromSettings = lookup(names, lowerCaseKeys(overrides));
  if (fromSettings !== undefined) return { price: fromSettings, source: 'settings' };
  const fromTable = lookup(names, table);
  return fromTable === undefined ? undefined : { price: fromTable, source: 'table' };
}

/**
 * USD at list price, or null when the model has no known price. Uncached input and cache writes
 * bill at the input price (OpenAI has no cache-write charge), cache reads at the cached price,
 * output at the output price (OpenAI's output count already holds the reasoning tokens).
 */
export function estimateCostUsd(
  model: string,
  usage: PricedUsage,
  overrides?: Readonly<Record<string, ModelPrice>>,
): number | null {
  const found = priceFor(model, overrides);
  return found === undefined ? null : costUsd(found.price, usage);
}

/** USD for this usage at this price (see estimateCostUsd). */
export function costUsd(price: ModelPrice, usage: PricedUsage): number | null {
  const { inputPerMTok, cachedInputPerMTok = inputPerMTok, outputPerMTok } = price;
  // Tokens times USD per million tokens: micro-dollars.
  const microUsd =
    (usage.input_tokens + (usage.cache_creation_input_tokens ?? 0)) * inputPerMTok +
    (usage.cache_read_input_tokens ?? 0) * cachedInputPerMTok +
    usage.output_tokens * outputPerMTok;
  const usd = roundUsd(microUsd / 1_000_000);
  return Number.isFinite(usd) ? usd : null;
}

/**
 * To 1e-10 USD: clears float noise (0.1 + 0.2) but keeps the cost of a single token exact, the
 * cheapest in the table being gpt-5-nano's cache read at 5e-9 USD. Cents would zero most requests.
 */
function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}

/** Most specific first: the name, its undated form, then the base of a same-price variant. */
function candidateNames(model: string): string[] {
  const name = model.trim().toLowerCase();
  const undated = name.replace(SNAPSHOT_DATE, '');
  const names = [name, undated];
  for (const suffix of SAME_PRICE_VARIANTS) {
    if (undated.endsWith(suffix)) names.push(undated.slice(0, -suffix.length));
  }
  return names;
}

function lookup(
  names: readonly string[],
  prices: Readonly<Record<string, ModelPrice>>,
): ModelPrice | undefined {
  const name = names.find((candidate) => Object.hasOwn(prices, candidate));
  return name === undefined ? undefined : prices[name];
}

function lowerCaseKeys(
  prices: Readonly<Record<string, ModelPrice>>,
): Readonly<Record<string, ModelPrice>> {
  return Object.fromEntries(
    Object.entries(prices).map(([name, value]) => [name.trim().toLowerCase(), value]),
  );
}
