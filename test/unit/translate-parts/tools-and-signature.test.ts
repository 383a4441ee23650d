import { describe, expect, it } from 'vitest';
import {
  SIGNATURE_PREFIX,
  decodeReasoningSignature,
  encodeReasoningSignature,
} from '../../../app/translate/reasoning-signature.ts';
import {
  MAX_TOOL_NAME_LENGTH,
  clientToolName,
  toolArguments,
  toolNameMap,
  toolParameters,
  upstreamToolName,
} from '../../../app/translate/tools.ts';

describe('tool names', () => {
  it('keeps names up to 64 characters as they are', () => {
    const name = 'mcp__github__create_pull_request';
    expect(upstreamToolName(name)).toBe(name);
    expect(upstreamToolName('x'.repeat(64))).toBe('x'.repeat(64));
  });

  it('shortens longer names deterministically, distinctly, and maps them back', () => {
    const a = `mcp__server__${'a'.repeat(70)}_one`;
    const b = `mcp__server__${'a'.repeat(70)}_two`;
    const shortA = upstreamToolName(a);
    expect(shortA).toHaveLength(MAX_TOOL_NAME_LENGTH);
    expect(shortA).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(upstreamToolName(a)).toBe(shortA);
    expect(upstreamToolName(b)).not.toBe(shortA);
    const names = toolNameMap([a, b, 'Read']);
    expect(clientToolName(shortA, names)).toBe(a);
    expect(clientToolName(upstreamToolName(b), names)).toBe(b);
    expect(clientToolName('Read', names)).toBe('Read');
  });
});

describe('tool schemas and arguments', () => {
  it('strips $schema and keeps the rest of the schema', () => {
    expect(
      toolParameters({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { a: { type: 'string' } },
        required: ['a'],
        additionalProperties: false,
      }),
    ).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
      required: ['a'],
      additionalProperties: false,
    });
  });

  it('gives an object root to an empty schema', () => {
    expect(toolParameters({})).toEqual({ type: 'object', properties: {} });
  });

  it('never sends empty arguments (T4)', () => {
    expect(toolArguments(undefined)).toBe('{}');
    expect(toolArguments(null)).toBe('{}');
    expect(toolArguments({})).toBe('{}');
    expect(toolArguments({ q: 'ü "x"' })).toBe('{"q":"ü \\"x\\""}');
  });
});

describe('reasoning signatures', () => {
  it('round-trips a reasoning item, non-ASCII summary included', () => {
    const item = {
      id: 'rs_123',
      encryptedContent: 'gAAAAB-opaque==',
      summary: ['Plan — step 1', '日本語'],
    };
    const signature = encodeReasoningSignature(item);
    expect(signature.startsWith(SIGNATURE_PREFIX)).toBe(true);
    expect(signature).toMatch(/^[a-zA-Z0-9._-]+$/);
    expect(decodeReasoningSignature(signature)).toEqual(item);
  });

  it('keeps an item without encrypted content', () => {
    const item = { id: 'rs_1', encryptedContent: null, summary: [] };
    expect(decodeReasoningSignature(encodeReasoningSignature(item))).toEqual(item);
  });

  it('refuses signatures it did not mint or that were tampered with', () => {
    expect(decodeReasoningSignature('EqQBCkYIBxgCKkDrealAnthropicSignature')).toBeUndefined();
    expect(decodeReasoningSignature(`${SIGNATURE_PREFIX}not-base64-json`)).toBeUndefined();
    expect(decodeReasoningSignature(`${SIGNATURE_PREFIX}${btoa('{"i":1}')}`)).toBeUndefined();
    expect(decodeReasoningSignature('')).toBeUndefined();
  });
});
