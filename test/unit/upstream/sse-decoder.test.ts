/**
 * SseDecoder, the text/event-stream reader that replaced the openai SDK's: first the WHATWG
 * event-stream grammar rule by rule, then two properties over random streams. Any split of a
 * stream's text into chunks decodes exactly as the whole text does (and as a model of the
 * grammar says it should), and the SDK's own decoder (`_iterSSEMessages`), fed the same bytes
 * split anywhere, reads the same messages.
 */
import fc from 'fast-check';
import { _iterSSEMessages } from 'openai/core/streaming';
import { describe, expect, it } from 'vitest';
import { SseDecoder, type SseMessage } from '../../../app/upstream/sse-decoder.ts';

/** Every message of these chunks, pushed in order, then end(). */
function decode(...chunks: string[]): SseMessage[] {
  const decoder = new SseDecoder();
  return [...chunks.flatMap((chunk) => decoder.push(chunk)), ...decoder.end()];
}

/** Byte chunks through a streaming TextDecoder into the decoder, as upstreamEvents feeds it. */
function decodeBytes(chunks: readonly Uint8Array[]): SseMessage[] {
  const decoder = new SseDecoder();
  const text = new TextDecoder();
  const messages = chunks.flatMap((chunk) => decoder.push(text.decode(chunk, { stream: true })));
  return [...messages, ...decoder.push(text.decode()), ...decoder.end()];
}

/** What the openai SDK's decoder reads from these byte chunks, as {event, data}. */
async function sdkMessages(chunks: readonly Uint8Array[]): Promise<SseMessage[]> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const messages: SseMessage[] = [];
  for await (const { event, data } of _iterSSEMessages(new Response(body), new AbortController()))
    messages.push({ event, data });
  return messages;
}

const msg = (data: string, event: string | null = null): SseMessage => ({ event, data });

describe('SseDecoder: line endings', () => {
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['a lone CR', '\r'],
  ])('%s ends a line', (_name, eol) => {
    expect(decode(`event: e${eol}data: a${eol}data: b${eol}${eol}data: c${eol}${eol}`)).toEqual([
      msg('a\nb', 'e'),
      msg('c'),
    ]);
  });

  it('takes all three styles mixed in one stream', () => {
    expect(decode('data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r')).toEqual([
      msg('a\nb\nc'),
      msg('d'),
    ]);
  });

  it('takes a CR at the end of a chunk as a line end, and the LF opening the next as its own', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: a\r')).toEqual([]);
    // Had that LF been read as a line end of its own, it would be a blank line that dispatched
    // `a` alone.
    expect(decoder.push('\ndata: b\r\n\r\n')).toEqual([msg('a\nb')]);
    expect(decoder.end()).toEqual([]);
  });

  it('keeps skipping the LF of a CRLF split by an empty read between its halves', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: a\r')).toEqual([]);
    expect(decoder.push('')).toEqual([]);
    expect(decoder.push('\ndata: b\r\n\r\n')).toEqual([msg('a\nb')]);
  });

  it('dispatches a message whose blank line is a lone CR at the end of a chunk, at once', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: a\r\r')).toEqual([msg('a')]);
    expect(decoder.push('data: b\n\n')).toEqual([msg('b')]);
  });

  it('dispatches a CRLF blank line split between chunks exactly once', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: a\r\n\r')).toEqual([msg('a')]);
    expect(decoder.push('\n')).toEqual([]);
    expect(decoder.push('\r\n')).toEqual([]);
    expect(decoder.end()).toEqual([]);
  });

  it('leaves nothing for end() after a chunk that ended in a CR', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: a\r')).toEqual([]);
    expect(decoder.end()).toEqual([msg('a')]);
  });

  it('reads the same text fed one UTF-16 unit at a time', () => {
    const text = 'event: é😀\r\ndata: 𝄞 x\rdata:y\n\r\n: c\r\rdata\r\n\r\n';
    expect(decode(...text.split(''))).toEqual(decode(text));
    expect(decode(text)).toEqual([msg('𝄞 x\ny', 'é😀'), msg('')]);
  });
});

describe('SseDecoder: fields', () => {
  it('joins several data lines with LF', () => {
    expect(decode('data: one\ndata: two\ndata: three\n\n')).toEqual([msg('one\ntwo\nthree')]);
  });

  it('keeps empty data lines', () => {
    expect(decode('data\ndata:\ndata: \n\n')).toEqual([msg('\n\n')]);
    expect(decode('data:\n\n')).toEqual([msg('')]);
  });

  it('removes exactly one space after the colon, and nothing else', () => {
    expect(decode('data:  two\n\n')).toEqual([msg(' two')]);
    expect(decode('data:none\n\n')).toEqual([msg('none')]);
    expect(decode('data:\ttab\n\n')).toEqual([msg('\ttab')]);
    expect(decode('data: trailing  \n\n')).toEqual([msg('trailing  ')]);
    expect(decode('event:  e\ndata: x\n\n')).toEqual([msg('x', ' e')]);
  });

  it('splits at the first colon only', () => {
    expect(decode('data: {"a":"b: c"}\n\n')).toEqual([msg('{"a":"b: c"}')]);
    expect(decode('event: a:b\ndata::\n\n')).toEqual([msg(':', 'a:b')]);
  });

  it('reads a line without a colon as a field with an empty value', () => {
    expect(decode('data\n\n')).toEqual([msg('')]);
    expect(decode('event\ndata\n\n')).toEqual([msg('', '')]);
  });

  it('skips comments, wherever they are', () => {
    expect(decode(': keep-alive\ndata: a\n:\ndata: b\n:: data: c\n\n')).toEqual([msg('a\nb')]);
    expect(decode(': only\n:\n\n: comments\n\n')).toEqual([]);
  });

  it('ignores id, retry and unknown fields, and field names are exact', () => {
    expect(decode('id: 7\nretry: 1000\nfoo: bar\ndata: a\nid\n\n')).toEqual([msg('a')]);
    expect(decode('Data: x\nDATA: y\ndata : z\n data: w\nEvent: e\ndata: a\n\n')).toEqual([
      msg('a'),
    ]);
  });

  it('takes the last event line, and resets the event after each message', () => {
    expect(decode('event: a\nevent: b\ndata: 1\n\ndata: 2\n\n')).toEqual([msg('1', 'b'), msg('2')]);
  });

  it('does not dispatch a message without data lines, nor carry its event over', () => {
    expect(decode('event: ping\n\n')).toEqual([]);
    expect(decode('event: ping\n\ndata: x\n\n')).toEqual([msg('x')]);
    expect(decode('id: 1\nretry: 5\n\n: c\n\n')).toEqual([]);
  });

  it('makes nothing of extra blank lines', () => {
    expect(decode('\n\n\r\n\rdata: a\n\n\n\n\r\n')).toEqual([msg('a')]);
  });

  it('keeps any Unicode in names and values', () => {
    expect(decode('event: 事件😀\ndata: 𝄞\u2028\u0000\uFEFF é\n\n')).toEqual([
      msg('𝄞\u2028\u0000\uFEFF é', '事件😀'),
    ]);
  });
});

describe('SseDecoder: push and end', () => {
  it('returns from push only the messages that chunk completed', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: a\n\ndata: b\n\nda')).toEqual([msg('a'), msg('b')]);
    expect(decoder.push('ta: c\n')).toEqual([]);
    expect(decoder.push('\n')).toEqual([msg('c')]);
    expect(decoder.push('')).toEqual([]);
    expect(decoder.end()).toEqual([]);
  });

  it('dispatches at end() a last message whose blank line never came', () => {
    expect(decode('data: a\n')).toEqual([msg('a')]);
    expect(decode('data: a')).toEqual([msg('a')]);
    expect(decode('event: e\ndata: a\r')).toEqual([msg('a', 'e')]);
    expect(decode('data: a\n\ndata: b\ndata: c')).toEqual([msg('a'), msg('b\nc')]);
  });

  it('dispatches nothing more at end() after a complete stream, nor twice', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: a\n\n')).toEqual([msg('a')]);
    expect(decoder.end()).toEqual([]);
    const unterminated = new SseDecoder();
    expect(unterminated.push('data: a')).toEqual([]);
    expect(unterminated.end()).toEqual([msg('a')]);
    expect(unterminated.end()).toEqual([]);
  });

  it('dispatches nothing at end() for a last message without data', () => {
    expect(decode('data: a\n\nevent: e')).toEqual([msg('a')]);
    expect(decode(': comment')).toEqual([]);
    expect(decode('')).toEqual([]);
  });
});

// ---- Random streams ----

type Eol = '\n' | '\r\n' | '\r';
type Field =
  | { readonly kind: 'data' | 'event'; readonly value: string; readonly style: number }
  | { readonly kind: 'noise'; readonly line: string };
interface RandomMessage {
  readonly fields: readonly Field[];
  /** One per field line, then one for the blank line. */
  readonly eols: readonly Eol[];
}
interface RandomStream {
  readonly messages: readonly RandomMessage[];
  /** 0: complete; 1: the last blank line is missing; 2: the last line ending too. */
  readonly cutEnd: number;
}

// Any code point but CR and LF, weighted towards the ones the grammar cares about.
const char = fc
  .oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(' ', ':', '😀', '𝄞', '中', 'é', '\u2028', '\u0000', '\uFEFF'),
    },
  )
  .filter((c) => c !== '\r' && c !== '\n');
const value = fc.string({ unit: char, maxLength: 10 });
const eol = fc.constantFrom<Eol>('\n', '\r\n', '\r');
const noise = fc.oneof(
  value.map((text) => `:${text}`),
  value.map((text) => `id: ${text}`),
  fc.nat().map((ms) => `retry: ${ms}`),
  value.map((text) => `x-other: ${text}`),
);
const field: fc.Arbitrary<Field> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('data'), value, style: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('event'), value, style: fc.nat(3) }) },
  { weight: 1, arbitrary: noise.map((line) => ({ kind: 'noise' as const, line })) },
);
const message: fc.Arbitrary<RandomMessage> = fc
  .array(field, { maxLength: 6 })
  .chain((fields) =>
    fc
      .array(eol, { minLength: fields.length + 1, maxLength: fields.length + 1 })
      .map((eols) => ({ fields, eols })),
  );
const randomStream: fc.Arbitrary<RandomStream> = fc.record({
  messages: fc.array(message, { maxLength: 8 }),
  cutEnd: fc.nat(2),
});

function fieldLine(f: Field): string {
  if (f.kind === 'noise') return f.line;
  // Styles: `name: value`, `name:value` (unless the value's own space would be eaten), and a
  // bare `name` for an empty value.
  if (f.value === '' && f.style === 0) return f.kind;
  if (f.style === 1 && !f.value.startsWith(' ')) return `${f.kind}:${f.value}`;
  return `${f.kind}: ${f.value}`;
}

function serialise({ messages, cutEnd }: RandomStream): string {
  const lines: [string, Eol][] = messages.flatMap(({ fields, eols }) =>
    [...fields.map(fieldLine), ''].map((line, i): [string, Eol] => [line, eols[i] ?? '\n']),
  );
  let text = '';
  let previous: Eol | undefined;
  lines.forEach(([line, ending], i) => {
    const last = i === lines.length - 1;
    if (last && cutEnd > 0) return; // the blank line is missing
    // CR then an empty line ended by LF would read as one CRLF: the blank line would vanish
    // from the text itself. Write that blank line's ending as CRLF instead.
    const sure = previous === '\r' && line === '' && ending === '\n' ? '\r\n' : ending;
    const cut = i === lines.length - 2 && cutEnd === 2;
    text += line + (cut ? '' : sure);
    previous = sure;
  });
  return text;
}

/** What the grammar says these messages are. */
function expected({ messages }: RandomStream): SseMessage[] {
  return messages.flatMap(({ fields }) => {
    const data = fields.flatMap((f) => (f.kind === 'data' ? [f.value] : []));
    const events = fields.flatMap((f) => (f.kind === 'event' ? [f.value] : []));
    return data.length === 0 ? [] : [msg(data.join('\n'), events.at(-1) ?? null)];
  });
}

/**
 * The one input class on which the SDK legitimately differs: a message with an `event` field
 * but no `data` line. The SDK dispatches it with data '' (its decoder tests `!event &&
 * !data.length`), which then fails JSON.parse; an empty `event:` it keeps across the blank
 * line, so it leaks into the next message. The WHATWG grammar dispatches nothing and resets the
 * event, as SseDecoder does (tested above). Such messages lose their event fields here.
 */
function withoutEventOnlyMessages(stream: RandomStream): RandomStream {
  return {
    ...stream,
    messages: stream.messages.map((m) =>
      m.fields.some((f) => f.kind === 'data')
        ? m
        : {
            fields: m.fields.filter((f) => f.kind !== 'event'),
            // eols[fields.length], the blank line's, has no field and stays.
            eols: m.eols.filter((_, i) => m.fields[i]?.kind !== 'event'),
          },
    ),
  };
}

/** Cuts at these random points (taken modulo length + 1). */
function split<T extends string | Uint8Array>(whole: T, raw: readonly number[]): T[] {
  const cuts = [...new Set(raw.map((n) => n % (whole.length + 1)))].sort((a, b) => a - b);
  return [0, ...cuts].map((from, i) => whole.slice(from, cuts[i] ?? whole.length) as T);
}

const cutPoints = fc.array(fc.nat(), { maxLength: 24 });
const utf8 = new TextEncoder();

describe('SseDecoder on random streams', () => {
  it('reads a stream the same whole, split anywhere, or one unit at a time, as the grammar says', () => {
    fc.assert(
      fc.property(randomStream, cutPoints, (stream, raw) => {
        const text = serialise(stream);
        const whole = decode(text);
        expect(whole).toEqual(expected(stream));
        expect(decode(...split(text, raw))).toEqual(whole);
        expect(decode(...text.split(''))).toEqual(whole);
        expect(decodeBytes(split(utf8.encode(text), raw))).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('reads what the openai SDK decoder reads from the same bytes, split anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(randomStream.map(withoutEventOnlyMessages), cutPoints, async (s, raw) => {
        const chunks = split(utf8.encode(serialise(s)), raw);
        const ours = decodeBytes(chunks);
        expect(ours).toEqual(await sdkMessages(chunks));
        expect(ours).toEqual(expected(s));
      }),
      { numRuns: 300 },
    );
  });

  it('differs from the SDK on a message with an event and no data, as excluded above', async () => {
    const text = 'event: ping\n\nevent\n\ndata: x\n\n';
    expect(decode(text)).toEqual([msg('x')]);
    expect(await sdkMessages([utf8.encode(text)])).toEqual([msg('', 'ping'), msg('x', '')]);
  });
});
