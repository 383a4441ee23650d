/**
 * What an image costs in input tokens on an OpenAI model, from its pixel size and the `detail`
 * the request asks for. OpenAI prices images two ways, per model family:
 *
 * - Tiles (GPT-4o, GPT-4.1, GPT-4.5, GPT-5 and 5.1, o1, o3): fit in 2048x2048, shrink until the
 *   shortest side is at most 768, then base + tile price per 512px square. `low` is the base.
 * - Patches (the mini and nano models, o4-mini, GPT-5.2 on): count the 32px squares covering the
 *   image, shrink it to the model's patch budget and size limit first, then times a multiplier.
 *   `low` is the image fitted in 512x512.
 *
 * Source: OpenAI's "Images and vision" guide, sections "Model sizing behavior" and "Calculating
 * costs" (https://platform.openai.com/docs/guides/images-vision, now also at
 * https://developers.openai.com/api/docs/guides/images-vision), read in the mirrors of it kept
 * in public repositories (the live page was not reachable from here). The tile table and the
 * multipliers 1.62 / 2.46 / 1.72 are verbatim from it; so are the 1,536-patch budget and the
 * 2,500 / 10,000-patch budgets of gpt-5.4 on. The guide lists gpt-5.2, the gpt-5.x codex models
 * and gpt-5.4 on without a multiplier; 1.2 is what users measured on the bills of gpt-5.2 and
 * later (https://community.openai.com/t/api-ai-computer-vision-pricing-models-compared-visually/1372291),
 * so it is an estimate where the table is not. gpt-5.1 is not named either: it is priced as
 * gpt-5, whose tile rule it kept by the same measurements.
 */
import type { ImageSize } from './image-size.ts';

/** `auto` and an absent detail are the model's own choice; `original` is gpt-5.4 on. */
export type ImageDetail = 'low' | 'high' | 'auto' | 'original';

/**
 * For an image whose size cannot be read (an http URL, an unknown format): OpenAI's own worked
 * example, a 1024x1024 image at detail high on GPT-4o (85 + 4 x 170).
 */
export const IMAGE_TOKENS_ESTIMATE = 765;

interface TileRule {
  readonly kind: 'tile';
  readonly base: number;
  readonly tile: number;
}

interface PatchBudget {
  readonly patches: number;
  readonly maxDimension: number;
}

interface PatchRule {
  readonly kind: 'patch';
  /** In hundredths, so that 1,000 patches x 1.2 is 1,200 and not 1,200.0000000000002. */
  readonly multiplierPercent: number;
  readonly high: PatchBudget;
  /** Absent where the model has no `original` detail: it is read as `high` there. */
  readonly original?: PatchBudget;
  readonly auto: 'high' | 'original';
}

type ImageRule = TileRule | PatchRule;

const PATCH = 32;
const TILE = 512;
const LOW_DETAIL_BOX = 512;
const budget1536: PatchBudget = { patches: 1536, maxDimension: 2048 };
const budget2500: PatchBudget = { patches: 2500, maxDimension: 2048 };
const budget10000: PatchBudget = { patches: 10_000, maxDimension: 6000 };
/** GPT-5.6 keeps `original` images as sent (it rejects those over 30,000 patches). */
const unbounded: PatchBudget = { patches: Infinity, maxDimension: Infinity };

const patch1536 = (multiplierPercent: number): PatchRule => ({
  kind: 'patch',
  multiplierPercent,
  high: budget1536,
  auto: 'high',
});

/** First match wins: more specific names first. */
const families: readonly { readonly pattern: RegExp; readonly rule: ImageRule }[] = [
  { pattern: /^gpt-4\.1-mini/, rule: patch1536(162) },
  { pattern: /^gpt-4\.1-nano/, rule: patch1536(246) },
  { pattern: /^o4-mini/, rule: patch1536(172) },
  { pattern: /^gpt-5(\.\d+)?-mini/, rule: patch1536(162) },
  { pattern: /^gpt-5(\.\d+)?-nano/, rule: patch1536(246) },
  { pattern: /^gpt-5(\.\d+)?-codex-mini|^gpt-5\.[23]/, rule: patch1536(120) },
  {
    pattern: /^gpt-5\.4/,
    rule: {
      kind: 'patch',
      multiplierPercent: 120,
      high: budget2500,
      original: budget10000,
      auto: 'high',
    },
  },
  {
    pattern: /^gpt-5\.5/,
    rule: {
      kind: 'patch',
      multiplierPercent: 120,
      high: budget2500,
      original: budget10000,
      auto: 'original',
    },
  },
  {
    pattern: /^gpt-5\.([6-9]|\d\d)|^gpt-([6-9]|\d\d)/,
    rule: {
      kind: 'patch',
      multiplierPercent: 120,
      high: budget2500,
      original: unbounded,
      auto: 'original',
    },
  },
  { pattern: /^gpt-4o-mini/, rule: { kind: 'tile', base: 2833, tile: 5667 } },
  { pattern: /^gpt-5/, rule: { kind: 'tile', base: 70, tile: 140 } },
  { pattern: /^o[13](-|$)/, rule: { kind: 'tile', base: 75, tile: 150 } },
  { pattern: /^computer-use-preview/, rule: { kind: 'tile', base: 65, tile: 129 } },
];

/** GPT-4o's rule, the one most OpenAI-compatible servers copy, for every model not above. */
const defaultRule: TileRule = { kind: 'tile', base: 85, tile: 170 };

export function imageRuleFor(model: string): ImageRule {
  // A router's "openai/gpt-4o" is still gpt-4o.
  const name = model.toLowerCase().replace(/^.*\//, '');
  return families.find((family) => family.pattern.test(name))?.rule ?? defaultRule;
}

export function imageTokens(
  size: ImageSize,
  model: string,
  detail: ImageDetail | undefined,
): number {
  const rule = imageRuleFor(model);
  return rule.kind === 'tile' ? tileTokens(size, rule, detail) : patchTokens(size, rule, detail);
}

function tileTokens(size: ImageSize, rule: TileRule, detail: ImageDetail | undefined): number {
  if (detail === 'low') return rule.base;
  let { width, height } = size;
  const fit = Math.min(1, 2048 / Math.max(width, height));
  width = Math.round(width * fit);
  height = Math.round(height * fit);
  // Only ever down: a small image is not enlarged to 768 (a 512x512 image is one tile).
  const shortest = Math.min(width, height);
  if (shortest > 768) {
    width = Math.round((width * 768) / shortest);
    height = Math.round((height * 768) / shortest);
  }
  const tiles = Math.ceil(width / TILE) * Math.ceil(height / TILE);
  return rule.base + tiles * rule.tile;
}

function patchTokens(size: ImageSize, rule: PatchRule, detail: ImageDetail | undefined): number {
  const patches =
    detail === 'low' ? lowDetailPatches(size) : budgetPatches(size, budgetFor(rule, detail));
  return Math.ceil((patches * rule.multiplierPercent) / 100);
}

function budgetFor(rule: PatchRule, detail: ImageDetail | undefined): PatchBudget {
  const level = detail === 'high' || detail === 'original' ? detail : rule.auto;
  return level === 'original' ? (rule.original ?? rule.high) : rule.high;
}

function lowDetailPatches(size: ImageSize): number {
  const fit = Math.min(1, LOW_DETAIL_BOX / Math.max(size.width, size.height));
  return cover(Math.floor(size.width * fit), Math.floor(size.height * fit));
}

/** The guide's steps A to C: over the size limit or the budget, shrink, then count again. */
function budgetPatches(size: ImageSize, limit: PatchBudget): number {
  let { width, height } = size;
  const fit = Math.min(1, limit.maxDimension / Math.max(width, height));
  width = Math.floor(width * fit);
  height = Math.floor(height * fit);
  if (cover(width, height) <= limit.patches) return cover(width, height);
  const shrink = Math.sqrt((PATCH * PATCH * limit.patches) / (width * height));
  // Shrink a little more so that the side that binds ends on a whole patch.
  const adjusted =
    shrink *
    Math.min(
      wholePatches(width * shrink) / ((width * shrink) / PATCH),
      wholePatches(height * shrink) / ((height * shrink) / PATCH),
    );
  return Math.min(
    limit.patches,
    cover(Math.floor(width * adjusted), Math.floor(height * adjusted)),
  );
}

/** At least one, so that a sliver of an image still counts as a patch. */
function wholePatches(pixels: number): number {
  return Math.max(1, Math.floor(pixels / PATCH));
}

function cover(width: number, height: number): number {
  return Math.max(1, Math.ceil(width / PATCH)) * Math.max(1, Math.ceil(height / PATCH));
}
