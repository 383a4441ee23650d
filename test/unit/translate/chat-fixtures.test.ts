/**
 * Every recorded Chat Completions capture through Parley's Chat answer translators. What the
 * client must see is derived from the capture itself (choice 0's deltas, its finish_reason and
 * the usage it reports) and the mapping rules of PROTOCOL.md 3.4, 3.5 and 3.6, never from a
 * translator run. Streams are read from raw bytes through the SSE reader and stop at `[DONE]`, as
 * the openai SDK does, so framing and chunking are part of what is tested.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnthropicError } from '../../../app/protocol/anthropic-errors.ts';
import type {
  AnthropicMessage,
  AnthropicStopReason,
  AnthropicStreamEvent,
} from '../../../app/protocol/anthropic-wire.ts';
import type { AnswerContext } from '../../../app/translate/answer-context.ts';
import { ChatStreamTranslator } from '../../../app/translate/from-chat-stream.ts';
import { toAnthropicMessageFromChat } from '../../../app/translate/from-chat.ts';
import { lifecycleViolations } from '../../../app/translate/lifecycle.ts';
import { decodeReasoningSignature } from '../../../app/translate/reasoning-signature.ts';
import { randomChunks, singleBytes } from '../../support/chunkings.ts';
import { sharedFixturesAvailable, sharedFixturesDir } from '../../support/shared-fixtures.ts';
import { parseSse, SseReader, type SseEvent } from '../../support/sse-reader.ts';

// ---- The capture's shapes, as far as the expectations read them (PROTOCOL.md 2.2) ----

interface ToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string;
  function?: { name?: string | null; arguments?: string | null };
}
/** Mistral's typed content parts: `{type:"thinking", thinking:[{type:"text", text}]}` or text. */
interface ContentPart {
  type: string;
  text?: string;
  thinking?: string | { type?: string; text?: string }[];
}
interface Delta {
  role?: string;
  content?: string | ContentPart[] | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  tool_calls?: ToolCallDelta[] | null;
}
interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  prompt_cache_hit_tokens?: number;
  prompt_cache_miss_tokens?: number;
}
interface Choice {
  index?: number;
  delta?: Delta;
  finish_reason?: string | null;
}
interface Chunk {
  choices?: Choice[];
  usage?: ChatUsage | null;
  x_groq?: { usage?: ChatUsage | null } | null;
}
/** A non-streaming body's choice carries the whole message instead of a delta. */
interface MessageChoice {
  index?: number;
  message?: Delta;
  finish_reason?: string | null;
}
interface CompletionBody {
  choices?: MessageChoice[];
  usage?: ChatUsage | null;
}
interface ManifestEntry {
  file: string;
  api: string;
  streaming: boolean;
}

const available = sharedFixturesAvailable();
const entries: ManifestEntry[] = available
  ? (
      JSON.parse(readFileSync(join(sharedFixturesDir, 'fixtures.json'), 'utf8')) as {
        fixtures: ManifestEntry[];
      }
    ).fixtures.filter((entry) => entry.api === 'openai-chat')
  : [];
const streams = entries.filter((entry) => entry.streaming).map((entry) => entry.file);
const bodies = entries
  .filter((entry) => !entry.streaming && entry.file.startsWith('openai-chat/json/'))
  .map((entry) => entry.file);

const bytesOf = (file: string): Uint8Array => readFileSync(join(sharedFixturesDir, file));
const jsonOf = (file: string): unknown =>
  JSON.parse(readFileSync(join(sharedFixturesDir, file), 'utf8'));

const DONE = '[DONE]';

/** The capture's chunks, up to `[DONE]` (the SDK delivers nothing after it). */
function upstreamChunks(file: string): Chunk[] {
  const events = parseSse(bytesOf(file));
  const done = events.findIndex(({ data }) => data.trim() === DONE);
  return (done === -1 ? events : events.slice(0, done)).map(
    ({ data }) => JSON.parse(data) as Chunk,
  );
}

// ---- Running the translators ----

const ESTIMATE = 10;

function answerContext(): AnswerContext {
  let counter = 0;
  return {
    messageId: 'msg_test',
    clientModel: 'claude-test',
    toolNames: new Map(),
    stopSequences: [],
    inputTokenEstimate: ESTIMATE,
    newToolUseId: () => `toolu_${String(++counter)}`,
  };
}

/** Feeds chunks until the translator is finished, then tells it the stream ended. */
function translateChunksOf(chunks: Iterable<unknown>): AnthropicStreamEvent[] {
  const translator = new ChatStreamTranslator(answerContext());
  const out: AnthropicStreamEvent[] = [];
  for (const chunk of chunks) {
    if (translator.finished) break;
    out.push(...translator.onEvent(chunk));
  }
  out.push(...translator.onEnd());
  return out;
}

/** SSE events -> JSON chunks, stopping at `[DONE]` as the openai SDK does. */
function* chunksOf(events: Iterable<SseEvent>): Generator {
  for (const { data } of events) {
    if (data.trim() === DONE) return;
    yield JSON.parse(data) as unknown;
  }
}

function* readAll(chunks: Iterable<Uint8Array>): Generator<SseEvent> {
  const reader = new SseReader();
  for (const chunk of chunks) yield* reader.feed(chunk);
  yield* reader.end();
}

/** Bytes -> SSE reader -> JSON -> translator, as the upstream client would read the wire. */
const translateBytes = (chunks: Iterable<Uint8Array>): AnthropicStreamEvent[] =>
  translateChunksOf(chunksOf(readAll(chunks)));

const violations = (events: AnthropicStreamEvent[]): string[] =>
  lifecycleViolations(events.map((data) => ({ event: data.type, data })));

const typesOf = (events: AnthropicStreamEvent[]): string[] => events.map((event) => event.type);

// ---- Expectations, from the capture ----

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: unknown; name: string; input: unknown }
  | { type: 'thinking'; thinking: string; signature: unknown };

/** A run of one kind of choice-0 output, in arrival order; tool calls grouped by `index`. */
type Segment =
  | { kind: 'text' | 'thinking'; text: string }
  | { kind: 'tool'; index: number; id: string; name: string; args: string };

/** What choice 0 of a capture amounts to (n>1 captures: the other choices are not the answer). */
interface Answer {
  segments: Segment[];
  text: string;
  refusal: string;
  toolCalled: boolean;
  finish: string | undefined;
  usage: ChatUsage | undefined;
}

const choiceZero = <T extends { index?: number }>(choices: T[] | undefined): T | undefined =>
  choices?.find((choice) => (choice.index ?? 0) === 0);

/** Reasoning arrives as reasoning_content (DeepSeek, xAI) or reasoning (Groq). */
const reasoningOf = (delta: Delta): string => delta.reasoning_content || delta.reasoning || '';

const thinkingPartText = (part: ContentPart): string =>
  typeof part.thinking === 'string'
    ? part.thinking
    : (part.thinking ?? []).map((piece) => piece.text ?? '').join('');

/** Reads choice 0's deltas (or a body's message, as one delta) into segments. */
function answerOf(choices: { delta: Delta; finish?: string | null }[], usage?: ChatUsage): Answer {
  const segments: Segment[] = [];
  const calls = new Map<number, Extract<Segment, { kind: 'tool' }>>();
  const answer: Answer = {
    segments,
    text: '',
    refusal: '',
    toolCalled: false,
    finish: undefined,
    usage,
  };
  const push = (kind: 'text' | 'thinking', text: string): void => {
    if (text === '') return;
    if (kind === 'text') answer.text += text;
    const last = segments.at(-1);
    if (last?.kind === kind) last.text += text;
    else segments.push({ kind, text });
  };
  for (const { delta, finish } of choices) {
    push('thinking', reasoningOf(delta));
    if (typeof delta.content === 'string') push('text', delta.content);
    for (const part of Array.isArray(delta.content) ? delta.content : []) {
      if (part.type === 'thinking') push('thinking', thinkingPartText(part));
      if (part.type === 'text') push('text', part.text ?? '');
    }
    push('text', delta.refusal ?? '');
    answer.refusal += delta.refusal ?? '';
    for (const call of delta.tool_calls ?? []) {
      const index = call.index ?? 0;
      let segment = calls.get(index);
      if (!segment) {
        segment = { kind: 'tool', index, id: '', name: '', args: '' };
        calls.set(index, segment);
        segments.push(segment);
      }
      // The id and name of a call come with its first delta (some servers repeat them).
      if (segment.id === '') segment.id = call.id ?? '';
      if (segment.name === '') segment.name = call.function?.name ?? '';
      segment.args += call.function?.arguments ?? '';
    }
    if (finish) answer.finish = finish;
  }
  answer.toolCalled = calls.size > 0;
  return answer;
}

function streamAnswer(chunks: Chunk[]): Answer {
  const choices: { delta: Delta; finish?: string | null }[] = [];
  let usage: ChatUsage | undefined;
  for (const chunk of chunks) {
    // Usage on the finish chunk, on a `choices: []` chunk after it, or under x_groq (3.6).
    usage = chunk.usage ?? chunk.x_groq?.usage ?? usage;
    const choice = choiceZero(chunk.choices);
    if (choice) choices.push({ delta: choice.delta ?? {}, finish: choice.finish_reason ?? null });
  }
  return answerOf(choices, usage);
}

function bodyAnswer(body: CompletionBody): Answer {
  const choice = choiceZero(body.choices);
  const message = choice?.message ?? {};
  // The message is the whole answer at once: read it as a single delta, each call its own.
  const calls = (message.tool_calls ?? []).map((call, index) => ({ ...call, index }));
  return answerOf(
    [{ delta: { ...message, tool_calls: calls }, finish: choice?.finish_reason ?? null }],
    body.usage ?? undefined,
  );
}

const wellFormedId = /^[a-zA-Z0-9_-]+$/;
const PARLEY_SIGNATURE = /^parley\.v1\./;

/**
 * The blocks a client must see, in order (PROTOCOL.md 3.4): reasoning as a signed thinking
 * block, text (and refusal text) as a text block, a tool_use per call index. A call id is kept
 * when Anthropic clients accept it and no earlier call of this message had it (T3); tool input
 * is the parsed concatenated arguments, {} when there were none (T4).
 */
function expectedBlocks(answer: Answer): Block[] {
  const used = new Set<string>();
  return answer.segments.map((segment): Block => {
    switch (segment.kind) {
      case 'thinking':
        return {
          type: 'thinking',
          thinking: segment.text,
          signature: expect.stringMatching(PARLEY_SIGNATURE),
        };
      case 'text':
        return { type: 'text', text: segment.text };
      case 'tool': {
        const keep = wellFormedId.test(segment.id) && !used.has(segment.id);
        used.add(segment.id);
        return {
          type: 'tool_use',
          id: keep ? segment.id : expect.stringMatching(/^toolu_/),
          name: segment.name,
          input: JSON.parse(segment.args === '' ? '{}' : segment.args),
        };
      }
    }
  });
}

function append<K>(map: Map<K, string>, key: K, delta = ''): void {
  map.set(key, (map.get(key) ?? '') + delta);
}

/** The blocks the translator emitted, with tool input parsed. */
function emittedBlocks(events: AnthropicStreamEvent[]): Block[] {
  const blocks: Block[] = [];
  const json = new Map<number, string>();
  for (const event of events) {
    if (event.type === 'content_block_start') {
      const start = event.content_block;
      blocks[event.index] =
        start.type === 'tool_use'
          ? { type: 'tool_use', id: start.id, name: start.name, input: undefined }
          : start.type === 'thinking'
            ? { type: 'thinking', thinking: '', signature: '' }
            : { type: 'text', text: '' };
    } else if (event.type === 'content_block_delta') {
      const block = blocks[event.index];
      const delta = event.delta;
      if (block?.type === 'text' && delta.type === 'text_delta') block.text += delta.text;
      if (block?.type === 'thinking' && delta.type === 'thinking_delta') {
        block.thinking += delta.thinking;
      }
      if (block?.type === 'thinking' && delta.type === 'signature_delta') {
        block.signature = delta.signature;
      }
      if (delta.type === 'input_json_delta') append(json, event.index, delta.partial_json);
    }
  }
  return blocks.map((block, index) =>
    block.type === 'tool_use' ? { ...block, input: JSON.parse(json.get(index) ?? '') } : block,
  );
}

/** PROTOCOL.md 3.5: a tool call wins over finish_reason (T7); refusals and limits next. */
function expectedStopReason(answer: Answer): AnthropicStopReason {
  if (answer.toolCalled) return 'tool_use';
  if (answer.finish === 'length') return 'max_tokens';
  if (answer.finish === 'content_filter' || answer.refusal !== '') return 'refusal';
  return 'end_turn';
}

/**
 * PROTOCOL.md 3.6 (T14): Anthropic's input count excludes the cached part. DeepSeek reports
 * the split itself (prompt_cache_hit/miss_tokens). No usage at all: Parley's estimate.
 */
function expectedUsage(usage: ChatUsage | undefined): unknown {
  if (!usage) {
    return {
      input_tokens: ESTIMATE,
      output_tokens: expect.any(Number),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
  }
  const prompt = usage.prompt_tokens ?? 0;
  const cached = usage.prompt_cache_hit_tokens ?? usage.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input_tokens: usage.prompt_cache_miss_tokens ?? prompt - cached,
    output_tokens: usage.completion_tokens ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

const textOf = (events: AnthropicStreamEvent[]): string =>
  events
    .map((event) =>
      event.type === 'content_block_delta' && event.delta.type === 'text_delta'
        ? event.delta.text
        : '',
    )
    .join('');

/** Index of the chunk carrying choice 0's finish_reason. */
const finishIndexOf = (chunks: Chunk[]): number =>
  chunks.findIndex((chunk) => Boolean(choiceZero(chunk.choices)?.finish_reason));

/** Checks a complete translated stream against what the capture says. */
function expectAnswered(events: AnthropicStreamEvent[], answer: Answer): void {
  expect(violations(events)).toEqual([]);
  expect(emittedBlocks(events)).toEqual(expectedBlocks(answer));
  expect(textOf(events)).toBe(answer.text);
  const messageDelta = events.find((event) => event.type === 'message_delta');
  expect(messageDelta).toEqual({
    type: 'message_delta',
    delta: { stop_reason: expectedStopReason(answer), stop_sequence: null },
    usage: expectedUsage(answer.usage),
  });
  expect(events.at(-1)).toEqual({ type: 'message_stop' });
}

/** A stream that ended too early: an api_error, and neither a message_delta nor a message_stop. */
function expectCutOff(events: AnthropicStreamEvent[]): void {
  expect(violations(events)).toEqual([]);
  expect(events.at(-1)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  expect(typesOf(events)).not.toContain('message_delta');
  expect(typesOf(events)).not.toContain('message_stop');
}

// ---- The tests ----

describe.skipIf(!available)('the Chat Completions captures in the manifest', () => {
  it('are streams ending with [DONE] or bodies, except the HTTP error bodies (errors.ts maps those)', () => {
    expect(streams.length).toBeGreaterThan(25);
    expect(bodies.length).toBeGreaterThan(8);
    const errorBodies = entries.filter((entry) => entry.file.startsWith('openai-errors/'));
    expect(streams.length + bodies.length + errorBodies.length).toBe(entries.length);
    for (const file of streams) {
      expect(parseSse(bytesOf(file)).at(-1)?.data, file).toBe(DONE);
    }
  });

  it('cover what the rules below are about', () => {
    const answers = streams.map((file) => streamAnswer(upstreamChunks(file)));
    // T7: a tool call with finish_reason "stop"; 3.5: length; a refusal; reasoning; n>1.
    expect(answers.some((a) => a.toolCalled && a.finish === 'stop')).toBe(true);
    expect(answers.some((a) => a.finish === 'length')).toBe(true);
    expect(answers.some((a) => a.refusal !== '')).toBe(true);
    expect(answers.some((a) => a.segments.some((s) => s.kind === 'thinking'))).toBe(true);
    expect(answers.some((a) => a.segments.filter((s) => s.kind === 'tool').length > 1)).toBe(true);
    const multiChoice = streams.filter((file) =>
      upstreamChunks(file).some((chunk) => (chunk.choices ?? []).some((c) => c.index === 2)),
    );
    expect(multiChoice.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!available).each(streams)('stream %s', (file) => {
  const capture = upstreamChunks(file);
  const answer = streamAnswer(capture);
  const events = translateBytes([bytesOf(file)]);

  it('keeps the Anthropic lifecycle, opening with the message of this request', () => {
    expect(violations(events)).toEqual([]);
    expect(events[0]).toMatchObject({
      type: 'message_start',
      message: { id: 'msg_test', model: 'claude-test', content: [] },
    });
  });

  it('streams the text of choice 0’s content (and refusal) deltas', () => {
    expect(textOf(events)).toBe(answer.text);
  });

  it('gives a thinking block for the reasoning, then text and tool_use blocks, in order', () => {
    expect(emittedBlocks(events)).toEqual(expectedBlocks(answer));
  });

  it('signs every thinking block once, with a signature Parley can read back (T13)', () => {
    const thinkingBlocks = answer.segments.filter((segment) => segment.kind === 'thinking');
    const signatures = events.flatMap((event) =>
      event.type === 'content_block_delta' && event.delta.type === 'signature_delta'
        ? [event.delta.signature]
        : [],
    );
    expect(signatures).toHaveLength(thinkingBlocks.length);
    for (const signature of signatures) {
      expect(decodeReasoningSignature(signature)).toBeDefined();
    }
  });

  it('ends with the stop_reason and usage the capture calls for (PROTOCOL.md 3.5, 3.6)', () => {
    expectAnswered(events, answer);
  });

  it('ends with an api_error, never a fake end_turn, when cut before its finish chunk', () => {
    const finishAt = finishIndexOf(capture);
    expect(finishAt).toBeGreaterThan(0);
    for (const cut of [capture.slice(0, finishAt), capture.slice(0, Math.floor(finishAt / 2))]) {
      const partial = translateChunksOf(cut);
      expectCutOff(partial);
      expect(textOf(partial)).toBe(streamAnswer(cut).text);
    }
  });

  it('still ends normally when cut after its finish chunk, before usage and [DONE]', () => {
    const cut = capture.slice(0, finishIndexOf(capture) + 1);
    expectAnswered(translateChunksOf(cut), streamAnswer(cut));
  });
});

/** [start, end) of each SSE frame: a frame ends just after its blank line. */
function frameRanges(bytes: Uint8Array): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  for (let at = 1; at < bytes.length; at++) {
    if (bytes[at] === 0x0a && bytes[at - 1] === 0x0a) {
      ranges.push([start, at + 1]);
      start = at + 1;
    }
  }
  if (start < bytes.length) ranges.push([start, bytes.length]);
  return ranges;
}

/** Below this size every two-chunk split is translated from the bytes in full. */
const LITERAL_SPLIT_LIMIT = 4096;

/**
 * Every offset at which splitting the bytes in two changes the translation. A small capture is
 * translated in full at every offset. A large one would take minutes that way (the work is
 * quadratic), so each split is examined where it can make a difference: the reader holds nothing
 * between frames (each ends with a blank line, after an ASCII "\n"), so a split inside frame k
 * reads frames 0..k-1 and k+1.. exactly as the whole file does, and only frame k is read in two
 * chunks. That frame is read in two at every offset; whenever it reads differently, the whole
 * stream as that split delivers it goes through the translator and is compared.
 */
function splitsThatDiffer(bytes: Uint8Array, whole: string): number[] {
  const differing: number[] = [];
  if (bytes.length <= LITERAL_SPLIT_LIMIT) {
    for (let at = 1; at < bytes.length; at++) {
      const split = [bytes.subarray(0, at), bytes.subarray(at)];
      if (JSON.stringify(translateBytes(split)) !== whole) differing.push(at);
    }
    return differing;
  }
  const wholeEvents = parseSse(bytes);
  const frames = frameRanges(bytes);
  // One event per frame, so frame k is event k.
  expect(frames.map(([start, end]) => parseSse(bytes.subarray(start, end)))).toEqual(
    wholeEvents.map((event) => [event]),
  );
  frames.forEach(([start, end], k) => {
    const expected = JSON.stringify([wholeEvents[k]]);
    // at === start splits between frames: both chunks hold whole frames.
    for (let at = Math.max(start, 1); at < end; at++) {
      const reader = new SseReader();
      const read = [
        ...reader.feed(bytes.subarray(start, at)),
        ...reader.feed(bytes.subarray(at, end)),
        ...reader.end(),
      ];
      if (JSON.stringify(read) === expected) continue;
      const delivered = [...wholeEvents.slice(0, k), ...read, ...wholeEvents.slice(k + 1)];
      if (JSON.stringify(translateChunksOf(chunksOf(delivered))) !== whole) differing.push(at);
    }
  });
  return differing;
}

describe.skipIf(!available).each(streams)('chunking invariance: %s', (file) => {
  const bytes = bytesOf(file);
  const whole = JSON.stringify(translateBytes([bytes]));

  it('gives the same Anthropic events fed one byte at a time', () => {
    expect(JSON.stringify(translateBytes(singleBytes(bytes)))).toBe(whole);
  });

  it.each([1, 42, 20_250_611])('gives the same events in random chunks (seed %i)', (seed) => {
    expect(JSON.stringify(translateBytes(randomChunks(bytes, seed)))).toBe(whole);
  });

  it('gives the same events with CRLF line endings, in random chunks', () => {
    const crlf = new TextEncoder().encode(new TextDecoder().decode(bytes).replaceAll('\n', '\r\n'));
    expect(JSON.stringify(translateBytes(randomChunks(crlf, 7)))).toBe(whole);
  });

  it('gives the same events split in two at every offset', () => {
    expect(splitsThatDiffer(bytes, whole)).toEqual([]);
  });
});

// ---- Non-streaming bodies ----

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Tool arguments that are not JSON must be an error, never an invented input (PROTOCOL.md 1.4). */
const hasInvalidArguments = (answer: Answer): boolean =>
  answer.segments.some((segment) => segment.kind === 'tool' && !isJson(segment.args || '{}'));

function checkBody(body: CompletionBody): void {
  const answer = bodyAnswer(body);
  const translate = () => toAnthropicMessageFromChat(body, answerContext());
  if (hasInvalidArguments(answer)) {
    expect(translate).toThrow(AnthropicError);
    expect(translate).toThrow(expect.objectContaining({ type: 'api_error', status: 500 }));
    return;
  }
  const message: AnthropicMessage = translate();
  expect(message).toEqual({
    id: 'msg_test',
    type: 'message',
    role: 'assistant',
    model: 'claude-test',
    content: expectedBlocks(answer),
    stop_reason: expectedStopReason(answer),
    stop_sequence: null,
    usage: answer.usage
      ? expectedUsage(answer.usage)
      : {
          input_tokens: ESTIMATE,
          output_tokens: 0,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
  });
  for (const block of message.content) {
    if (block.type === 'thinking') expect(decodeReasoningSignature(block.signature)).toBeDefined();
  }
}

describe.skipIf(!available).each(bodies)('body %s', (file) => {
  it('becomes the message its choice 0 describes', () => {
    checkBody(jsonOf(file) as CompletionBody);
  });
});

// ---- Derived from the captures: what they do not show on their own ----

/** Replaces choice 0 of one chunk (found by `at`) through `edit`. */
function editChoice(chunks: Chunk[], at: number, edit: (choice: Choice) => Choice): Chunk[] {
  return chunks.map((chunk, index) =>
    index === at
      ? {
          ...chunk,
          choices: (chunk.choices ?? []).map((choice) =>
            (choice.index ?? 0) === 0 ? edit(choice) : choice,
          ),
        }
      : chunk,
  );
}

/** Rewrites the tool-call deltas of choice 0 in every chunk. */
function editCalls(chunks: Chunk[], edit: (call: ToolCallDelta) => ToolCallDelta): Chunk[] {
  return chunks.map((chunk) => ({
    ...chunk,
    choices: (chunk.choices ?? []).map((choice) =>
      (choice.index ?? 0) === 0 && choice.delta?.tool_calls
        ? { ...choice, delta: { ...choice.delta, tool_calls: choice.delta.tool_calls.map(edit) } }
        : choice,
    ),
  }));
}

const withoutUsage = (chunks: Chunk[]): Chunk[] =>
  chunks.map(({ usage: _usage, x_groq: _groq, ...chunk }) => chunk);

const callDeltaIndexes = (chunks: Chunk[], index: number): number[] =>
  chunks.flatMap((chunk, at) =>
    (choiceZero(chunk.choices)?.delta?.tool_calls ?? []).some((call) => (call.index ?? 0) === index)
      ? [at]
      : [],
  );

describe.skipIf(!available)('stream cases derived from captures', () => {
  it('estimates the usage when the upstream reports none (no include_usage)', () => {
    for (const file of streams) {
      const capture = withoutUsage(upstreamChunks(file));
      const answer = streamAnswer(capture);
      expect(answer.usage).toBeUndefined();
      expectAnswered(translateChunksOf(capture), answer);
    }
  });

  it('ends with an error, not a closed tool block, when the arguments cannot be JSON', () => {
    const capture = upstreamChunks('openai-chat/tool-call-gpt-4o.sse');
    const last = callDeltaIndexes(capture, 0).at(-1) ?? -1;
    const edited = capture.filter((_, index) => index !== last);
    expect(isJson((streamAnswer(edited).segments[0] as { args: string }).args)).toBe(false);
    const events = translateChunksOf(edited);
    expectCutOff(events);
    expect(typesOf(events)).not.toContain('content_block_stop');
  });

  it('emits interleaved tool calls as whole blocks in index order (T6)', () => {
    // tool-calls-parallel-gpt-4o with call 1's first delta moved before call 0's last ones.
    const capture = upstreamChunks('openai-chat/tool-calls-parallel-gpt-4o.sse');
    const first = callDeltaIndexes(capture, 1)[0] ?? -1;
    const call0 = callDeltaIndexes(capture, 0);
    const before = call0[Math.floor(call0.length / 2)] ?? -1;
    const moved = capture[first];
    expect(moved).toBeDefined();
    const edited = capture.flatMap((chunk, index) =>
      index === first ? [] : index === before && moved ? [moved, chunk] : [chunk],
    );
    expect(edited).toHaveLength(capture.length);
    const answer = streamAnswer(edited);
    expect(answer.segments.map((s) => (s.kind === 'tool' ? s.index : s.kind))).toEqual([0, 1]);
    expectAnswered(translateChunksOf(edited), answer);
  });

  it('replaces a repeated or malformed call id with a fresh toolu_ id (T3)', () => {
    const capture = upstreamChunks('openai-chat/tool-calls-parallel-gpt-4o.sse');
    const firstId = streamAnswer(capture).segments.find((s) => s.kind === 'tool');
    const repeated = editCalls(capture, (call) =>
      call.id && firstId?.kind === 'tool' ? { ...call, id: firstId.id } : call,
    );
    const malformed = editCalls(capture, (call) =>
      call.id ? { ...call, id: `functions.${call.id}:0` } : call,
    );
    const missing = editCalls(capture, ({ id: _id, ...call }) => call);
    for (const edited of [repeated, malformed, missing]) {
      const events = translateChunksOf(edited);
      expectAnswered(events, streamAnswer(edited));
      const ids = emittedBlocks(events).map((block) => (block.type === 'tool_use' ? block.id : ''));
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('maps finish_reason content_filter to refusal (no capture has one)', () => {
    const capture = upstreamChunks('openai-chat/text-gpt-4o-d.sse');
    const edited = editChoice(capture, finishIndexOf(capture), (choice) => ({
      ...choice,
      finish_reason: 'content_filter',
    }));
    const answer = streamAnswer(edited);
    expect(expectedStopReason(answer)).toBe('refusal');
    expectAnswered(translateChunksOf(edited), answer);
  });

  it('ends an unknown finish_reason as end_turn after content, as an error without any', () => {
    const reason = 'insufficient_system_resource'; // DeepSeek
    const rename = (file: string): Chunk[] => {
      const capture = upstreamChunks(file);
      return editChoice(capture, finishIndexOf(capture), (choice) => ({
        ...choice,
        finish_reason: reason,
      }));
    };
    const withText = rename('openai-chat/text-gpt-4o-d.sse');
    expectAnswered(translateChunksOf(withText), streamAnswer(withText));
    const empty = translateChunksOf(rename('openai-chat/length-no-content.sse'));
    expectCutOff(empty);
    expect(empty.at(-1)).toMatchObject({ error: { message: expect.stringContaining(reason) } });
  });
});

describe.skipIf(!available)('body cases derived from captures', () => {
  it('is an api_error, never an invented input, when tool arguments are cut', () => {
    const body = jsonOf('openai-chat/json/tool-calls-parallel.json') as CompletionBody;
    const choice = choiceZero(body.choices);
    const calls = choice?.message?.tool_calls ?? [];
    const cut = calls.map((call, index): ToolCallDelta =>
      index === 1
        ? {
            ...call,
            function: {
              ...call.function,
              arguments: (call.function?.arguments ?? '').slice(0, -1),
            },
          }
        : call,
    );
    const edited: CompletionBody = {
      ...body,
      choices: [{ ...choice, message: { ...choice?.message, tool_calls: cut } }],
    };
    expect(hasInvalidArguments(bodyAnswer(edited))).toBe(true);
    checkBody(edited);
  });

  it('estimates the usage when the body reports none', () => {
    for (const file of bodies) {
      const { usage: _usage, ...body } = jsonOf(file) as CompletionBody;
      checkBody(body);
    }
  });

  it('gives a repeated call id a fresh toolu_ id (T3)', () => {
    const body = jsonOf('openai-chat/json/tool-calls-parallel.json') as CompletionBody;
    const choice = choiceZero(body.choices);
    const calls = choice?.message?.tool_calls ?? [];
    const same = calls.map((call) => ({ ...call, id: calls[0]?.id ?? null }));
    const edited: CompletionBody = {
      ...body,
      choices: [{ ...choice, message: { ...choice?.message, tool_calls: same } }],
    };
    checkBody(edited);
  });
});
