/**
 * The lifecycle checker (PROTOCOL.md 1.2) is what the translator tests lean on, so it is tested
 * from both sides: Anthropic's own recorded streams must pass it (no false alarms), and each rule
 * broken on purpose, one at a time, must be reported (no blind spots).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LifecycleChecker, lifecycleViolations } from '../../../app/translate/lifecycle.ts';
import { sharedFixturesAvailable, sharedFixturesDir } from '../../support/shared-fixtures.ts';
import { parseSse } from '../../support/sse-reader.ts';

interface ManifestEntry {
  readonly file: string;
  readonly api: string;
  readonly streaming: boolean;
}

/** The real API leaves block 1 open at max_tokens; the SDK tolerates it, Parley must not do it. */
const leavesBlockOpen = 'anthropic/max-tokens-mid-tool-input.sse';

function anthropicStreams(): string[] {
  const manifest = JSON.parse(readFileSync(join(sharedFixturesDir, 'fixtures.json'), 'utf8')) as {
    fixtures: ManifestEntry[];
  };
  return manifest.fixtures
    .filter((entry) => entry.api === 'anthropic-messages' && entry.file.endsWith('.sse'))
    .map((entry) => entry.file);
}

function recordedEvents(file: string): { event: string; data: unknown }[] {
  return parseSse(readFileSync(join(sharedFixturesDir, file))).map(({ event, data }) => ({
    event,
    data: JSON.parse(data) as unknown,
  }));
}

const available = sharedFixturesAvailable();

describe.skipIf(!available)('the checker on Anthropic’s own streams', () => {
  const files = available ? anthropicStreams() : [];

  it('has the streams to check, including the one that must be flagged', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files).toContain(leavesBlockOpen);
  });

  it.each(files.filter((file) => file !== leavesBlockOpen))('accepts %s', (file) => {
    expect(lifecycleViolations(recordedEvents(file))).toEqual([]);
  });

  it(`flags ${leavesBlockOpen}: its message_delta arrives with a tool_use block still open`, () => {
    const violations = lifecycleViolations(recordedEvents(leavesBlockOpen));
    expect(violations).toContainEqual(expect.stringContaining('message_delta'));
  });
});

// Hand-made streams. Events are written as Anthropic data objects; the SSE name is their type.
type Data = Record<string, unknown> & { type: string };

const messageStart: Data = {
  type: 'message_start',
  message: {
    id: 'msg_test',
    type: 'message',
    role: 'assistant',
    model: 'claude-test',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 1, output_tokens: 1 },
  },
};
const start = (index: number, block: Record<string, unknown>): Data => ({
  type: 'content_block_start',
  index,
  content_block: block,
});
const delta = (index: number, d: Record<string, unknown>): Data => ({
  type: 'content_block_delta',
  index,
  delta: d,
});
const stop = (index: number): Data => ({ type: 'content_block_stop', index });
const textStart = (index: number): Data => start(index, { type: 'text', text: '' });
const textDelta = (index: number, text: string): Data => delta(index, { type: 'text_delta', text });
const toolStart = (index: number): Data =>
  start(index, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} });
const jsonDelta = (index: number, partial: string): Data =>
  delta(index, { type: 'input_json_delta', partial_json: partial });
const messageDelta: Data = {
  type: 'message_delta',
  delta: { stop_reason: 'end_turn', stop_sequence: null },
  usage: { output_tokens: 5 },
};
const messageStop: Data = { type: 'message_stop' };
const ping: Data = { type: 'ping' };
const errorEvent: Data = {
  type: 'error',
  error: { type: 'overloaded_error', message: 'Overloaded' },
};

function check(stream: readonly Data[]): string[] {
  return lifecycleViolations(stream.map((data) => ({ event: data.type, data })));
}

/** Text, then a tool call: the well-formed baseline every broken case below departs from. */
const valid: readonly Data[] = [
  messageStart,
  ping,
  textStart(0),
  textDelta(0, 'Let me look.'),
  stop(0),
  toolStart(1),
  jsonDelta(1, ''),
  jsonDelta(1, '{"command":'),
  jsonDelta(1, '"ls"}'),
  stop(1),
  messageDelta,
  messageStop,
];

describe('hand-made streams', () => {
  it('accepts the baseline', () => {
    expect(check(valid)).toEqual([]);
  });

  it('accepts an empty answer: zero blocks (anthropic/refusal-no-blocks.sse)', () => {
    expect(check([messageStart, messageDelta, messageStop])).toEqual([]);
  });

  it('accepts an error event that ends the stream with a block open', () => {
    expect(check([messageStart, textStart(0), textDelta(0, 'Hi'), errorEvent])).toEqual([]);
  });

  const broken: [string, Data[]][] = [
    ['two message_start', [messageStart, ...valid]],
    [
      'a block index that skips',
      [messageStart, textStart(1), textDelta(1, 'x'), stop(1), messageDelta, messageStop],
    ],
    [
      'a block index that repeats',
      [messageStart, textStart(0), stop(0), textStart(0), stop(0), messageDelta, messageStop],
    ],
    [
      'a delta for a block that is not open (already stopped)',
      [messageStart, textStart(0), stop(0), textDelta(0, 'late'), messageDelta, messageStop],
    ],
    [
      'a delta for a block that was never started',
      [messageStart, textDelta(0, 'x'), messageDelta, messageStop],
    ],
    [
      'a text_delta inside a tool_use block',
      [messageStart, toolStart(0), textDelta(0, 'x'), stop(0), messageDelta, messageStop],
    ],
    [
      'a second block opened before the first stopped',
      [messageStart, textStart(0), toolStart(1), stop(1), stop(0), messageDelta, messageStop],
    ],
    [
      'tool_use input whose concatenated partial_json is not JSON',
      [
        messageStart,
        toolStart(0),
        jsonDelta(0, '{"command":'),
        jsonDelta(0, '"ls"'),
        stop(0),
        messageDelta,
        messageStop,
      ],
    ],
    [
      'message_delta while a block is open',
      [messageStart, textStart(0), messageDelta, stop(0), messageStop],
    ],
    ['message_stop without message_delta', [messageStart, textStart(0), stop(0), messageStop]],
    ['an event after message_stop', [...valid, ping]],
    ['a second message_stop', [...valid, messageStop]],
    ['an event after an error event', [messageStart, errorEvent, messageDelta, messageStop]],
    ['a ping after an error event', [messageStart, errorEvent, ping]],
    ['an end without message_stop or error', valid.slice(0, -1)],
    ['an end with a block still open', [messageStart, textStart(0), textDelta(0, 'cut')]],
    ['content before message_start', valid.slice(1)],
    [
      'a thinking block closed without a signature (the reasoning state would be lost)',
      [
        messageStart,
        start(0, { type: 'thinking', thinking: '', signature: '' }),
        delta(0, { type: 'thinking_delta', thinking: 'hmm' }),
        stop(0),
        messageDelta,
        messageStop,
      ],
    ],
    [
      'a thinking delta after the signature',
      [
        messageStart,
        start(0, { type: 'thinking', thinking: '', signature: '' }),
        delta(0, { type: 'signature_delta', signature: 'sig' }),
        delta(0, { type: 'thinking_delta', thinking: 'late' }),
        stop(0),
        messageDelta,
        messageStop,
      ],
    ],
  ];

  it.each(broken)('reports %s', (_name, stream) => {
    expect(check(stream)).not.toEqual([]);
  });

  it('reports through the incremental checker, too: push() each event, then end()', () => {
    const checker = new LifecycleChecker();
    for (const data of valid.slice(0, -1)) checker.push(data.type, data);
    expect(checker.violations).toEqual([]); // nothing wrong yet, only unfinished
    expect(checker.end()).toHaveLength(1);
  });
});
