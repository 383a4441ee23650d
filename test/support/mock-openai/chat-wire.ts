/**
 * Renders a scripted turn as Chat Completions does on the wire (PROTOCOL.md 2.2): `data:` chunks
 * ending in `[DONE]`, tool calls announced by index with id and name on their first delta only,
 * usage in a last chunk with empty `choices` when the request asked for it. Reasoning goes out as
 * `reasoning_content`, as DeepSeek, xAI and vLLM send it. A call with a thought signature carries
 * it as Gemini does, in `extra_content` beside the call (on its first delta when streamed).
 */
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { defaultUsage, splitIntoDeltas, type ScriptedTurn } from './script.ts';
import type { RenderContext } from './responses-wire.ts';

type Delta = ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };
type FinishReason = ChatCompletionChunk.Choice['finish_reason'];
type WireCall = { index: number; id: string; name: string; deltas: string[]; signature?: string };

/** Gemini's field, only where a call was scripted with one (other output stays byte-identical). */
const signatureField = (signature: string | undefined) =>
  signature === undefined ? {} : { extra_content: { google: { thought_signature: signature } } };

export function renderChatChunks(
  turn: ScriptedTurn,
  ctx: RenderContext,
  includeUsage: boolean,
): ChatCompletionChunk[] {
  const id = ctx.ids.id('chatcmpl-');
  const size = turn.deltaSize ?? 4;
  const wire = turn.chat ?? {};
  const chunk = (delta: Delta, finish_reason: FinishReason = null): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created: ctx.createdAt,
    model: ctx.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason }],
  });

  const chunks: ChatCompletionChunk[] = [chunk({ role: 'assistant', content: '' })];
  const calls: WireCall[] = [];
  for (const output of turn.output ?? []) {
    switch (output.type) {
      case 'reasoning':
        for (const delta of splitIntoDeltas(output.summary.join('\n\n'), size)) {
          chunks.push(chunk({ reasoning_content: delta, content: '' }));
        }
        break;
      case 'text':
        for (const delta of splitIntoDeltas(output.text, size))
          chunks.push(chunk({ content: delta }));
        break;
      case 'tool_call':
        calls.push({
          index: calls.length,
          id: output.callId ?? ctx.ids.id('call_'),
          name: output.name,
          deltas:
            wire.wholeArguments === true
              ? [output.arguments]
              : splitIntoDeltas(output.arguments, size),
          ...(output.thoughtSignature === undefined ? {} : { signature: output.thoughtSignature }),
        });
        break;
    }
  }
  chunks.push(...toolCallChunks(calls, wire, chunk));
  const usage = includeUsage && wire.usage !== 'none' ? chatUsage(turn) : undefined;
  const finish = chunk({}, finishReason(turn, calls.length > 0));
  if (usage && wire.usage === 'finish-chunk') finish.usage = usage;
  chunks.push(finish);
  if (usage && wire.usage !== 'finish-chunk') {
    chunks.push({
      id,
      object: 'chat.completion.chunk',
      created: ctx.createdAt,
      model: ctx.model,
      choices: [],
      usage,
    });
  }
  return chunks;
}

type ChunkOf = (delta: Delta) => ChatCompletionChunk;

/**
 * Tool calls as servers send them: one after another (OpenAI), or with their deltas interleaved
 * round-robin by index, and with the id and name on the first delta only or on every one.
 */
function toolCallChunks(
  calls: readonly WireCall[],
  wire: NonNullable<ScriptedTurn['chat']>,
  chunk: ChunkOf,
): ChatCompletionChunk[] {
  const announce = (call: (typeof calls)[number], args: string) =>
    chunk({
      tool_calls: [
        {
          index: call.index,
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: args },
          ...signatureField(call.signature),
        },
      ],
    });
  const fragment = (call: (typeof calls)[number], args: string) =>
    wire.repeatIdAndName === true
      ? announce(call, args)
      : chunk({ tool_calls: [{ index: call.index, function: { arguments: args } }] });
  if (wire.interleaveToolCalls !== true) {
    return calls.flatMap((call) => [
      announce(call, ''),
      ...call.deltas.map((args) => fragment(call, args)),
    ]);
  }
  const out = calls.map((call) => announce(call, ''));
  const longest = Math.max(0, ...calls.map((call) => call.deltas.length));
  for (let step = 0; step < longest; step++) {
    for (const call of calls) {
      const args = call.deltas[step];
      if (args !== undefined) out.push(fragment(call, args));
    }
  }
  return out;
}

export function renderChatBody(turn: ScriptedTurn, ctx: RenderContext): ChatCompletion {
  const outputs = turn.output ?? [];
  const text = outputs.flatMap((output) => (output.type === 'text' ? [output.text] : [])).join('');
  const reasoning = outputs.flatMap((output) =>
    output.type === 'reasoning' ? output.summary : [],
  );
  const toolCalls = outputs.flatMap((output) =>
    output.type === 'tool_call'
      ? [
          {
            id: output.callId ?? ctx.ids.id('call_'),
            type: 'function' as const,
            function: { name: output.name, arguments: output.arguments },
            ...signatureField(output.thoughtSignature),
          },
        ]
      : [],
  );
  const message: ChatCompletion.Choice['message'] & { reasoning_content?: string } = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning.length > 0) message.reasoning_content = reasoning.join('\n\n');
  return {
    id: ctx.ids.id('chatcmpl-'),
    object: 'chat.completion',
    created: ctx.createdAt,
    model: ctx.model,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: finishReason(turn, toolCalls.length > 0),
      },
    ],
    usage: chatUsage(turn),
  };
}

function finishReason(turn: ScriptedTurn, hasToolCalls: boolean): NonNullable<FinishReason> {
  if (turn.incomplete === 'max_output_tokens') return 'length';
  if (turn.incomplete === 'content_filter') return 'content_filter';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

function chatUsage(turn: ScriptedTurn): CompletionUsage {
  const usage = turn.usage ?? defaultUsage;
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cached ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
  };
}
