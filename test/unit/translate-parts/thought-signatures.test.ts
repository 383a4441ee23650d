/**
 * Gemini 3's thought signatures, round trip: a signed upstream tool call becomes a tool_use id
 * that carries the signature, and when the client sends that id back the Gemini dialect puts
 * the exact signature beside the call again (Google's stand-in where a turn has none). Every
 * other dialect sends the history exactly as before.
 */
import { describe, expect, it } from 'vitest';
import { providerPresets } from '../../../app/config/providers.ts';
import type {
  AnthropicContentBlock,
  AnthropicStreamEvent,
} from '../../../app/protocol/anthropic-wire.ts';
import { validateMessagesRequest } from '../../../app/protocol/messages-request.ts';
import { ChatStreamTranslator } from '../../../app/translate/from-chat-stream.ts';
import { toAnthropicMessageFromChat } from '../../../app/translate/from-chat.ts';
import { lifecycleViolations } from '../../../app/translate/lifecycle.ts';
import {
  signedToolUseId,
  thoughtSignatureFromId,
  upstreamCallId,
} from '../../../app/translate/thought-signature.ts';
import { toChatRequest } from '../../../app/translate/to-chat-request.ts';
import { capabilitiesFor } from '../../../app/upstream/capabilities.ts';
import { renderChatBody, renderChatChunks } from '../../support/mock-openai/chat-wire.ts';
import { IdSource, type ScriptedTurn } from '../../support/mock-openai/script.ts';
import { streamedToolUses } from '../../support/stream-tool-uses.ts';
import { testAnswerContext } from '../../support/answer-context.ts';

/** Opaque, as Gemini's are: base64 with `+`, `/` and padding, none of which an id may hold. */
const SIGNATURE = 'CsQCAdHtim9+/8Xq0w1Lr/J2pQ==';
const SIGNED_ID = `toolu_gts_${Buffer.from(SIGNATURE, 'utf8').toString('base64url')}`;
const SHORT_ID = upstreamCallId(SIGNED_ID);
const DUMMY = 'skip_thought_signature_validator';

const answerContext = testAnswerContext;

const signed = (signature: string) => ({
  extra_content: { google: { thought_signature: signature } },
});
const call = (id: string, name: string, args: string) => ({
  id,
  type: 'function',
  function: { name, arguments: args },
});
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  choices: [{ index: 0, delta, finish_reason: finish }],
});

function stream(chunks: readonly unknown[]): AnthropicStreamEvent[] {
  const translator = new ChatStreamTranslator(answerContext());
  const events = chunks.flatMap((data) => translator.onEvent(data));
  events.push(...translator.onEnd());
  expect(lifecycleViolations(events.map((data) => ({ event: data.type, data })))).toEqual([]);
  return events;
}

const toolUses = streamedToolUses;

/** Gemini's parallel set: whole calls, no index, the signature on the first one only. */
const geminiChunks = [
  chunk({
    role: 'assistant',
    tool_calls: [
      { ...call('function-call-1', 'Read', '{"path":"a"}'), ...signed(SIGNATURE) },
      call('function-call-2', 'Read', '{"path":"b"}'),
    ],
  }),
  chunk({}, 'tool_calls'),
];
const expectedUses: AnthropicContentBlock[] = [
  { type: 'tool_use', id: SIGNED_ID, name: 'Read', input: { path: 'a' } },
  { type: 'tool_use', id: 'function-call-2', name: 'Read', input: { path: 'b' } },
];

const scripted: ScriptedTurn = {
  output: [
    {
      type: 'tool_call',
      name: 'Read',
      arguments: '{"path":"a"}',
      callId: 'call_1',
      thoughtSignature: SIGNATURE,
    },
    { type: 'tool_call', name: 'Read', arguments: '{"path":"b"}', callId: 'call_2' },
  ],
};
const render = () => ({ ids: new IdSource(), model: 'gemini-3-pro-preview', createdAt: 1 });

describe('a signed upstream tool call -> a tool_use id that carries the signature', () => {
  it('in a stream of Gemini-shaped chunks; the unsigned call keeps its id', () => {
    expect(toolUses(stream(geminiChunks))).toEqual(expectedUses);
    expect(SIGNED_ID).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(thoughtSignatureFromId(SIGNED_ID)).toBe(SIGNATURE);
  });

  it('in an indexed stream with the signature on the first delta only', () => {
    const uses = toolUses(stream(renderChatChunks(scripted, render(), true)));
    expect(uses.map((use) => use.id)).toEqual([SIGNED_ID, 'call_2']);
  });

  it('in a non-streaming answer', () => {
    const message = toAnthropicMessageFromChat(renderChatBody(scripted, render()), answerContext());
    expect(message.content).toEqual([
      { type: 'tool_use', id: SIGNED_ID, name: 'Read', input: { path: 'a' } },
      { type: 'tool_use', id: 'call_2', name: 'Read', input: { path: 'b' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('keeps ids unique when a signature repeats', () => {
    const body = {
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              { ...call('c1', 'Read', '{}'), ...signed(SIGNATURE) },
              { ...call('c2', 'Read', '{}'), ...signed(SIGNATURE) },
            ],
          },
        },
      ],
    };
    const ids = toAnthropicMessageFromChat(body, answerContext()).content.map((block) =>
      block.type === 'tool_use' ? block.id : '',
    );
    expect(ids).toEqual([SIGNED_ID, 'toolu_generated_0']);
  });

  it('reads a signature only from ids Parley minted', () => {
    for (const id of ['toolu_01abc', 'call_1', 'toolu_gts_', 'toolu_gts_!x', 'toolu_gts_gA']) {
      expect(thoughtSignatureFromId(id)).toBeUndefined();
    }
  });
});

// ---- The next request, as the upstream receives it ----

interface WireCall {
  id: string;
  type: string;
  function: { name: string; arguments: string };
  extra_content?: unknown;
}
interface WireMessage {
  role: string;
  tool_calls?: WireCall[];
  tool_call_id?: string;
}

function nextRequest(provider: string, assistant: readonly AnthropicContentBlock[]) {
  const preset = providerPresets[provider];
  if (!preset) throw new Error(`no provider preset ${provider}`);
  const ids = assistant.flatMap((block) => (block.type === 'tool_use' ? [block.id] : []));
  const validation = validateMessagesRequest({
    model: 'claude-opus-4-8',
    max_tokens: 1024,
    messages: [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: assistant },
      {
        role: 'user',
        content: ids.map((id) => ({ type: 'tool_result', tool_use_id: id, content: 'ok' })),
      },
    ],
  });
  if (!validation.ok) throw new Error(`invalid test request: ${validation.message}`);
  const model = 'gemini-3-pro-preview';
  const { body } = toChatRequest(validation.value, {
    upstreamModel: model,
    capabilities: capabilitiesFor(model),
    dialect: preset.chat,
    hash: (value) => value,
  });
  const wire = JSON.parse(JSON.stringify(body)) as { messages: WireMessage[] };
  const calls = wire.messages.find((message) => message.role === 'assistant')?.tool_calls ?? [];
  const resultIds = wire.messages.flatMap((message) =>
    message.role === 'tool' ? [message.tool_call_id] : [],
  );
  return { wire, calls, resultIds, ids };
}

describe('the short id a signed call goes upstream under', () => {
  it('fits OpenAI call ids, is stable, and leaves other ids alone', () => {
    expect(SHORT_ID).toMatch(/^toolu_gts_[0-9a-f]{16}$/);
    expect(SHORT_ID.length).toBeLessThanOrEqual(40);
    expect(upstreamCallId(SIGNED_ID)).toBe(SHORT_ID);
    expect(upstreamCallId(signedToolUseId(`${SIGNATURE}x`))).not.toBe(SHORT_ID);
    expect(upstreamCallId('call_2')).toBe('call_2');
  });
});

describe('the next request sends the signature back', () => {
  const answer = toAnthropicMessageFromChat(renderChatBody(scripted, render()), answerContext());

  it('with the gemini dialect: the exact signature on the signed call, under a short id', () => {
    const { calls, resultIds, ids } = nextRequest('gemini', answer.content);
    expect(calls).toEqual([
      {
        id: SHORT_ID,
        type: 'function',
        function: { name: 'Read', arguments: '{"path":"a"}' },
        extra_content: { google: { thought_signature: SIGNATURE } },
      },
      { id: 'call_2', type: 'function', function: { name: 'Read', arguments: '{"path":"b"}' } },
    ]);
    expect(resultIds).toEqual(ids.map(upstreamCallId));
  });

  it("with the gemini dialect: Google's stand-in on the first call of a turn with none", () => {
    const { calls } = nextRequest('gemini', [
      { type: 'tool_use', id: 'toolu_01abc', name: 'Read', input: {} },
      { type: 'tool_use', id: 'toolu_02def', name: 'Read', input: {} },
    ]);
    expect(calls.map((wireCall) => wireCall.extra_content)).toEqual([
      { google: { thought_signature: DUMMY } },
      undefined,
    ]);
    expect(calls.map((wireCall) => wireCall.id)).toEqual(['toolu_01abc', 'toolu_02def']);
  });

  it('with the gemini dialect: no stand-in where a later call is signed', () => {
    const { calls } = nextRequest('gemini', [
      { type: 'tool_use', id: 'toolu_01abc', name: 'Read', input: {} },
      { type: 'tool_use', id: SIGNED_ID, name: 'Read', input: {} },
    ]);
    expect(calls.map((wireCall) => wireCall.extra_content)).toEqual([
      undefined,
      { google: { thought_signature: SIGNATURE } },
    ]);
  });

  for (const provider of ['openai', 'deepseek']) {
    it(`with the ${provider} dialect: no extra_content, the signed id short as OpenAI needs`, () => {
      const { wire, calls, resultIds, ids } = nextRequest(provider, answer.content);
      expect(JSON.stringify(wire)).not.toContain('extra_content');
      expect(JSON.stringify(wire)).not.toContain(SIGNED_ID);
      expect(calls).toEqual([
        { id: SHORT_ID, type: 'function', function: { name: 'Read', arguments: '{"path":"a"}' } },
        { id: 'call_2', type: 'function', function: { name: 'Read', arguments: '{"path":"b"}' } },
      ]);
      expect(resultIds).toEqual(ids.map(upstreamCallId));
    });
  }
});
