/**
 * OpenAI's image prices, checked against figures worked out by hand from the "Images and
 * vision" guide (its own worked examples where it gives them): the arithmetic is in each
 * comment, so a changed constant shows which rule moved.
 */
import { describe, expect, it } from 'vitest';
import { IMAGE_TOKENS_ESTIMATE, imageTokens } from '../../../app/upstream/image-tokens.ts';

const size = (width: number, height: number) => ({ width, height });

describe('imageTokens, tile models', () => {
  it("prices the guide's GPT-4o examples, GPT-4.1 alike", () => {
    // 1024x1024: fits in 2048; shortest side 1024 -> 768x768; 2x2 tiles: 85 + 4 x 170 = 765.
    for (const detail of ['high', 'auto', undefined] as const) {
      expect(imageTokens(size(1024, 1024), 'gpt-4.1', detail)).toBe(765);
      expect(imageTokens(size(1024, 1024), 'gpt-4o', detail)).toBe(765);
    }
    // 2048x4096 -> 1024x2048 (fit in 2048) -> 768x1536 (shortest 768); 2x3 tiles:
    // 85 + 6 x 170 = 1105.
    expect(imageTokens(size(2048, 4096), 'gpt-4o', 'high')).toBe(1105);
    // Low detail is the base alone, whatever the size.
    expect(imageTokens(size(4096, 8192), 'gpt-4o', 'low')).toBe(85);
  });

  it('keeps the fixed estimate equal to the 1024x1024 example', () => {
    expect(IMAGE_TOKENS_ESTIMATE).toBe(imageTokens(size(1024, 1024), 'gpt-4o', 'high'));
  });

  it('never enlarges a small image to 768', () => {
    // 300x200: shortest side under 768, left as is; one tile: 85 + 170 = 255.
    expect(imageTokens(size(300, 200), 'gpt-4.1', 'high')).toBe(255);
  });

  it('rounds the 2048 fit to the nearest pixel, as the API bills', () => {
    // 2049x513 -> 2048 x 512.75 -> 513 high: 4x2 tiles, 85 + 8 x 170 = 1445.
    // 2050x513 -> 2048 x 512.499 -> 512 high: 4x1 tiles, 85 + 4 x 170 = 765.
    expect(imageTokens(size(2049, 513), 'gpt-4.1', 'high')).toBe(1445);
    expect(imageTokens(size(2050, 513), 'gpt-4.1', 'high')).toBe(765);
  });

  it("uses each family's base and tile price", () => {
    // 1024x1024 is 4 tiles everywhere: base + 4 x tile.
    expect(imageTokens(size(1024, 1024), 'gpt-5', 'auto')).toBe(70 + 4 * 140);
    expect(imageTokens(size(1024, 1024), 'gpt-5.1', 'auto')).toBe(630);
    expect(imageTokens(size(1024, 1024), 'gpt-5-chat-latest', 'high')).toBe(630);
    expect(imageTokens(size(1024, 1024), 'gpt-5.1', 'low')).toBe(70);
    expect(imageTokens(size(1024, 1024), 'o3', 'high')).toBe(75 + 4 * 150);
    expect(imageTokens(size(1024, 1024), 'o1', 'low')).toBe(75);
    expect(imageTokens(size(1024, 1024), 'gpt-4o-mini', 'high')).toBe(2833 + 4 * 5667);
    expect(imageTokens(size(1024, 1024), 'computer-use-preview', 'high')).toBe(65 + 4 * 129);
  });

  it('reads dated snapshots and router prefixes, and prices unknown models as GPT-4o', () => {
    expect(imageTokens(size(1024, 1024), 'gpt-4o-mini-2024-07-18', 'high')).toBe(25_501);
    expect(imageTokens(size(1024, 1024), 'openai/gpt-4o-mini', 'high')).toBe(25_501);
    expect(imageTokens(size(1024, 1024), 'llava:13b', 'high')).toBe(765);
  });
});

describe('imageTokens, patch models', () => {
  it("prices the guide's 1,536-patch examples times each multiplier", () => {
    // 1024x1024: 32 x 32 = 1024 patches, under 1536; x 1.62 = 1658.88 -> 1659.
    expect(imageTokens(size(1024, 1024), 'gpt-4.1-mini', 'high')).toBe(1659);
    expect(imageTokens(size(1024, 1024), 'gpt-4.1-mini-2025-04-14', 'auto')).toBe(1659);
    // 1800x2400: 57 x 75 = 4275 patches, over 1536. shrink = sqrt(32² x 1536 / (1800 x 2400))
    // = 0.6034; 1800 x 0.6034 / 32 = 33.94 -> 33, so x 33/33.94 -> 0.5867: 1056 x 1408,
    // 33 x 44 = 1452 patches (the guide's figure). Then times the multiplier, rounded up:
    expect(imageTokens(size(1800, 2400), 'gpt-4.1-mini', 'high')).toBe(2353); // 2352.24
    expect(imageTokens(size(1800, 2400), 'gpt-5-mini', undefined)).toBe(2353);
    expect(imageTokens(size(1800, 2400), 'gpt-4.1-nano', 'high')).toBe(3572); // 3571.92
    expect(imageTokens(size(1800, 2400), 'gpt-5-nano', 'auto')).toBe(3572);
    expect(imageTokens(size(1800, 2400), 'o4-mini', 'high')).toBe(2498); // 2497.44
  });

  it('applies the 2048-pixel limit even under the patch budget', () => {
    // 4096x64 is 128 x 2 = 256 patches, but its long side is over 2048: 2048x32, 64 x 1 = 64
    // patches; x 1.62 = 103.68 -> 104.
    expect(imageTokens(size(4096, 64), 'gpt-4.1-mini', 'high')).toBe(104);
  });

  it('fits a low-detail image in 512x512', () => {
    // 1024x1024 -> 512x512: 16 x 16 = 256 patches; x 1.62 = 414.72 -> 415.
    expect(imageTokens(size(1024, 1024), 'gpt-4.1-mini', 'low')).toBe(415);
    // 640x480 -> 512x384: 16 x 12 = 192 patches; x 1.2 = 230.4 -> 231.
    expect(imageTokens(size(640, 480), 'gpt-5.6', 'low')).toBe(231);
  });

  it('uses the 2,500 and 10,000-patch budgets of gpt-5.4 on, auto as each model reads it', () => {
    // high: 4000x3000 -> 2048x1536 (2048 limit): 64 x 48 = 3072 > 2500. shrink =
    // sqrt(1024 x 2500 / (2048 x 1536)) = 0.9021; 2048 x 0.9021 / 32 = 57.74 -> 57, so
    // x 57/57.74 -> 0.8906: 1824 x 1367, 57 x 43 = 2451 patches; x 1.2 = 2941.2 -> 2942.
    // original: 4000x3000 is under 6000 px: 125 x 94 = 11750 > 10000. shrink =
    // sqrt(1024 x 10000 / (4000 x 3000)) = 0.9238; 3000 x 0.9238 / 32 = 86.60 -> 86, so
    // x 86/86.60 -> 0.9173: 3669 x 2752, 115 x 86 = 9890 patches; x 1.2 = 11868.
    expect(imageTokens(size(4000, 3000), 'gpt-5.4', 'high')).toBe(2942);
    expect(imageTokens(size(4000, 3000), 'gpt-5.4', 'auto')).toBe(2942); // auto = high
    expect(imageTokens(size(4000, 3000), 'gpt-5.4', 'original')).toBe(11_868);
    expect(imageTokens(size(4000, 3000), 'gpt-5.5', undefined)).toBe(11_868); // auto = original
    expect(imageTokens(size(4000, 3000), 'gpt-5.5', 'high')).toBe(2942);
  });

  it('keeps an original image whole on GPT-5.6, and prices gpt-5.2 at 1.2', () => {
    // 8000x8000 at original/auto: no budget, 250 x 250 = 62500 patches; x 1.2 = 75000.
    expect(imageTokens(size(8000, 8000), 'gpt-5.6', 'auto')).toBe(75_000);
    // gpt-5.2: 1,536-patch budget; 1024 patches x 1.2 = 1228.8 -> 1229.
    expect(imageTokens(size(1024, 1024), 'gpt-5.2', 'auto')).toBe(1229);
  });

  it('grows with the image', () => {
    for (const model of ['gpt-4.1', 'gpt-5.1', 'gpt-4.1-mini', 'gpt-5.4', 'o3']) {
      expect(imageTokens(size(256, 256), model, 'auto'), model).toBeLessThan(
        imageTokens(size(1600, 1200), model, 'auto'),
      );
    }
  });
});
