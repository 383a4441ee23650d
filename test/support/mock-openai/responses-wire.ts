/**
 * Renders a scripted turn as the Responses API does on the wire (PROTOCOL.md 2.1): typed against
 * the `openai` SDK's own item and event types, so a field the SDK expects cannot go missing.
 */
import type {
  ResponseFunctionToolCall,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseReasoningItem,
  ResponseStreamEvent,
  ResponseUsage,
} from 'openai/resources/responses/responses';
import {
  defaultUsage,
  splitIntoDeltas,
  type IdSource,
  type ScriptedOutput,
  type ScriptedTurn,
} from './script.ts';

type WithoutSequence<E> = E extends unknown ? Omit<E, 'sequence_number'> : never;
type EventDraft = WithoutSequence<ResponseStreamEvent>;

/** The `response` object of non-streaming bodies and of the created/terminal events. */
export interface WireResponse {
  id: string;
  object: 'response';
  created_at: number;
  status: 'in_progress' | 'completed' | 'incomplete';
  model: string;
  output: ResponseOutputItem[];
  usage: ResponseUsage | null;
  error: null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  temperature: number | null;
  top_p: number | null;
  tool_choice: 'auto';
  tools: [];
  store: false;
}

export interface RenderContext {
  readonly ids: IdSource;
  readonly model: string;
  readonly createdAt: number;
}

export function renderResponsesBody(turn: ScriptedTurn, ctx: RenderContext): WireResponse {
  const responseId = ctx.ids.id('resp_');
  const items = (turn.output ?? []).map((output) => completeItem(output, ctx.ids));
  return terminalResponse(responseId, items, turn, ctx);
}

/** The full event sequence, `sequence_number` from 0, as api.openai.com sends it. */
export function renderResponsesEvents(
  turn: ScriptedTurn,
  ctx: RenderContext,
): ResponseStreamEvent[] {
  const responseId = ctx.ids.id('resp_');
  const size = turn.deltaSize ?? 4;
  const inProgress: WireResponse = {
    ...terminalResponse(responseId, [], turn, ctx),
    status: 'in_progress',
    usage: null,
    incomplete_details: null,
  };
  const drafts: EventDraft[] = [
    { type: 'response.created', response: asSdkResponse(inProgress) },
    { type: 'response.in_progress', response: asSdkResponse(inProgress) },
  ];
  const done: ResponseOutputItem[] = [];
  (turn.output ?? []).forEach((output, outputIndex) => {
    const item = completeItem(output, ctx.ids);
    drafts.push(...itemEvents(item, outputIndex, size));
    done.push(item);
  });
  const final = terminalResponse(responseId, done, turn, ctx);
  drafts.push(
    turn.incomplete
      ? { type: 'response.incomplete', response: asSdkResponse(final) }
      : { type: 'response.completed', response: asSdkResponse(final) },
  );
  return drafts.map((draft, index) => ({ ...draft, sequence_number: index }));
}

function itemEvents(item: ResponseOutputItem, outputIndex: number, size: number): EventDraft[] {
  const output_index = outputIndex;
  switch (item.type) {
    case 'message': {
      const text = item.content[0]?.type === 'output_text' ? item.content[0].text : '';
      const item_id = item.id;
      const part = { type: 'output_text' as const, text: '', annotations: [], logprobs: [] };
      return [
        {
          type: 'response.output_item.added',
          output_index,
          item: { ...item, status: 'in_progress', content: [] },
        },
        { type: 'response.content_part.added', item_id, output_index, content_index: 0, part },
        ...splitIntoDeltas(text, size).map((delta): EventDraft => ({
          type: 'response.output_text.delta',
          item_id,
          output_index,
          content_index: 0,
          delta,
          logprobs: [],
        })),
        {
          type: 'response.output_text.done',
          item_id,
          output_index,
          content_index: 0,
          text,
          logprobs: [],
        },
        {
          type: 'response.content_part.done',
          item_id,
          output_index,
          content_index: 0,
          part: { ...part, text },
        },
        { type: 'response.output_item.done', output_index, item },
      ];
    }
    case 'function_call': {
      const item_id = item.id ?? '';
      return [
        {
          type: 'response.output_item.added',
          output_index,
          item: { ...item, arguments: '', status: 'in_progress' },
        },
        ...splitIntoDeltas(item.arguments, size).map((delta): EventDraft => ({
          type: 'response.function_call_arguments.delta',
          item_id,
          output_index,
          delta,
        })),
        {
          type: 'response.function_call_arguments.done',
          item_id,
          output_index,
          arguments: item.arguments,
        },
        { type: 'response.output_item.done', output_index, item },
      ];
    }
    case 'reasoning': {
      const item_id = item.id;
      const events: EventDraft[] = [
        { type: 'response.output_item.added', output_index, item: { ...item, summary: [] } },
      ];
      item.summary.forEach(({ text }, summary_index) => {
        events.push(
          {
            type: 'response.reasoning_summary_part.added',
            item_id,
            output_index,
            summary_index,
            part: { type: 'summary_text', text: '' },
          },
          ...splitIntoDeltas(text, size).map((delta): EventDraft => ({
            type: 'response.reasoning_summary_text.delta',
            item_id,
            output_index,
            summary_index,
            delta,
          })),
          {
            type: 'response.reasoning_summary_text.done',
            item_id,
            output_index,
            summary_index,
            text,
          },
          {
            type: 'response.reasoning_summary_part.done',
            item_id,
            output_index,
            summary_index,
            part: { type: 'summary_text', text },
          },
        );
      });
      events.push({ type: 'response.output_item.done', output_index, item });
      return events;
    }
    default:
      throw new Error(`mock: cannot render output item ${item.type}`);
  }
}

function completeItem(output: ScriptedOutput, ids: IdSource): ResponseOutputItem {
  switch (output.type) {
    case 'text':
      return {
        id: ids.id('msg_'),
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: output.text, annotations: [], logprobs: [] }],
      } satisfies ResponseOutputMessage;
    case 'tool_call':
      return {
        id: ids.id('fc_'),
        type: 'function_call',
        call_id: output.callId ?? ids.id('call_'),
        name: output.name,
        arguments: output.arguments,
        status: 'completed',
      } satisfies ResponseFunctionToolCall;
    case 'reasoning': {
      const item: ResponseReasoningItem = {
        id: ids.id('rs_'),
        type: 'reasoning',
        summary: output.summary.map((text) => ({ type: 'summary_text' as const, text })),
      };
      if (output.encryptedContent !== undefined) item.encrypted_content = output.encryptedContent;
      return item;
    }
  }
}

function terminalResponse(
  id: string,
  output: ResponseOutputItem[],
  turn: ScriptedTurn,
  ctx: RenderContext,
): WireResponse {
  const usage = turn.usage ?? defaultUsage;
  return {
    id,
    object: 'response',
    created_at: ctx.createdAt,
    status: turn.incomplete ? 'incomplete' : 'completed',
    model: ctx.model,
    output,
    usage: {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: usage.cached ?? 0, cache_write_tokens: 0 },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
      total_tokens: usage.input + usage.output,
    },
    error: null,
    incomplete_details: turn.incomplete ? { reason: turn.incomplete } : null,
    instructions: null,
    metadata: {},
    parallel_tool_calls: true,
    temperature: null,
    top_p: null,
    tool_choice: 'auto',
    tools: [],
    store: false,
  };
}

/** The SDK's Response type adds `output_text`, a convenience it computes; it is not on the wire. */
function asSdkResponse(response: WireResponse): ResponseCreatedDraftResponse {
  return response as unknown as ResponseCreatedDraftResponse;
}
type ResponseCreatedDraftResponse = Extract<
  ResponseStreamEvent,
  { type: 'response.created' }
>['response'];
