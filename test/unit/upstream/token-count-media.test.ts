/**
 * Images and PDFs in the counted request: priced by their measured size and page count through
 * both translators, never tokenized as base64. Figures are worked out by hand in the comments:
 * every request costs 3 (reply priming) + 4 per message before its content.
 */
import { describe, expect, it } from 'vitest';
import { providerPresets } from '../../../app/config/providers.ts';
import type { MessagesRequest } from '../../../app/protocol/messages-request.ts';
import { toChatRequest } from '../../../app/translate/to-chat-request.ts';
import { toResponsesRequest } from '../../../app/translate/to-responses-request.ts';
import { capabilitiesFor } from '../../../app/upstream/capabilities.ts';
import {
  PDF_TEXT_TOKENS_PER_PAGE,
  pdfPageCount,
  pdfTokens,
} from '../../../app/upstream/pdf-tokens.ts';
import { IMAGE_TOKENS_ESTIMATE, countRequestTokens } from '../../../app/upstream/token-count.ts';
import {
  base64,
  dataUrl,
  jpeg,
  pdf,
  pdfWithHiddenPages,
  pdfWithObjectStream,
  pdfWithUpdate,
  png,
} from '../../support/media-builders.ts';

type Content = Exclude<MessagesRequest['messages'][number]['content'], string>;

const request = (content: Content): MessagesRequest => ({
  model: 'claude-opus-4-8',
  max_tokens: 100,
  messages: [{ role: 'user', content }],
});

const viaResponses = (content: Content, model: string) =>
  toResponsesRequest(request(content), {
    upstreamModel: model,
    capabilities: capabilitiesFor(model),
    hash: (value) => value,
  }).body;

const viaChat = (content: Content, model: string) => {
  const dialect = providerPresets['openai']?.chat;
  if (!dialect) throw new Error('no openai preset');
  return toChatRequest(request(content), {
    upstreamModel: model,
    capabilities: capabilitiesFor(model),
    dialect,
    hash: (value) => value,
  }).body;
};

const image = (mediaType: 'image/png' | 'image/jpeg', bytes: Buffer): Content[number] => ({
  type: 'image',
  source: { type: 'base64', media_type: mediaType, data: base64(bytes) },
});

const document = (bytes: Buffer): Content[number] => ({
  type: 'document',
  source: { type: 'base64', media_type: 'application/pdf', data: base64(bytes) },
});

describe('countRequestTokens with images', () => {
  it('prices an image by its measured size and the routed model, through both APIs', () => {
    const content = [image('image/png', png(1024, 1024))];
    // 1024x1024 is 2x2 tiles: gpt-4.1 85 + 4 x 170 = 765; gpt-5.1 70 + 4 x 140 = 630;
    // gpt-4.1-mini 1024 patches x 1.62 -> 1659.
    expect(countRequestTokens(viaResponses(content, 'gpt-4.1'), 'gpt-4.1')).toBe(3 + 4 + 765);
    expect(countRequestTokens(viaChat(content, 'gpt-4.1'), 'gpt-4.1')).toBe(3 + 4 + 765);
    expect(countRequestTokens(viaResponses(content, 'gpt-5.1'), 'gpt-5.1')).toBe(3 + 4 + 630);
    expect(countRequestTokens(viaChat(content, 'gpt-4.1-mini'), 'gpt-4.1-mini')).toBe(3 + 4 + 1659);
  });

  it('counts a larger image more than a smaller one', () => {
    const small = viaResponses([image('image/jpeg', jpeg(512, 512))], 'gpt-4.1');
    const large = viaResponses([image('image/jpeg', jpeg(2048, 4096))], 'gpt-4.1');
    // 512x512: one tile, 85 + 170 = 255. 2048x4096: 768x1536, six tiles, 85 + 6 x 170 = 1105.
    expect(countRequestTokens(small, 'gpt-4.1')).toBe(3 + 4 + 255);
    expect(countRequestTokens(large, 'gpt-4.1')).toBe(3 + 4 + 1105);
  });

  it("honors the part's detail in either API's shape", () => {
    const url = dataUrl('image/png', png(2048, 4096));
    const responses = (detail: string) => ({
      input: [{ role: 'user', content: [{ type: 'input_image', image_url: url, detail }] }],
    });
    const chat = (detail: string) => ({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url, detail } }] }],
    });
    for (const body of [responses('low'), chat('low')]) {
      expect(countRequestTokens(body, 'gpt-4o')).toBe(3 + 4 + 85); // low: the base alone
    }
    for (const body of [responses('high'), chat('high')]) {
      expect(countRequestTokens(body, 'gpt-4o')).toBe(3 + 4 + 1105);
    }
  });

  it('prices an image in a tool result too', () => {
    const body = viaResponses(
      [
        {
          type: 'tool_result',
          tool_use_id: 'call_1',
          content: [image('image/png', png(300, 200))],
        },
      ],
      'gpt-4.1',
    );
    // The result is a function_call_output holding the image: one tile, 85 + 170 = 255.
    expect(countRequestTokens(body, 'gpt-4.1')).toBe(3 + 4 + 255);
  });

  it('falls back to the fixed estimate for an unreadable image or a URL', () => {
    const garbage = viaResponses(
      [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }],
      'gpt-4.1',
    );
    const byUrl = viaResponses(
      [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }],
      'gpt-4.1',
    );
    expect(countRequestTokens(garbage, 'gpt-4.1')).toBe(3 + 4 + IMAGE_TOKENS_ESTIMATE);
    expect(countRequestTokens(byUrl, 'gpt-4.1')).toBe(3 + 4 + IMAGE_TOKENS_ESTIMATE);
  });
});

describe('countRequestTokens with PDFs', () => {
  // A page is a 1275x1650 image (US Letter at 150 dpi) plus a text allowance. On gpt-4.1 the
  // image is 768x994 after the shortest-side step, 2x2 tiles: 85 + 4 x 170 = 765.
  const perPage = 765 + PDF_TEXT_TOKENS_PER_PAGE;

  it("counts a 3-page PDF as three pages' worth, through both APIs", () => {
    const content = [document(pdf(3))];
    expect(countRequestTokens(viaResponses(content, 'gpt-4.1'), 'gpt-4.1')).toBe(
      3 + 4 + 3 * perPage,
    );
    expect(countRequestTokens(viaChat(content, 'gpt-4.1'), 'gpt-4.1')).toBe(3 + 4 + 3 * perPage);
  });

  it('counts more pages as more tokens, priced by the routed model', () => {
    const three = viaResponses([document(pdf(3))], 'gpt-4.1-mini');
    const ten = viaResponses([document(pdf(10))], 'gpt-4.1-mini');
    expect(
      countRequestTokens(ten, 'gpt-4.1-mini') - countRequestTokens(three, 'gpt-4.1-mini'),
    ).toBe(pdfTokens(7, 'gpt-4.1-mini'));
    // 1275x1650 is 40 x 52 = 2080 patches, shrunk to 34 x 44 = 1496; x 1.62 = 2423.52 -> 2424.
    expect(pdfTokens(1, 'gpt-4.1-mini')).toBe(2424 + PDF_TEXT_TOKENS_PER_PAGE);
  });

  it('counts a PDF by URL as one page', () => {
    const body = viaResponses(
      [{ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }],
      'gpt-4.1',
    );
    expect(countRequestTokens(body, 'gpt-4.1')).toBe(3 + 4 + perPage);
  });
});

describe('pdfPageCount', () => {
  it('counts page objects, not the page tree', () => {
    expect(pdfPageCount(base64(pdf(3)))).toBe(3);
    expect(pdfPageCount(base64(pdf(1)))).toBe(1);
  });

  it('counts a page rewritten by an incremental update once', () => {
    expect(pdfPageCount(base64(pdfWithUpdate()))).toBe(3);
  });

  it('finds pages packed in a compressed object stream', () => {
    expect(pdfPageCount(base64(pdfWithObjectStream(5)))).toBe(5);
  });

  it("falls back to the page tree's /Count when the pages cannot be read", () => {
    expect(pdfPageCount(base64(pdfWithHiddenPages(7)))).toBe(7);
  });

  it('answers undefined for what is not a PDF', () => {
    expect(pdfPageCount(base64(Buffer.from('hello, world')))).toBeUndefined();
    expect(pdfPageCount('')).toBeUndefined();
  });

  it('reads a 32 MB base64 PDF in bounded time', () => {
    // Three pages, then 24 MB of image stream: decoded once, scanned once.
    const filler = Buffer.alloc(24 * 1024 * 1024, 0x41);
    const stream = Buffer.concat([
      Buffer.from('\n99 0 obj\n<< /Length 25165824 /Filter /DCTDecode >>\nstream\n', 'latin1'),
      filler,
      Buffer.from('\nendstream\nendobj\n', 'latin1'),
    ]);
    const file = pdf(3);
    const data = base64(Buffer.concat([file.subarray(0, 15), stream, file.subarray(15)]));
    expect(data.length).toBeGreaterThan(32_000_000);
    const started = performance.now();
    expect(pdfPageCount(data)).toBe(3);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
