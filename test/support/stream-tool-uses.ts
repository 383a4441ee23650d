import type { AnthropicStreamEvent } from '../../app/protocol/anthropic-wire.ts';

export interface StreamedToolUse {
  readonly type: 'tool_use';
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
}

/** The tool_use blocks of a stream as a client assembles them: start, JSON fragments, parsed. */
export function streamedToolUses(events: readonly AnthropicStreamEvent[]): StreamedToolUse[] {
  const blocks = new Map<number, { id: string; name: string; json: string }>();
  for (const event of events) {
    if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') {
      const { id, name } = event.content_block;
      blocks.set(event.index, { id, name, json: '' });
    }
    if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') {
      const block = blocks.get(event.index);
      if (block) block.json += event.delta.partial_json;
    }
  }
  return [...blocks.values()].map(({ id, name, json }) => ({
    type: 'tool_use',
    id,
    name,
    input: JSON.parse(json) as unknown,
  }));
}
