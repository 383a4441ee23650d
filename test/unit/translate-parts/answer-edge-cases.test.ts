/**
 * Edge cases of the answer direction that no capture holds: index-less parallel calls (Gemini's
 * OpenAI-compatible endpoint), tool calls cut before their first argument, events after the end,
 * and call_ids a compatible server repeats. Chat answers come from the mock's renderer where it
 * can say them, hand-made chunks where it cannot.
 */
import { describe, expect, it } from 'vitest';
import { AnthropicError } from '../../../app/protocol/anthropic-errors.ts';
import type { AnthropicStreamEvent } from '../../../app/protocol/anthropic-wire.ts';
import { AnthropicStreamBuilder } from '../../../app/translate/anthropic-stream.ts';
import { ChatStreamTranslator } from '../../../app/translate/from-chat-stream.ts';
import { toAnthropicMessageFromChat } from '../../../app/translate/from-chat.ts';
import { toAnthropicMessage } from '../../../app/translate/from-responses.ts';
import { ResponsesStreamTranslator } from '../../../app/translate/from-responses-stream.ts';
import { lifecycleViolations } from '../../../app/translate/lifecycle.ts';
import { renderChatBody, renderChatChunks } from '../../support/mock-openai/chat-wire.ts';
import { IdSource, type ScriptedTurn } from '../../support/mock-openai/script.ts';
import { streamedToolUses } from '../../support/stream-tool-uses.ts';
import { testAnswerContext } from '../../support/answer-context.ts';

const answerContext = testAnswerContext;

/** Feeds events until the translator is finished, then tells it the upstream ended. */
function translate(
  translator: ChatStreamTranslator | ResponsesStreamTranslator,
  events: readonly unknown[],
): AnthropicStreamEvent[] {
  const out: AnthropicStreamEvent[] = [];
  for (const event of events) {
    if (translator.finished) break;
    out.push(...translator.onEvent(event));
  }
  return [...out, ...translator.onEnd()];
}

const chatStream = (chunks: readonly unknown[], ctx = answerContext()) =>
  checked(translate(new ChatStreamTranslator(ctx), chunks));
const responsesStream = (events: readonly unknown[], ctx = answerContext()) =>
  checked(translate(new ResponsesStreamTranslator(ctx), events));

const render = { ids: new IdSource(), model: 'gpt-4o', createdAt: 1 };

function checked(events: AnthropicStreamEvent[]): AnthropicStreamEvent[] {
  expect(lifecycleViolations(events.map((data) => ({ event: data.type, data })))).toEqual([]);
  return events;
}

/** The tool_use blocks of a stream: id, name and parsed input. */
const toolUses = (events: AnthropicStreamEvent[]) =>
  streamedToolUses(events).map(({ id, name, input }) => ({ id, name, input }));

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const call = (id: string, name: string, args: string) => ({
  id,
  type: 'function',
  function: { name, arguments: args },
});

function expectApiError(events: AnthropicStreamEvent[]): void {
  expect(events.at(-1)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  expect(events.map((event) => event.type)).not.toContain('message_stop');
}

function expectThrowsApiError(translateBody: () => unknown): void {
  expect(translateBody).toThrow(AnthropicError);
  expect(translateBody).toThrow(/invalid JSON arguments/);
}

describe('Chat tool calls without an index (Gemini)', () => {
  it('are told apart by their ids, whole calls in one chunk', () => {
    const events = chatStream([
      chunk({
        role: 'assistant',
        tool_calls: [call('call_a', 'Read', '{"path":"a"}'), call('call_b', 'Read', '{}')],
      }),
      chunk({}, 'tool_calls'),
    ]);
    expect(toolUses(events)).toEqual([
      { id: 'call_a', name: 'Read', input: { path: 'a' } },
      { id: 'call_b', name: 'Read', input: {} },
    ]);
    expect(events.find((event) => event.type === 'message_delta')).toMatchObject({
      delta: { stop_reason: 'tool_use' },
    });
  });

  it('continue the last call on a delta with no id or the same id, across chunks', () => {
    const events = chatStream([
      chunk({ tool_calls: [call('call_a', 'Grep', '{"pattern":')] }),
      chunk({ tool_calls: [{ function: { arguments: '"x"' } }] }),
      chunk({ tool_calls: [{ id: 'call_a', function: { arguments: '}' } }] }),
      chunk({ tool_calls: [call('call_b', 'Read', '{"path":"b"}')] }),
      chunk({}, 'stop'),
    ]);
    expect(toolUses(events)).toEqual([
      { id: 'call_a', name: 'Grep', input: { pattern: 'x' } },
      { id: 'call_b', name: 'Read', input: { path: 'b' } },
    ]);
  });

  it('start past every index already seen when they follow indexed calls', () => {
    const events = chatStream([
      chunk({ tool_calls: [{ index: 0, ...call('call_a', 'Read', '{"path":"a"}') }] }),
      chunk({ tool_calls: [call('call_b', 'Read', '{"path":"b"}')] }),
      chunk({}, 'tool_calls'),
    ]);
    expect(toolUses(events).map((use) => use.id)).toEqual(['call_a', 'call_b']);
  });
});

describe('a tool call cut before its first argument (T4: {} only after a normal ending)', () => {
  const cutTurn: ScriptedTurn = {
    output: [{ type: 'tool_call', name: 'Write', arguments: '', callId: 'call_cut' }],
    incomplete: 'max_output_tokens',
  };

  it('ends a Responses stream cut at max_output_tokens with an api_error', () => {
    const added = {
      type: 'response.output_item.added',
      output_index: 0,
      item: {
        type: 'function_call',
        id: 'fc_1',
        call_id: 'call_cut',
        name: 'Write',
        arguments: '',
      },
    };
    const incomplete = {
      type: 'response.incomplete',
      response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
    };
    expectApiError(responsesStream([added, incomplete]));
    // The item may also say so itself, closing before the terminal event does.
    const done = {
      type: 'response.output_item.done',
      output_index: 0,
      item: { ...added.item, status: 'incomplete' },
    };
    expectApiError(responsesStream([added, done, incomplete]));
  });

  it('still ends a normally completed Responses call without arguments as {}', () => {
    const events = responsesStream([
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: { type: 'function_call', call_id: 'call_1', name: 'TaskList', arguments: '' },
      },
      { type: 'response.completed', response: { status: 'completed' } },
    ]);
    expect(toolUses(events)).toEqual([{ id: 'call_1', name: 'TaskList', input: {} }]);
  });

  it('ends a Chat stream with finish_reason length with an api_error', () => {
    expectApiError(chatStream(renderChatChunks(cutTurn, render, true)));
    // Also a call buffered behind another (T6) and emitted only at the end.
    expectApiError(
      chatStream([
        chunk({ tool_calls: [{ index: 0, ...call('call_a', 'Read', '{"path":') }] }),
        chunk({ tool_calls: [{ index: 1, ...call('call_b', 'Write', '') }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"a"}' } }] }),
        chunk({}, 'length'),
      ]),
    );
  });

  it('is an api_error in a non-streaming Responses body that is incomplete', () => {
    const body = {
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [{ type: 'function_call', call_id: 'call_cut', name: 'Write', arguments: '' }],
    };
    expectThrowsApiError(() => toAnthropicMessage(body, answerContext()));
  });

  it('in a non-streaming answer, suspects only the last call: the ones before it ended', () => {
    const both = {
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [
        { type: 'function_call', call_id: 'call_1', name: 'TaskList', arguments: '' },
        { type: 'function_call', call_id: 'call_2', name: 'Read', arguments: '{"path":"a"}' },
      ],
    };
    const message = toAnthropicMessage(both, answerContext());
    expect(
      message.content.map((block) => (block.type === 'tool_use' ? block.input : null)),
    ).toEqual([{}, { path: 'a' }]);
    const chat = renderChatBody(
      {
        output: [
          { type: 'tool_call', name: 'TaskList', arguments: '', callId: 'call_1' },
          { type: 'tool_call', name: 'Read', arguments: '{"path":"a"}', callId: 'call_2' },
        ],
        incomplete: 'max_output_tokens',
      },
      render,
    );
    expect(
      toAnthropicMessageFromChat(chat, answerContext()).content.map((block) =>
        block.type === 'tool_use' ? block.input : null,
      ),
    ).toEqual([{}, { path: 'a' }]);
  });

  it('is an api_error in a non-streaming Chat body with finish_reason length', () => {
    const body = renderChatBody(cutTurn, render);
    expect(body.choices[0]?.finish_reason).toBe('length');
    expectThrowsApiError(() => toAnthropicMessageFromChat(body, answerContext()));
  });
});

describe('a tool call left open as another block begins', () => {
  const added = (index: number, item: Record<string, unknown>) => ({
    type: 'response.output_item.added',
    output_index: index,
    item,
  });
  const call = { type: 'function_call', call_id: 'call_1', name: 'Write', arguments: '' };
  const args = (delta: string) => ({
    type: 'response.function_call_arguments.delta',
    output_index: 0,
    delta,
  });
  const message = { type: 'message', id: 'msg_1', role: 'assistant', content: [] };
  const textDelta = {
    type: 'response.output_text.delta',
    output_index: 1,
    content_index: 0,
    delta: 'Done.',
  };

  it('ends the stream with an api_error when its arguments are incomplete', () => {
    const events = responsesStream([
      added(0, call),
      args('{"file_path":'),
      added(1, message),
      textDelta,
    ]);
    expectApiError(events);
    expect(events.map((event) => event.type)).not.toContain('content_block_stop');
  });

  it('closes as usual when they are complete', () => {
    const events = responsesStream([
      added(0, call),
      args('{"file_path":"a"}'),
      added(1, message),
      textDelta,
      { type: 'response.completed', response: { status: 'completed' } },
    ]);
    expect(toolUses(events)).toEqual([{ id: 'call_1', name: 'Write', input: { file_path: 'a' } }]);
    expect(events.at(-1)).toEqual({ type: 'message_stop' });
  });
});

describe('nothing after the final event', () => {
  it('drops a tool call that arrives in the chunk whose text hit a stop sequence', () => {
    const events = chatStream(
      [
        chunk({
          content: 'Done. STOP and more',
          tool_calls: [{ index: 0, ...call('call_1', 'f', '{}') }],
        }),
        chunk({}, 'tool_calls'),
      ],
      answerContext({ stopSequences: ['STOP'] }),
    );
    expect(events.at(-1)).toEqual({ type: 'message_stop' });
    expect(events.find((event) => event.type === 'message_delta')).toMatchObject({
      delta: { stop_reason: 'stop_sequence', stop_sequence: 'STOP' },
    });
    expect(toolUses(events)).toEqual([]);
  });

  it('keeps the writer silent after message_stop or an error, whatever is called', () => {
    const afterwards = (builder: AnthropicStreamBuilder): AnthropicStreamEvent[] => {
      builder.take();
      builder.openText(0);
      builder.text(0, 'late');
      builder.openThinking(1, { id: 'rs_1', encryptedContent: null });
      builder.summaryPart();
      builder.thinking(1, 'late');
      builder.finishThinking();
      builder.openTool(2, 'call_1', 'f');
      builder.toolArguments('{}');
      builder.finishTool('{}');
      builder.completeTool(3, 'call_2', 'g', {});
      builder.close();
      builder.complete('end_turn', undefined);
      builder.fail('api_error', 'late');
      return builder.take();
    };
    const completed = new AnthropicStreamBuilder(answerContext());
    completed.start();
    completed.complete('end_turn', undefined);
    expect(afterwards(completed)).toEqual([]);
    expect(completed.toolUsed).toBe(false);

    const failed = new AnthropicStreamBuilder(answerContext());
    failed.start();
    failed.openText(0);
    failed.fail('overloaded_error', 'Overloaded');
    expect(afterwards(failed)).toEqual([]);
  });
});

describe('a call_id repeated across Responses function_call items (T3)', () => {
  const items = [
    { type: 'function_call', call_id: 'call_same', name: 'Read', arguments: '{"path":"a"}' },
    { type: 'function_call', call_id: 'call_same', name: 'Read', arguments: '{"path":"b"}' },
  ];

  it('gives each streamed block its own id', () => {
    const events = responsesStream([
      ...items.flatMap((item, output_index) => [
        { type: 'response.output_item.added', output_index, item: { ...item, arguments: '' } },
        { type: 'response.output_item.done', output_index, item },
      ]),
      { type: 'response.completed', response: { status: 'completed' } },
    ]);
    expect(toolUses(events)).toEqual([
      { id: 'call_same', name: 'Read', input: { path: 'a' } },
      { id: 'toolu_generated_0', name: 'Read', input: { path: 'b' } },
    ]);
  });

  it('gives each block of a body its own id', () => {
    const message = toAnthropicMessage({ status: 'completed', output: items }, answerContext());
    expect(message.content.map((block) => (block.type === 'tool_use' ? block.id : ''))).toEqual([
      'call_same',
      'toolu_generated_0',
    ]);
  });
});

describe('a non-streaming answer that is not one', () => {
  it('is an error when a Chat server answers 200 with an error object and no choice', () => {
    const body = { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } };
    expect(() => toAnthropicMessageFromChat(body, answerContext())).toThrow(
      expect.objectContaining({
        type: 'rate_limit_error',
        message: 'Upstream error: Rate limit reached',
      }),
    );
    expect(() => toAnthropicMessageFromChat({ choices: [] }, answerContext())).toThrow(
      'The upstream answered without a choice.',
    );
  });

  it('is an error when a Chat body stops for no known reason with nothing to show', () => {
    const body = { choices: [{ index: 0, message: { content: '' }, finish_reason: 'error' }] };
    expect(() => toAnthropicMessageFromChat(body, answerContext())).toThrow(
      /stopped without an answer \(finish_reason "error"\)/,
    );
    const empty = { choices: [{ index: 0, message: { content: '' }, finish_reason: 'stop' }] };
    expect(toAnthropicMessageFromChat(empty, answerContext()).content).toEqual([]);
  });

  it('tells the client not to retry a failed Responses body over quota', () => {
    const body = {
      status: 'failed',
      error: { code: 'insufficient_quota', message: 'You exceeded your current quota.' },
    };
    expect(() => toAnthropicMessage(body, answerContext())).toThrow(
      expect.objectContaining({
        status: 429,
        type: 'rate_limit_error',
        headers: { 'x-should-retry': 'false' },
      }),
    );
  });
});
