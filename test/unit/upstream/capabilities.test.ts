/**
 * The capability table: limits from gpt-tokenizer's model metadata, efforts from the family
 * table, user overrides on top; and what the translators make of it on a reasoning model, a
 * non-reasoning model and an unknown one (clamping and the output-token parameter's name).
 */
import * as knownModels from 'gpt-tokenizer/models';
import { describe, expect, it } from 'vitest';
import { providerPresets } from '../../../app/config/providers.ts';
import type { MessagesRequest } from '../../../app/protocol/messages-request.ts';
import { toChatRequest } from '../../../app/translate/to-chat-request.ts';
import { toResponsesRequest } from '../../../app/translate/to-responses-request.ts';
import { capabilitiesFor, unknownModelCapabilities } from '../../../app/upstream/capabilities.ts';

const metadata = knownModels as unknown as Record<
  string,
  { context_window: number; max_output_tokens: number }
>;
const request = (max_tokens: number): MessagesRequest => ({
  model: 'claude-opus-4-8',
  max_tokens,
  messages: [{ role: 'user', content: 'hi' }],
  temperature: 0.7,
});
const target = (model: string) => ({
  upstreamModel: model,
  capabilities: capabilitiesFor(model),
  hash: (value: string) => value,
});
const openaiDialect = providerPresets['openai']?.chat;
const compatibleDialect = providerPresets['ollama']?.chat;

describe('capabilitiesFor', () => {
  it('reads a reasoning model’s limits from the metadata and its efforts from the family', () => {
    expect(capabilitiesFor('gpt-5.1')).toEqual({
      contextWindow: metadata['gpt-5.1']?.context_window,
      maxOutputTokens: metadata['gpt-5.1']?.max_output_tokens,
      minOutputTokens: 16,
      reasoningEfforts: ['none', 'low', 'medium', 'high'],
      acceptsSampling: false,
      webSearch: true,
      imageInput: true,
    });
    expect(capabilitiesFor('o3').reasoningEfforts).toEqual(['low', 'medium', 'high']);
    expect(capabilitiesFor('gpt-5.1-2025-11-13').contextWindow).toBe(
      metadata['gpt-5.1']?.context_window,
    );
  });

  it('treats a non-reasoning model as taking sampling and no effort', () => {
    expect(capabilitiesFor('gpt-4.1')).toMatchObject({
      contextWindow: metadata['gpt-4.1']?.context_window,
      maxOutputTokens: metadata['gpt-4.1']?.max_output_tokens,
      reasoningEfforts: [],
      acceptsSampling: true,
    });
  });

  it('gives a fine-tuned model what its base model can do', () => {
    expect(capabilitiesFor('ft:o4-mini-2025-04-16:acme::abc123')).toEqual(
      capabilitiesFor('o4-mini'),
    );
    expect(capabilitiesFor('ft:gpt-4.1-2025-04-14:acme:support:xyz').contextWindow).toBe(
      metadata['gpt-4.1']?.context_window,
    );
  });

  it('knows which models take no images', () => {
    expect(capabilitiesFor('o3-mini').imageInput).toBe(false);
    expect(capabilitiesFor('gpt-5.1').imageInput).toBe(true);
    expect(capabilitiesFor('o3-mini', { imageInput: true }).imageInput).toBe(true);
  });

  it('gives an unknown model the safe defaults, and lets the user correct any model', () => {
    expect(capabilitiesFor('qwen3-coder:30b')).toEqual(unknownModelCapabilities);
    expect(
      capabilitiesFor('qwen3-coder:30b', {
        contextWindow: 262_144,
        maxOutputTokens: 65_536,
        acceptsSampling: undefined,
      }),
    ).toEqual({
      ...unknownModelCapabilities,
      contextWindow: 262_144,
      maxOutputTokens: 65_536,
    });
  });
});

describe('what the translators make of it', () => {
  it('reasoning model: clamped to its limit, no temperature, max_output_tokens / max_completion_tokens', () => {
    const limit = metadata['gpt-5.1']?.max_output_tokens ?? 0;
    expect(toResponsesRequest(request(1_000_000), target('gpt-5.1')).body).toMatchObject({
      max_output_tokens: limit,
    });
    expect(toResponsesRequest(request(1_000_000), target('gpt-5.1')).body).not.toHaveProperty(
      'temperature',
    );
    if (!openaiDialect) throw new Error('openai preset missing');
    const chat = toChatRequest(request(1_000_000), {
      ...target('gpt-5.1'),
      dialect: openaiDialect,
    }).body;
    expect(chat).toMatchObject({ max_completion_tokens: limit });
    expect(chat).not.toHaveProperty('max_tokens');
  });

  it('non-reasoning model: clamped to its limit, temperature kept', () => {
    const limit = metadata['gpt-4o']?.max_output_tokens ?? 0;
    expect(toResponsesRequest(request(64_000), target('gpt-4o')).body).toMatchObject({
      max_output_tokens: limit,
      temperature: 0.7,
    });
  });

  it('unknown model on a compatible server: the default limit, under max_tokens, raised to the minimum', () => {
    if (!compatibleDialect) throw new Error('ollama preset missing');
    const big = toChatRequest(request(64_000), {
      ...target('llama3.3'),
      dialect: compatibleDialect,
    }).body;
    expect(big).toMatchObject({
      max_tokens: unknownModelCapabilities.maxOutputTokens,
      temperature: 0.7,
    });
    expect(big).not.toHaveProperty('max_completion_tokens');
    expect(
      toChatRequest(request(1), { ...target('llama3.3'), dialect: compatibleDialect }).body,
    ).toMatchObject({ max_tokens: 16 });
  });
});
