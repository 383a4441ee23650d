/**
 * Every recorded OpenAI Responses capture through Parley's answer translators. What the client
 * must see is derived from the capture itself (its deltas, items and terminal event) and the
 * mapping rules of PROTOCOL.md 3.3, 3.5, 3.6 and 3.7, never from a translator run. Streams are
 * read from raw bytes through the SSE reader, so framing and chunking are part of what is tested.
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
import { ResponsesStreamTranslator } from '../../../app/translate/from-responses-stream.ts';
import { toAnthropicMessage } from '../../../app/translate/from-responses.ts';
import { lifecycleViolations } from '../../../app/translate/lifecycle.ts';
import { decodeReasoningSignature } from '../../../app/translate/reasoning-signature.ts';
import { randomChunks, singleBytes } from '../../support/chunkings.ts';
import { sharedFixturesAvailable, sharedFixturesDir } from '../../support/shared-fixtures.ts';
import { parseSse, SseReader, type SseEvent } from '../../support/sse-reader.ts';

// ---- The capture's shapes, as far as the expectations read them (PROTOCOL.md 2.1) ----

interface Item {
  type: string;
  id?: string;
  call_id?: string;
  name?: string;
  arguments?: string;
  encrypted_content?: string | null;
  summary?: { text: string }[];
  content?: { type: string; text?: string; refusal?: string }[];
  action?: { type: string; query?: string; queries?: string[]; sources?: { url?: string }[] };
}
interface Usage {
  input_tokens: number;
  output_tokens: number;
  input_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number };
}
interface UpstreamError {
  code?: string | null;
  message?: string;
}
interface ResponseBody {
  status: string;
  output?: Item[];
  usage?: Usage | null;
  incomplete_details?: { reason?: string } | null;
  error?: UpstreamError | null;
}
interface UpstreamEvent extends UpstreamError {
  type: string;
  output_index?: number;
  content_index?: number;
  summary_index?: number;
  delta?: string;
  item?: Item;
  response?: ResponseBody;
  error?: UpstreamError;
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
    ).fixtures.filter((entry) => entry.api === 'openai-responses')
  : [];
const streams = entries.filter((entry) => entry.streaming).map((entry) => entry.file);
const bodies = entries
  .filter((entry) => !entry.streaming && entry.file.startsWith('openai-responses/json/'))
  .map((entry) => entry.file);

const bytesOf = (file: string): Uint8Array => readFileSync(join(sharedFixturesDir, file));
const jsonOf = (file: string): unknown =>
  JSON.parse(readFileSync(join(sharedFixturesDir, file), 'utf8'));

function upstreamEvents(file: string): UpstreamEvent[] {
  return parseSse(bytesOf(file))
    .filter(({ data }) => data.trim() !== '[DONE]')
    .map(({ data }) => JSON.parse(data) as UpstreamEvent);
}

// ---- Running the translators ----

function answerContext(): AnswerContext {
  let counter = 0;
  return {
    messageId: 'msg_test',
    clientModel: 'claude-test',
    toolNames: new Map(),
    stopSequences: [],
    inputTokenEstimate: 10,
    newToolUseId: () => `toolu_${String(++counter)}`,
  };
}

/** Feeds upstream events until the translator is finished, then tells it the stream ended. */
function translateEvents(events: Iterable<unknown>): AnthropicStreamEvent[] {
  const translator = new ResponsesStreamTranslator(answerContext());
  const out: AnthropicStreamEvent[] = [];
  for (const event of events) {
    if (translator.finished) break;
    out.push(...translator.onEvent(event));
  }
  out.push(...translator.onEnd());
  return out;
}

/** Bytes -> SSE reader -> JSON -> translator, as the upstream client would read the wire. */
function translateChunks(chunks: Iterable<Uint8Array>): AnthropicStreamEvent[] {
  const reader = new SseReader();
  function* parsed(): Generator {
    const decode = (events: SseEvent[]): unknown[] =>
      events
        .filter(({ data }) => data.trim() !== '[DONE]')
        .map(({ data }) => JSON.parse(data) as unknown);
    for (const chunk of chunks) yield* decode(reader.feed(chunk));
    yield* decode(reader.end());
  }
  return translateEvents(parsed());
}

const violations = (events: AnthropicStreamEvent[]): string[] =>
  lifecycleViolations(events.map((data) => ({ event: data.type, data })));

// ---- Expectations, from the capture ----

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: unknown; name: string; input: unknown }
  | { type: 'thinking'; thinking: string; signature: unknown }
  | { type: 'server_tool_use'; id: unknown; name: string; input: unknown }
  | { type: 'web_search_tool_result'; tool_use_id: unknown; content: unknown };

const wellFormedId = /^[a-zA-Z0-9_-]+$/;

/** T3: a well-formed call_id is kept; anything else gets one of the context's fresh ids. */
const expectedToolId = (callId: string | undefined): unknown =>
  callId !== undefined && wellFormedId.test(callId) ? callId : expect.stringMatching(/^toolu_/);

/** The reasoning item, as the thinking signature must carry it (T12). */
const carried = (item: Item | undefined): unknown => ({
  id: item?.id ?? '',
  encryptedContent: item?.encrypted_content ?? null,
  summary: (item?.summary ?? []).map((part) => part.text),
});

/**
 * A hosted web search that searched: Anthropic's server_tool_use + web_search_tool_result pair,
 * titled by host (the sources are bare URLs); open_page and find_in_page show nothing (T15).
 */
function webSearchBlocks(item: Item | undefined): Block[] {
  const action = item?.action;
  if (action?.type !== 'search') return [];
  const id = expect.stringMatching(/^srvtoolu_/);
  const content = (action.sources ?? []).flatMap(({ url }) =>
    url === undefined
      ? []
      : [
          {
            type: 'web_search_result',
            url,
            title: new URL(url).hostname,
            encrypted_content: '',
            page_age: null,
          },
        ],
  );
  return [
    {
      type: 'server_tool_use',
      id,
      name: 'web_search',
      input: { query: action.query ?? action.queries?.[0] ?? '' },
    },
    { type: 'web_search_tool_result', tool_use_id: id, content },
  ];
}

const searchesIn = (items: Iterable<Item | undefined>): number =>
  [...items].filter((item) => item?.type === 'web_search_call' && item.action?.type === 'search')
    .length;

/** Empty arguments mean no arguments (T4). */
const parsedArguments = (raw: string): unknown => JSON.parse(raw === '' ? '{}' : raw);

function append<K>(map: Map<K, string>, key: K, delta = ''): void {
  map.set(key, (map.get(key) ?? '') + delta);
}

/**
 * The blocks a client must see, in order (PROTOCOL.md 3.3): a thinking block per reasoning item
 * (summary parts joined by a blank line), a tool_use per function_call item, a text block per
 * message content part, each with the text of its deltas. Events are matched to blocks by
 * output_index (T1: some hosts rotate item ids), and a tool's id is the call_id announced first
 * (T1: commit to the id already emitted).
 */
function expectedStreamBlocks(events: UpstreamEvent[]): Block[] {
  const opened: {
    kind: 'text' | 'tool_use' | 'thinking' | 'web_search';
    at: number;
    part: number;
    item?: Item;
  }[] = [];
  const texts = new Map<string, string>();
  const args = new Map<number, string>();
  const summaries = new Map<number, Map<number, string>>();
  const done = new Map<number, Item>();
  for (const event of events) {
    const at = event.output_index ?? -1;
    const item = event.item;
    switch (event.type) {
      case 'response.output_item.added':
        if (item?.type === 'reasoning') opened.push({ kind: 'thinking', at, part: 0, item });
        if (item?.type === 'function_call') opened.push({ kind: 'tool_use', at, part: 0, item });
        break;
      case 'response.content_part.added':
        opened.push({ kind: 'text', at, part: event.content_index ?? 0 });
        break;
      case 'response.output_text.delta':
        append(texts, `${at}/${event.content_index ?? 0}`, event.delta);
        break;
      case 'response.function_call_arguments.delta':
        append(args, at, event.delta);
        break;
      case 'response.reasoning_summary_text.delta': {
        const parts = summaries.get(at) ?? new Map<number, string>();
        append(parts, event.summary_index ?? 0, event.delta);
        summaries.set(at, parts);
        break;
      }
      case 'response.output_item.done':
        if (item) done.set(at, item);
        // A web search goes out when done: only then are its query and sources known.
        if (item?.type === 'web_search_call')
          opened.push({ kind: 'web_search', at, part: 0, item });
        break;
      default:
    }
  }
  return opened.flatMap(({ kind, at, part, item }): Block[] => {
    switch (kind) {
      case 'text':
        return [{ type: 'text', text: texts.get(`${at}/${part}`) ?? '' }];
      case 'tool_use': {
        // Some servers send the arguments only in the done item (PROTOCOL.md 3.3).
        const input = parsedArguments(args.get(at) ?? done.get(at)?.arguments ?? '');
        if (item?.name === 'parallel') return unwrappedCalls(input);
        return [
          { type: 'tool_use', id: expectedToolId(item?.call_id), name: item?.name ?? '', input },
        ];
      }
      case 'web_search':
        return webSearchBlocks(item);
      case 'thinking': {
        const parts = [...(summaries.get(at) ?? new Map<number, string>())]
          .sort(([a], [b]) => a - b)
          .map(([, text]) => text)
          .filter((text) => text !== '');
        return [
          { type: 'thinking', thinking: parts.join('\n\n'), signature: carried(done.get(at)) },
        ];
      }
    }
  });
}

/**
 * A `parallel` wrapper call (gpt-5.4 quirk; the client declared no such tool) must reach the
 * client as the separate calls it holds, `functions.` prefix removed, each with a fresh id.
 */
function unwrappedCalls(wrapperInput: unknown): Block[] {
  const { tool_uses: uses } = wrapperInput as {
    tool_uses: { recipient_name: string; parameters: unknown }[];
  };
  return uses.map((use) => ({
    type: 'tool_use',
    id: expect.stringMatching(/^toolu_/),
    name: use.recipient_name.replace(/^functions\./, ''),
    input: use.parameters,
  }));
}

/** The blocks the translator emitted, with tool input parsed and signatures decoded. */
function emittedBlocks(events: AnthropicStreamEvent[]): Block[] {
  const blocks: Block[] = [];
  const json = new Map<number, string>();
  for (const event of events) {
    if (event.type === 'content_block_start') {
      const start = event.content_block;
      blocks[event.index] =
        start.type === 'tool_use' || start.type === 'server_tool_use'
          ? { type: start.type, id: start.id, name: start.name, input: undefined }
          : start.type === 'thinking'
            ? { type: 'thinking', thinking: '', signature: '' }
            : start.type === 'web_search_tool_result'
              ? { ...start }
              : { type: 'text', text: '' };
    } else if (event.type === 'content_block_delta') {
      const block = blocks[event.index];
      const delta = event.delta;
      if (block?.type === 'text' && delta.type === 'text_delta') block.text += delta.text;
      if (block?.type === 'thinking' && delta.type === 'thinking_delta') {
        block.thinking += delta.thinking;
      }
      if (block?.type === 'thinking' && delta.type === 'signature_delta') {
        block.signature = decodeReasoningSignature(delta.signature) ?? delta.signature;
      }
      if (delta.type === 'input_json_delta') append(json, event.index, delta.partial_json);
    }
  }
  return blocks.map((block, index) =>
    block.type === 'tool_use' || block.type === 'server_tool_use'
      ? { ...block, input: JSON.parse(json.get(index) ?? '') }
      : block,
  );
}

const hasFunctionCall = (items: Iterable<Item | undefined>): boolean =>
  [...items].some((item) => item?.type === 'function_call');

/** PROTOCOL.md 3.5 (no stop sequences or refusals in the corpus). */
function expectedStopReason(response: ResponseBody, toolCalled: boolean): AnthropicStopReason {
  if (response.status === 'incomplete') {
    return response.incomplete_details?.reason === 'content_filter' ? 'refusal' : 'max_tokens';
  }
  return toolCalled ? 'tool_use' : 'end_turn';
}

/**
 * PROTOCOL.md 3.6: Anthropic's input count excludes the cached part. Hosted web searches are
 * counted as Anthropic counts its own, and only when one ran.
 */
function expectedUsage(usage: Usage, searches = 0): unknown {
  const cached = usage.input_tokens_details?.cached_tokens ?? 0;
  const written = usage.input_tokens_details?.cache_write_tokens ?? 0;
  return {
    input_tokens: usage.input_tokens - cached - written,
    output_tokens: usage.output_tokens,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: written,
    ...(searches > 0
      ? { server_tool_use: { web_search_requests: searches, web_fetch_requests: 0 } }
      : {}),
  };
}

/** PROTOCOL.md 3.7, mid-stream row: the error code decides the Anthropic type. */
function expectedErrorType(code: string | null | undefined): string {
  return code === 'rate_limit_exceeded' || code === 'insufficient_quota'
    ? 'rate_limit_error'
    : 'api_error';
}

const terminalTypes = ['response.completed', 'response.incomplete', 'response.failed', 'error'];
const textOf = (events: AnthropicStreamEvent[]): string =>
  events
    .map((event) =>
      event.type === 'content_block_delta' && event.delta.type === 'text_delta'
        ? event.delta.text
        : '',
    )
    .join('');
const captureTextOf = (events: UpstreamEvent[]): string =>
  events
    .filter((event) => event.type === 'response.output_text.delta')
    .map((event) => event.delta ?? '')
    .join('');

// ---- The tests ----

describe.skipIf(!available)('the Responses captures in the manifest', () => {
  it('are all streams or bodies, except the HTTP error bodies (errors.ts maps those)', () => {
    expect(streams.length).toBeGreaterThan(15);
    expect(bodies.length).toBeGreaterThan(3);
    const errorBodies = entries.filter((entry) => entry.file.startsWith('openai-errors/'));
    expect(streams.length + bodies.length + errorBodies.length).toBe(entries.length);
  });
});

describe.skipIf(!available).each(streams)('stream %s', (file) => {
  const capture = upstreamEvents(file);
  const events = translateChunks([bytesOf(file)]);
  const terminal = capture.find((event) => terminalTypes.includes(event.type));

  it('keeps the Anthropic lifecycle, opening with the message of this request', () => {
    expect(violations(events)).toEqual([]);
    expect(events[0]).toMatchObject({
      type: 'message_start',
      message: { id: 'msg_test', model: 'claude-test', content: [] },
    });
  });

  it('streams the text of the capture’s output_text deltas', () => {
    expect(textOf(events)).toBe(captureTextOf(capture));
  });

  it('gives a block per reasoning item, function call and text part, in order', () => {
    expect(emittedBlocks(events)).toEqual(expectedStreamBlocks(capture));
  });

  it('signs every thinking block once, with a Parley signature (T12)', () => {
    const reasoningItems = capture.filter(
      (event) => event.type === 'response.output_item.added' && event.item?.type === 'reasoning',
    );
    const signatures = events.flatMap((event) =>
      event.type === 'content_block_delta' && event.delta.type === 'signature_delta'
        ? [event.delta.signature]
        : [],
    );
    expect(signatures).toHaveLength(reasoningItems.length);
    for (const signature of signatures) expect(signature).toMatch(/^parley\.v1\./);
  });

  it('ends as the capture ends (PROTOCOL.md 3.5-3.7)', () => {
    expect(terminal).toBeDefined();
    const last = events.at(-1);
    if (terminal?.response && terminal.type !== 'response.failed') {
      const toolCalled = hasFunctionCall(capture.map((event) => event.item));
      const messageDelta = events.find((event) => event.type === 'message_delta');
      expect(messageDelta).toMatchObject({
        delta: {
          stop_reason: expectedStopReason(terminal.response, toolCalled),
          stop_sequence: null,
        },
      });
      if (terminal.response.usage) {
        const searches = searchesIn(
          capture.flatMap((event) =>
            event.type === 'response.output_item.done' ? [event.item] : [],
          ),
        );
        expect(messageDelta?.usage).toEqual(expectedUsage(terminal.response.usage, searches));
      }
      expect(last).toEqual({ type: 'message_stop' });
    } else {
      // Failed upstream: an error event, and neither a message_delta nor a message_stop.
      const cause = terminal?.error ?? terminal?.response?.error ?? terminal;
      expect(last).toMatchObject({
        type: 'error',
        error: {
          type: expectedErrorType(cause?.code),
          message: expect.stringContaining(cause?.message ?? ''),
        },
      });
      expect(events.map((event) => event.type)).not.toContain('message_delta');
      expect(events.map((event) => event.type)).not.toContain('message_stop');
    }
  });

  it('ends with an api_error, never a fake end_turn, when cut before its terminal event', () => {
    const cutAt = capture.findIndex((event) => terminalTypes.includes(event.type));
    for (const cut of [capture.slice(0, cutAt), capture.slice(0, Math.floor(cutAt / 2))]) {
      const partial = translateEvents(cut);
      expect(violations(partial)).toEqual([]);
      expect(partial.at(-1)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
      expect(partial.map((event) => event.type)).not.toContain('message_delta');
      expect(partial.map((event) => event.type)).not.toContain('message_stop');
      expect(textOf(partial)).toBe(captureTextOf(cut));
    }
  });
});

describe.skipIf(!available).each(streams)('chunking invariance: %s', (file) => {
  const bytes = bytesOf(file);
  const whole = JSON.stringify(translateChunks([bytes]));

  it('gives the same Anthropic events fed one byte at a time', () => {
    expect(JSON.stringify(translateChunks(singleBytes(bytes)))).toBe(whole);
  });

  it.each([1, 42, 20_250_611])('gives the same events in random chunks (seed %i)', (seed) => {
    expect(JSON.stringify(translateChunks(randomChunks(bytes, seed)))).toBe(whole);
  });

  it('gives the same events with CRLF line endings, in random chunks', () => {
    const crlf = new TextEncoder().encode(new TextDecoder().decode(bytes).replaceAll('\n', '\r\n'));
    expect(JSON.stringify(translateChunks(randomChunks(crlf, 7)))).toBe(whole);
  });

  // Every two-chunk split is quadratic in the file size: done for the small captures only.
  if (bytes.length < 8192) {
    it('gives the same events split in two at every offset', () => {
      const differing: number[] = [];
      for (let at = 1; at < bytes.length; at++) {
        const split = [bytes.subarray(0, at), bytes.subarray(at)];
        if (JSON.stringify(translateChunks(split)) !== whole) differing.push(at);
      }
      expect(differing).toEqual([]);
    });
  }
});

// ---- Non-streaming bodies ----

function expectedMessageBlocks(items: Item[]): Block[] {
  return items.flatMap((item): Block[] => {
    switch (item.type) {
      case 'reasoning': {
        const texts = (item.summary ?? []).map((part) => part.text);
        return [{ type: 'thinking', thinking: texts.join('\n\n'), signature: carried(item) }];
      }
      case 'function_call':
        return [
          {
            type: 'tool_use',
            id: expectedToolId(item.call_id),
            name: item.name ?? '',
            input: parsedArguments(item.arguments ?? ''),
          },
        ];
      case 'message':
        return (item.content ?? []).flatMap((part): Block[] => {
          const text = part.type === 'refusal' ? part.refusal : part.text;
          return text ? [{ type: 'text', text }] : [];
        });
      case 'web_search_call':
        return webSearchBlocks(item);
      default:
        return []; // other hosted tools are not the client's (T15)
    }
  });
}

/** The message with each thinking signature decoded, to compare with what the item carried. */
function decodedContent(message: AnthropicMessage): unknown[] {
  return message.content.map((block) =>
    block.type === 'thinking'
      ? { ...block, signature: decodeReasoningSignature(block.signature) ?? block.signature }
      : block,
  );
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A failed response, or tool arguments that are not JSON, must be an error (PROTOCOL.md 1.4). */
function expectedBodyError(body: ResponseBody): { type: string; message: string } | undefined {
  if (body.status === 'failed') {
    return { type: expectedErrorType(body.error?.code), message: body.error?.message ?? '' };
  }
  const invalid = (body.output ?? []).find(
    (item) => item.type === 'function_call' && !isJson(item.arguments || '{}'),
  );
  return invalid ? { type: 'api_error', message: invalid.name ?? '' } : undefined;
}

function checkBody(body: ResponseBody): void {
  const translate = () => toAnthropicMessage(body, answerContext());
  const error = expectedBodyError(body);
  if (error) {
    expect(translate).toThrow(AnthropicError);
    expect(translate).toThrow(
      expect.objectContaining({
        type: error.type,
        message: expect.stringContaining(error.message),
      }),
    );
    return;
  }
  const output = body.output ?? [];
  const message = translate();
  expect(message).toMatchObject({
    id: 'msg_test',
    type: 'message',
    role: 'assistant',
    model: 'claude-test',
    stop_reason: expectedStopReason(body, hasFunctionCall(output)),
    stop_sequence: null,
  });
  expect(decodedContent(message)).toEqual(expectedMessageBlocks(output));
  if (body.usage) expect(message.usage).toEqual(expectedUsage(body.usage, searchesIn(output)));
}

describe.skipIf(!available).each(bodies)('body %s', (file) => {
  it('becomes the message its output items describe, or the error they call for', () => {
    checkBody(jsonOf(file) as ResponseBody);
  });
});

// ---- Derived from the captures: what they do not show on their own ----

describe.skipIf(!available)('stream cases derived from captures', () => {
  it('ends with an error, not a closed tool block, when the arguments cannot be JSON', () => {
    // function-call-gpt-5.1-azure with its last argument delta lost, and the item agreeing.
    const capture = upstreamEvents('openai-responses/function-call-gpt-5.1-azure.sse');
    const lastDelta = capture.findLastIndex(
      (event) => event.type === 'response.function_call_arguments.delta',
    );
    const cut = capture
      .slice(0, lastDelta)
      .filter((event) => event.type === 'response.function_call_arguments.delta')
      .map((event) => event.delta ?? '')
      .join('');
    const edited = capture
      .filter((_, index) => index !== lastDelta)
      .map((event) =>
        event.item?.type === 'function_call' && event.type === 'response.output_item.done'
          ? { ...event, item: { ...event.item, arguments: cut } }
          : event,
      );
    expect(() => JSON.parse(cut) as unknown).toThrow();
    const events = translateEvents(edited);
    expect(violations(events)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(events.map((event) => event.type)).not.toContain('content_block_stop');
  });

  it('keeps the call_id it announced when output_item.done says another (T1)', () => {
    const file = 'openai-responses/function-call-two-calls-gpt-4o.sse';
    const capture = upstreamEvents(file);
    const idsIn = (type: string) =>
      capture.filter((event) => event.type === type).map((event) => event.item?.call_id);
    const announced = idsIn('response.output_item.added');
    expect(idsIn('response.output_item.done')).not.toEqual(announced); // the source's edit
    const ids = emittedBlocks(translateChunks([bytesOf(file)])).map((block) =>
      block.type === 'tool_use' ? block.id : undefined,
    );
    expect(ids).toEqual(announced);
  });
});

describe.skipIf(!available)('body cases derived from captures', () => {
  it('is an api_error, never an invented input, when tool arguments are cut', () => {
    const body = jsonOf('openai-responses/json/reasoning-function-call-o3.json') as ResponseBody;
    const output = (body.output ?? []).map((item): Item =>
      item.type === 'function_call'
        ? { ...item, arguments: (item.arguments ?? '').slice(0, -1) }
        : item,
    );
    const edited = { ...body, output };
    expect(expectedBodyError(edited)?.type).toBe('api_error');
    checkBody(edited);
  });

  it('is an AnthropicError of the mapped type, with the upstream message, when it failed', () => {
    const body = jsonOf('openai-responses/json/text-azure.json') as ResponseBody;
    const error = { code: 'rate_limit_exceeded', message: 'Rate limit reached for gpt-5.1' };
    const edited = { ...body, status: 'failed', error };
    expect(expectedBodyError(edited)?.type).toBe('rate_limit_error');
    checkBody(edited);
  });
});

// ---- The SSE reader itself, since every stream above goes through it ----

describe('the SSE reader', () => {
  it('reads CRLF, comments, unnamed events and multi-line data; keeps trailing spaces', () => {
    const text = ': keep-alive\r\nevent: a\r\ndata: {"x":1}  \r\n\r\ndata:one\ndata:  two\n\n';
    expect(parseSse(text)).toEqual([
      { event: 'a', data: '{"x":1}  ' },
      { event: 'message', data: 'one\n two' },
    ]);
  });

  it('decodes a multi-byte character split across chunks, and flushes at end()', () => {
    const bytes = new TextEncoder().encode('event: t\ndata: "h€llo 😀"');
    for (let at = 1; at < bytes.length; at++) {
      const reader = new SseReader();
      const events = [...reader.feed(bytes.subarray(0, at)), ...reader.feed(bytes.subarray(at))];
      expect([...events, ...reader.end()]).toEqual([{ event: 't', data: '"h€llo 😀"' }]);
    }
  });
});
