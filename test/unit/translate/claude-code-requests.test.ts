/**
 * Real Claude Code requests (../shared/fixtures/claude-code) through validation and the
 * Responses request translator. Each expectation is read off the request itself and checked
 * against the wire body OpenAI would receive (PROTOCOL.md 3.1 and traps T2, T10, T11, T19, T21).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  validateMessagesRequest,
  type MessagesRequest,
} from '../../../app/protocol/messages-request.ts';
import { toResponsesRequest } from '../../../app/translate/to-responses-request.ts';
import { clientToolName } from '../../../app/translate/tools.ts';
import { capabilitiesFor } from '../../../app/upstream/capabilities.ts';
import { sharedFixturesAvailable, sharedFixturesDir } from '../../support/shared-fixtures.ts';

interface Capture {
  method: string;
  path: string;
  body: unknown;
}

/** The request body as Claude Code sent it, read as plain JSON. */
interface SentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: string | SentBlock[];
}
interface SentBody {
  max_tokens?: number;
  system?: string | { text: string }[];
  messages: { role: string; content: string | SentBlock[] }[];
  tools?: { name: string; type?: string | null; input_schema?: Record<string, unknown> }[];
  metadata?: { user_id?: string | null };
}

/** What the upstream receives, as plain JSON. */
interface WireItem {
  type?: string;
  role?: string;
  content?: unknown;
  id?: unknown;
  call_id?: string;
  name?: string;
  arguments?: string;
  output?: unknown;
}
interface WireBody {
  instructions?: string;
  input: WireItem[];
  tools?: { type: string; name: string; strict?: boolean; parameters?: Record<string, unknown> }[];
  store?: boolean;
  max_output_tokens?: number;
  safety_identifier?: string;
}

const available = sharedFixturesAvailable();
const dir = join(sharedFixturesDir, 'claude-code');
const files = available
  ? readdirSync(dir).filter((name) => name.endsWith('.json') && name !== 'manifest.json')
  : [];
const captureOf = (file: string): Capture =>
  JSON.parse(readFileSync(join(dir, file), 'utf8')) as Capture;
const routeOf = (capture: Capture): string => new URL(capture.path, 'http://localhost').pathname;
const messagesRequests = files.filter((file) => routeOf(captureOf(file)) === '/v1/messages');

const upstreamModel = 'gpt-5.1';
const capabilities = capabilitiesFor(upstreamModel);
const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
const BILLING_LINE = 'x-anthropic-billing-header:';

const blocksOf = (content: string | SentBlock[]): SentBlock[] =>
  typeof content === 'string' ? [{ type: 'text', text: content }] : content;

function translate(file: string) {
  const sent = captureOf(file).body as SentBody;
  const validation = validateMessagesRequest(sent);
  if (!validation.ok) throw new Error(`${file} did not validate: ${validation.message}`);
  const request: MessagesRequest = validation.value;
  const result = toResponsesRequest(request, { upstreamModel, capabilities, hash: sha256 });
  // Through JSON, as it goes on the wire: what matters is what OpenAI receives.
  const wire = JSON.parse(JSON.stringify(result.body)) as WireBody;
  return { sent, result, wire };
}

/** The text of a tool_result's content: a string, or its text parts. */
const resultTexts = (content: SentBlock['content']): string[] =>
  content === undefined
    ? []
    : typeof content === 'string'
      ? [content]
      : content.flatMap((part) => (part.type === 'text' && part.text ? [part.text] : []));

/**
 * One matcher per piece of the conversation, in conversation order. Each must be found in the
 * input items at or after the previous one's item: that checks presence, order and position.
 */
function conversationAnchors(
  sent: SentBody,
): { label: string; matches: (item: WireItem) => boolean }[] {
  return sent.messages.flatMap((message, index) =>
    blocksOf(message.content).flatMap((block) => {
      const at = `messages[${index}]`;
      if (message.role === 'system' && block.type === 'text') {
        const text = block.text ?? '';
        return [
          {
            label: `${at} system text -> developer item`,
            matches: (item: WireItem) =>
              item.type === 'message' &&
              item.role === 'developer' &&
              typeof item.content === 'string' &&
              item.content.includes(text),
          },
        ];
      }
      if (block.type === 'text' && block.text) {
        const text = block.text;
        return [
          {
            label: `${at} ${message.role} text`,
            matches: (item: WireItem) =>
              item.type === 'message' &&
              item.role === message.role &&
              (item.content === text ||
                (Array.isArray(item.content) &&
                  item.content.some((part: { text?: unknown }) => part.text === text))),
          },
        ];
      }
      if (block.type === 'tool_use' || block.type === 'tool_result') {
        const type = block.type === 'tool_use' ? 'function_call' : 'function_call_output';
        const callId = block.type === 'tool_use' ? block.id : block.tool_use_id;
        return [
          {
            label: `${at} ${block.type} ${callId ?? ''}`,
            matches: (item: WireItem) => item.type === type && item.call_id === callId,
          },
        ];
      }
      return [];
    }),
  );
}

describe.skipIf(!available)('the Claude Code captures', () => {
  it('hold the messages requests and the count_tokens one', () => {
    expect(messagesRequests.length).toBeGreaterThanOrEqual(5);
    expect(files).toContain('count-tokens.json');
  });

  it('count-tokens.json is no Messages request: validation names the missing max_tokens', () => {
    // The count_tokens route comes later; until then this body must not pass as a message.
    const result = validateMessagesRequest(captureOf('count-tokens.json').body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain('max_tokens');
  });
});

describe.skipIf(!available).each(messagesRequests)('%s', (file) => {
  it('validates', () => {
    expect(validateMessagesRequest(captureOf(file).body)).toMatchObject({ ok: true });
  });

  it('declares every client tool as a non-strict function without $schema, under a name that maps back (T10)', () => {
    const { sent, result, wire } = translate(file);
    const clientTools = (sent.tools ?? []).filter(
      (tool) => tool.input_schema !== undefined && (tool.type ?? 'custom') === 'custom',
    );
    expect(clientTools.length).toBeGreaterThan(0);
    const functions = (wire.tools ?? []).filter((tool) => tool.type === 'function');
    expect(functions.map((tool) => clientToolName(tool.name, result.toolNames))).toEqual(
      clientTools.map((tool) => tool.name),
    );
    for (const tool of functions) {
      expect(tool.strict).toBe(false);
      expect(tool.parameters).not.toHaveProperty('$schema');
    }
  });

  it('keeps the conversation in order: text, tool calls and results, system messages in place', () => {
    const { sent, wire } = translate(file);
    let from = 0;
    for (const anchor of conversationAnchors(sent)) {
      const found = wire.input.findIndex((item, index) => index >= from && anchor.matches(item));
      expect(found, `${anchor.label} not found at or after input[${from}]`).toBeGreaterThanOrEqual(
        0,
      );
      from = found;
    }
    const systemMessages = sent.messages.filter((message) => message.role === 'system');
    expect(wire.input.filter((item) => item.role === 'developer')).toHaveLength(
      systemMessages.length,
    );
    expect(wire.input.filter((item) => item.role === 'system')).toEqual([]);
  });

  it('turns every tool_result into a function_call_output with its call_id and text, in order', () => {
    const { sent, wire } = translate(file);
    const results = sent.messages.flatMap((message) =>
      blocksOf(message.content).filter((block) => block.type === 'tool_result'),
    );
    const outputs = wire.input.filter((item) => item.type === 'function_call_output');
    expect(outputs.map((item) => item.call_id)).toEqual(results.map((block) => block.tool_use_id));
    results.forEach((block, index) => {
      const output = outputs[index]?.output;
      expect(typeof output).toBe('string'); // text-only results stay a string (T17)
      for (const text of resultTexts(block.content)) expect(output).toContain(text);
    });
  });

  it('turns every assistant tool_use into a function_call without an item id (T2)', () => {
    const { sent, result, wire } = translate(file);
    const uses = sent.messages.flatMap((message) =>
      message.role === 'assistant'
        ? blocksOf(message.content).filter((block) => block.type === 'tool_use')
        : [],
    );
    const calls = wire.input.filter((item) => item.type === 'function_call');
    expect(calls).toHaveLength(uses.length);
    uses.forEach((use, index) => {
      const call = calls[index];
      expect(call).not.toHaveProperty('id');
      expect(call?.call_id).toBe(use.id);
      expect(clientToolName(call?.name ?? '', result.toolNames)).toBe(use.name);
      expect(call?.arguments).toBe(JSON.stringify(use.input));
    });
  });

  it('sends the system text as instructions, without the billing line', () => {
    const { sent, wire } = translate(file);
    const system = sent.system ?? [];
    const parts =
      typeof system === 'string' ? system.split('\n') : system.map((block) => block.text);
    const rest = parts.filter((text) => !text.startsWith(BILLING_LINE) && text.trim() !== '');
    expect(parts.some((text) => text.startsWith(BILLING_LINE))).toBe(true); // what is tested
    const instructions = wire.instructions ?? '';
    expect(instructions.split('\n').filter((line) => line.startsWith(BILLING_LINE))).toEqual([]);
    for (const text of rest) expect(instructions).toContain(text);
  });

  it('is stateless (T11) and asks for an output budget the model allows (T19)', () => {
    const { sent, wire } = translate(file);
    expect(wire.store).toBe(false);
    expect(wire.max_output_tokens).toBeGreaterThanOrEqual(capabilities.minOutputTokens);
    expect(wire.max_output_tokens).toBeLessThanOrEqual(capabilities.maxOutputTokens);
    const asked = sent.max_tokens ?? 0;
    if (asked >= capabilities.minOutputTokens && asked <= capabilities.maxOutputTokens) {
      expect(wire.max_output_tokens).toBe(asked);
    }
  });

  it('sends metadata.user_id only as a 64-hex-digit hash, and nowhere raw (T21)', () => {
    const { sent, wire } = translate(file);
    const userId = sent.metadata?.user_id;
    if (typeof userId !== 'string' || userId === '') {
      expect(wire.safety_identifier).toBeUndefined();
      return;
    }
    expect(wire.safety_identifier).toMatch(/^[0-9a-f]{64}$/);
    expect(wire.safety_identifier).toBe(sha256(userId));
    const serialized = JSON.stringify(wire);
    // Claude Code's user_id is a JSON blob: look for it raw, JSON-escaped, and for its pieces.
    const pieces = [userId, JSON.stringify(userId).slice(1, -1), ...stringValues(userId)];
    for (const piece of pieces.filter((value) => value.length >= 16)) {
      expect(serialized).not.toContain(piece);
    }
  });
});

/** The string values inside a JSON-object user_id (session id, device id), if it is one. */
function stringValues(userId: string): string[] {
  try {
    const parsed: unknown = JSON.parse(userId);
    return typeof parsed === 'object' && parsed !== null
      ? Object.values(parsed).filter((value): value is string => typeof value === 'string')
      : [];
  } catch {
    return [];
  }
}
