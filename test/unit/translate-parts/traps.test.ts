/**
 * PROTOCOL.md §4: each trap that concerns the Responses path, as a test named after it. The
 * Chat Completions traps (T6, T13, T18) belong to the Chat translators of their own issue.
 * Upstream events come from the mock's renderer, which the openai SDK itself validates.
 */
import { describe, expect, it } from 'vitest';
import type { AnthropicStreamEvent } from '../../../app/protocol/anthropic-wire.ts';
import type { MessagesRequest } from '../../../app/protocol/messages-request.ts';
import { toAnthropicMessage } from '../../../app/translate/from-responses.ts';
import { ResponsesStreamTranslator } from '../../../app/translate/from-responses-stream.ts';
import { lifecycleViolations } from '../../../app/translate/lifecycle.ts';
import { decodeReasoningSignature } from '../../../app/translate/reasoning-signature.ts';
import { toResponsesRequest } from '../../../app/translate/to-responses-request.ts';
import { capabilitiesFor } from '../../../app/upstream/capabilities.ts';
import {
  renderResponsesBody,
  renderResponsesEvents,
} from '../../support/mock-openai/responses-wire.ts';
import { IdSource, type ScriptedTurn } from '../../support/mock-openai/script.ts';
import { testAnswerContext } from '../../support/answer-context.ts';

const answerContext = testAnswerContext;

function translateStream(
  events: readonly unknown[],
  ctx = answerContext(),
): AnthropicStreamEvent[] {
  const translator = new ResponsesStreamTranslator(ctx);
  const out: AnthropicStreamEvent[] = [];
  for (const event of events) {
    out.push(...translator.onEvent(event));
    if (translator.finished) return out;
  }
  return [...out, ...translator.onEnd()];
}

const render = (turn: ScriptedTurn) =>
  renderResponsesEvents(turn, { ids: new IdSource(), model: 'gpt-5.1', createdAt: 1 });
const renderBody = (turn: ScriptedTurn) =>
  renderResponsesBody(turn, { ids: new IdSource(), model: 'gpt-5.1', createdAt: 1 });
const checked = (events: AnthropicStreamEvent[]) => {
  expect(lifecycleViolations(events.map((data) => ({ event: data.type, data })))).toEqual([]);
  return events;
};
const request = (fields: Partial<MessagesRequest>): MessagesRequest => ({
  model: 'claude-opus-4-8',
  max_tokens: 1000,
  messages: [],
  ...fields,
});
const translateRequest = (fields: Partial<MessagesRequest>, model = 'gpt-5.1') =>
  toResponsesRequest(request(fields), {
    upstreamModel: model,
    capabilities: capabilitiesFor(model),
    hash: (value) => `hash(${value.length})`,
  });

describe('PROTOCOL.md traps on the Responses path', () => {
  it('T1: the tool_use id is the call_id, and a call_id changed in .done does not change it', () => {
    const events = render({
      output: [{ type: 'tool_call', name: 'Read', arguments: '{}', callId: 'call_first' }],
    }) as unknown as Record<string, unknown>[];
    const done = events.find((event) => event['type'] === 'response.output_item.done') as {
      item: { call_id: string };
    };
    done.item.call_id = 'call_changed';
    const out = checked(translateStream(events));
    expect(out.find((event) => event.type === 'content_block_start')).toMatchObject({
      content_block: { type: 'tool_use', id: 'call_first' },
    });
  });

  it('T2: function_call items go upstream without an item id', () => {
    const { body } = translateRequest({
      messages: [
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { a: 1 } }],
        },
      ],
    });
    expect(body.input).toEqual([
      { type: 'function_call', call_id: 'toolu_1', name: 'Read', arguments: '{"a":1}' },
    ]);
  });

  it('T3: call ids Anthropic clients would reject are replaced, consistently in stream and body', () => {
    const turn: ScriptedTurn = {
      output: [{ type: 'tool_call', name: 'Read', arguments: '{}', callId: 'call.with:odd/chars' }],
    };
    const streamed = translateStream(render(turn));
    expect(streamed.find((event) => event.type === 'content_block_start')).toMatchObject({
      content_block: { id: 'toolu_generated_0' },
    });
    expect(toAnthropicMessage(renderBody(turn), answerContext()).content[0]).toMatchObject({
      id: 'toolu_generated_0',
    });
  });

  it('T4: tools without arguments end as {} whether arguments are "", "{}" or absent', () => {
    for (const args of ['', '{}']) {
      const out = checked(
        translateStream(
          render({ output: [{ type: 'tool_call', name: 'TaskList', arguments: args }] }),
        ),
      );
      const json = out
        .flatMap((event) =>
          event.type === 'content_block_delta' && event.delta.type === 'input_json_delta'
            ? [event.delta.partial_json]
            : [],
        )
        .join('');
      expect(JSON.parse(json)).toEqual({});
      expect(
        toAnthropicMessage(
          renderBody({ output: [{ type: 'tool_call', name: 'TaskList', arguments: args }] }),
          answerContext(),
        ).content[0],
      ).toMatchObject({ input: {} });
    }
    expect(
      translateRequest({
        messages: [
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 't', name: 'TaskList', input: {} }],
          },
        ],
      }).body.input,
    ).toEqual([{ type: 'function_call', call_id: 't', name: 'TaskList', arguments: '{}' }]);
  });

  it('T5: deltas are forwarded as they came, never re-split inside a character', () => {
    const out = translateStream(
      render({ output: [{ type: 'text', text: '😀🚀日本' }], deltaSize: 1 }),
    );
    const texts = out.flatMap((event) =>
      event.type === 'content_block_delta' && event.delta.type === 'text_delta'
        ? [event.delta.text]
        : [],
    );
    expect(texts).toEqual(['😀', '🚀', '日', '本']);
  });

  it('T7: tool_use is the stop reason whenever a call was emitted', () => {
    const out = translateStream(
      render({
        output: [
          { type: 'text', text: 'x' },
          { type: 'tool_call', name: 'Bash', arguments: '{"command":"ls"}' },
        ],
      }),
    );
    expect(out.find((event) => event.type === 'message_delta')).toMatchObject({
      delta: { stop_reason: 'tool_use' },
    });
  });

  it('T8: assistant history text goes up as assistant content, never input_text', () => {
    const { body } = translateRequest({
      messages: [{ role: 'assistant', content: [{ type: 'text', text: 'Earlier answer' }] }],
    });
    expect(body.input).toEqual([{ type: 'message', role: 'assistant', content: 'Earlier answer' }]);
  });

  it('T9: sampling parameters are dropped for reasoning models only', () => {
    expect(translateRequest({ temperature: 0.2, top_p: 0.9 }).body).not.toHaveProperty(
      'temperature',
    );
    expect(translateRequest({ temperature: 0.2, top_p: 0.9 }, 'gpt-4.1').body).toMatchObject({
      temperature: 0.2,
      top_p: 0.9,
    });
  });

  it('T10: function tools are sent with strict:false and without $schema', () => {
    const { body } = translateRequest({
      tools: [{ name: 'Write', input_schema: { $schema: 'x', type: 'object', properties: {} } }],
    });
    expect(body.tools).toEqual([
      {
        type: 'function',
        name: 'Write',
        parameters: { type: 'object', properties: {} },
        strict: false,
      },
    ]);
  });

  it('T11: store is false and no previous_response_id is ever sent', () => {
    const { body } = translateRequest({ messages: [{ role: 'user', content: 'hi' }] });
    expect(body.store).toBe(false);
    expect(body).not.toHaveProperty('previous_response_id');
  });

  it('T12: an empty-summary reasoning item still becomes a thinking block that carries it', () => {
    const out = checked(
      translateStream(
        render({
          output: [
            { type: 'reasoning', summary: [], encryptedContent: 'enc' },
            { type: 'text', text: 'ok' },
          ],
        }),
      ),
    );
    expect(
      out.filter(
        (event) => event.type === 'content_block_delta' && event.delta.type === 'signature_delta',
      ),
    ).toHaveLength(1);
  });

  it('T14: usage input excludes cached tokens', () => {
    const message = toAnthropicMessage(
      renderBody({
        output: [{ type: 'text', text: 'x' }],
        usage: { input: 100, cached: 60, output: 5 },
      }),
      answerContext(),
    );
    expect(message.usage).toEqual({
      input_tokens: 40,
      cache_read_input_tokens: 60,
      cache_creation_input_tokens: 0,
      output_tokens: 5,
    });
  });

  it('T15: unknown events and item kinds are skipped without failing', () => {
    const events: unknown[] = [
      ...render({ output: [{ type: 'text', text: 'hi' }] }).slice(0, 2),
      { type: 'response.queued', sequence_number: 90 },
      {
        type: 'response.output_item.added',
        output_index: 5,
        item: { type: 'web_search_call', id: 'ws_1', status: 'in_progress' },
      },
      { type: 'response.web_search_call.completed', output_index: 5, item_id: 'ws_1' },
      {
        type: 'response.output_item.done',
        output_index: 5,
        item: { type: 'web_search_call', id: 'ws_1', status: 'completed' },
      },
      ...render({ output: [{ type: 'text', text: 'hi' }] }).slice(2),
    ];
    const out = checked(translateStream(events));
    expect(out.find((event) => event.type === 'message_delta')).toMatchObject({
      delta: { stop_reason: 'end_turn' },
    });
  });

  it('T16/T4: an upstream that stops mid-arguments ends in an error event, not invalid JSON', () => {
    const events = render({
      output: [
        { type: 'tool_call', name: 'Write', arguments: '{"file_path":"/a","content":"long"}' },
      ],
      deltaSize: 5,
    });
    const cut = events.slice(0, 5);
    const out = checked(translateStream(cut));
    expect(out.at(-1)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('T17: tool results become strings (or parts), never null', () => {
    const { body } = translateRequest({
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a' }] }],
    });
    expect(body.input).toEqual([{ type: 'function_call_output', call_id: 'a', output: '' }]);
  });

  it('T19: max_tokens below the Responses minimum is raised to 16, above the limit lowered', () => {
    expect(translateRequest({ max_tokens: 1 }).body.max_output_tokens).toBe(16);
    expect(translateRequest({ max_tokens: 500_000 }).body.max_output_tokens).toBe(128_000);
    expect(translateRequest({ max_tokens: 1 }).notes.join()).toContain(
      'max_tokens 1 -> max_output_tokens 16',
    );
  });

  it('T20: the client model name is echoed back', () => {
    const out = translateStream(render({ output: [{ type: 'text', text: 'x' }] }));
    expect(out[0]).toMatchObject({ type: 'message_start', message: { model: 'claude-opus-4-8' } });
  });

  it('T21: metadata.user_id goes upstream only as its hash', () => {
    const userId = `{"device_id":"${'0'.repeat(64)}","account_uuid":"","session_id":"abc"}`;
    const { body } = translateRequest({ metadata: { user_id: userId } });
    expect(body.safety_identifier).toBe(`hash(${userId.length})`);
    expect(JSON.stringify(body)).not.toContain('device_id');
  });

  it('T22: reasoning and tool calls alternating become blocks in the same order', () => {
    const out = checked(
      translateStream(
        render({
          output: [
            { type: 'reasoning', summary: ['first'] },
            { type: 'tool_call', name: 'Read', arguments: '{}' },
            { type: 'reasoning', summary: ['second'] },
            { type: 'tool_call', name: 'Bash', arguments: '{"command":"ls"}' },
          ],
        }),
      ),
    );
    const kinds = out.flatMap((event) =>
      event.type === 'content_block_start' ? [event.content_block.type] : [],
    );
    expect(kinds).toEqual(['thinking', 'tool_use', 'thinking', 'tool_use']);
  });
});

describe('reasoning blocks', () => {
  const thinkingOf = (events: AnthropicStreamEvent[]) =>
    events
      .flatMap((event) =>
        event.type === 'content_block_delta' && event.delta.type === 'thinking_delta'
          ? [event.delta.thinking]
          : [],
      )
      .join('');
  const signatureOf = (events: AnthropicStreamEvent[]) =>
    events.flatMap((event) =>
      event.type === 'content_block_delta' && event.delta.type === 'signature_delta'
        ? [event.delta.signature]
        : [],
    );

  it('reads reasoning_text parts as thinking, not as an empty text block', () => {
    const events: unknown[] = [
      { type: 'response.created', response: {} },
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: { type: 'reasoning', id: 'rs_1', summary: [] },
      },
      {
        type: 'response.content_part.added',
        output_index: 0,
        item_id: 'rs_1',
        content_index: 0,
        part: { type: 'reasoning_text', text: '' },
      },
      {
        type: 'response.reasoning_text.delta',
        output_index: 0,
        item_id: 'rs_1',
        content_index: 0,
        delta: 'Think.',
      },
      {
        type: 'response.output_item.done',
        output_index: 0,
        item: { type: 'reasoning', id: 'rs_1', summary: [] },
      },
      { type: 'response.completed', response: { status: 'completed', output: [] } },
    ];
    const out = checked(translateStream(events));
    expect(
      out.flatMap((event) =>
        event.type === 'content_block_start' ? [event.content_block.type] : [],
      ),
    ).toEqual(['thinking']);
    expect(thinkingOf(out)).toBe('Think.');
  });

  it('signs a thinking block even when its item never finishes, from what .added and the deltas said', () => {
    const events = render({
      output: [
        { type: 'reasoning', summary: ['half a thought'], encryptedContent: 'enc-early' },
        { type: 'text', text: 'answer' },
      ],
    }) as unknown as Record<string, unknown>[];
    const withoutReasoningDone = events.filter(
      (event) =>
        !(
          event['type'] === 'response.output_item.done' &&
          (event['item'] as { type: string }).type === 'reasoning'
        ),
    );
    // The mock announces encrypted_content only on .done; real servers send it in .added too.
    const added = withoutReasoningDone.find(
      (event) => event['type'] === 'response.output_item.added',
    ) as { item: Record<string, unknown> };
    added.item['encrypted_content'] = 'enc-early';
    const out = checked(translateStream(withoutReasoningDone));
    const [signature] = signatureOf(out);
    expect(decodeReasoningSignature(signature ?? '')).toEqual({
      id: expect.stringMatching(/^rs_/),
      encryptedContent: 'enc-early',
      summary: ['half a thought'],
    });
  });

  it('gives the same thinking text streaming and not, empty summary parts included', () => {
    const turn: ScriptedTurn = {
      output: [
        { type: 'reasoning', summary: ['', 'first', '', 'second', ''] },
        { type: 'text', text: 'ok' },
      ],
    };
    const streamed = thinkingOf(checked(translateStream(render(turn))));
    const once = toAnthropicMessage(renderBody(turn), answerContext()).content[0];
    expect(streamed).toBe('first\n\nsecond');
    expect(once).toMatchObject({ type: 'thinking', thinking: streamed });
  });
});

describe('the parallel wrapper some models emit (gpt-5.4)', () => {
  const wrapped = JSON.stringify({
    tool_uses: [
      { recipient_name: 'functions.Read', parameters: { file_path: '/a.ts' } },
      { recipient_name: 'functions.Bash', parameters: { command: 'ls' } },
    ],
  });
  const turn: ScriptedTurn = {
    output: [{ type: 'tool_call', name: 'parallel', arguments: wrapped }],
    deltaSize: 7,
  };
  const toolBlocks = (events: AnthropicStreamEvent[]) => {
    const blocks = events.flatMap((event) =>
      event.type === 'content_block_start' && event.content_block.type === 'tool_use'
        ? [event.content_block]
        : [],
    );
    const inputs = new Map<number, string>();
    for (const event of events) {
      if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta')
        inputs.set(event.index, (inputs.get(event.index) ?? '') + event.delta.partial_json);
    }
    return blocks.map((block, index) => ({
      name: block.name,
      id: block.id,
      input: JSON.parse(inputs.get(index) ?? '') as unknown,
    }));
  };

  it('becomes the separate calls it holds, streaming and not', () => {
    const streamed = toolBlocks(checked(translateStream(render(turn))));
    expect(streamed).toEqual([
      { name: 'Read', id: 'toolu_generated_0', input: { file_path: '/a.ts' } },
      { name: 'Bash', id: 'toolu_generated_1', input: { command: 'ls' } },
    ]);
    const message = toAnthropicMessage(renderBody(turn), answerContext());
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'toolu_generated_0', name: 'Read', input: { file_path: '/a.ts' } },
      { type: 'tool_use', id: 'toolu_generated_1', name: 'Bash', input: { command: 'ls' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('stays a plain call when the client declared a tool named parallel', () => {
    const ctx = answerContext({ declaredToolNames: new Set(['parallel']) });
    const streamed = toolBlocks(checked(translateStream(render(turn), ctx)));
    expect(streamed.map((block) => block.name)).toEqual(['parallel']);
  });

  it('is an error when its arguments are not a wrapper, never a guess', () => {
    const broken: ScriptedTurn = {
      output: [{ type: 'tool_call', name: 'parallel', arguments: '{"tool_uses":"nope"}' }],
    };
    expect(checked(translateStream(render(broken))).at(-1)).toMatchObject({
      type: 'error',
      error: { type: 'api_error' },
    });
    expect(() => toAnthropicMessage(renderBody(broken), answerContext())).toThrow(
      /invalid JSON arguments for tool parallel/,
    );
  });
});

describe('request details', () => {
  it('maps tool_choice and disable_parallel_tool_use', () => {
    const tools = [{ name: 'Write', input_schema: { type: 'object' } }];
    const choose = (tool_choice: MessagesRequest['tool_choice']) =>
      translateRequest({ tools, tool_choice }).body;
    expect(choose({ type: 'auto' }).tool_choice).toBe('auto');
    expect(choose({ type: 'any', disable_parallel_tool_use: true })).toMatchObject({
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(choose({ type: 'tool', name: 'Write' }).tool_choice).toEqual({
      type: 'function',
      name: 'Write',
    });
    expect(choose({ type: 'none' }).tool_choice).toBe('none');
  });

  it('maps web search where the model has it and drops other server tools with a note', () => {
    const tools = [
      { type: 'web_search_20250305', name: 'web_search' },
      { type: 'bash_20250124', name: 'bash' },
    ];
    const withSearch = translateRequest({ tools });
    expect(withSearch.body.tools).toEqual([{ type: 'web_search' }]);
    expect(withSearch.notes.join('\n')).toContain('dropped server tool bash');
    expect(translateRequest({ tools }, 'some-local-model').body).not.toHaveProperty('tools');
  });

  it('sends documents as files or text, and tool result images as image parts', () => {
    const { body } = translateRequest({
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
              title: 'spec.pdf',
            },
            {
              type: 'document',
              source: { type: 'text', media_type: 'text/plain', data: 'plain words' },
              title: 'notes',
            },
            {
              type: 'tool_result',
              tool_use_id: 'shot',
              content: [
                { type: 'text', text: 'screenshot:' },
                {
                  type: 'image',
                  source: { type: 'base64', media_type: 'image/png', data: 'iVBO' },
                },
              ],
              is_error: true,
            },
          ],
        },
      ],
    });
    expect(body.input).toEqual([
      {
        type: 'message',
        role: 'user',
        content: [
          {
            type: 'input_file',
            filename: 'spec.pdf',
            file_data: 'data:application/pdf;base64,JVBERi0=',
          },
          { type: 'input_text', text: 'notes\n\nplain words' },
        ],
      },
      {
        type: 'function_call_output',
        call_id: 'shot',
        output: [
          { type: 'input_text', text: 'Error:' },
          { type: 'input_text', text: 'screenshot:' },
          { type: 'input_image', image_url: 'data:image/png;base64,iVBO', detail: 'auto' },
        ],
      },
    ]);
  });

  it('keeps system text, drops only the billing line, and omits empty instructions', () => {
    expect(translateRequest({ system: 'Be brief.' }).body.instructions).toBe('Be brief.');
    expect(
      translateRequest({
        system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=1;' }],
      }).body,
    ).not.toHaveProperty('instructions');
  });
});

describe('system text', () => {
  it('drops only the billing line of a string system prompt, keeping the instructions after it', () => {
    const system = 'x-anthropic-billing-header: cc_version=2.1.197.abc;\nYou are helpful.';
    expect(translateRequest({ system }).body.instructions).toBe('You are helpful.');
  });
});
