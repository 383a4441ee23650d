/**
 * The Anthropic stream lifecycle checker (PROTOCOL.md 1.2). Fed the events of one stream in
 * order, it reports every rule broken: one message_start first; blocks indexed 0,1,2… in order,
 * one open at a time; deltas only inside the open block and of its kind; tool input that parses;
 * every block closed before one message_delta; message_stop last — or an error event, after
 * which nothing. A server_tool_use block is held to a tool_use's rules; a web_search_tool_result
 * comes whole in its start and takes no delta. Used by the tests and, later, by the inspector.
 */
type Kind = 'text' | 'tool_use' | 'thinking' | 'redacted_thinking' | 'result' | 'other';

/** Block types whose rules are known; anything else (mcp_tool_use, …) is let through. */
const blockKinds: Record<string, Kind> = {
  text: 'text',
  tool_use: 'tool_use',
  server_tool_use: 'tool_use',
  thinking: 'thinking',
  redacted_thinking: 'redacted_thinking',
  web_search_tool_result: 'result',
};

const deltaKinds: Record<string, Kind> = {
  text_delta: 'text',
  citations_delta: 'text',
  input_json_delta: 'tool_use',
  thinking_delta: 'thinking',
  signature_delta: 'thinking',
};

export class LifecycleChecker {
  readonly violations: string[] = [];
  #started = false;
  #ended = false;
  #messageDelta = false;
  #nextIndex = 0;
  #open: { index: number; kind: Kind; json: string; signed: boolean } | undefined;
  #position = 0;

  /** `event` is the SSE event name; `data` its parsed JSON. */
  push(event: string, data: unknown): void {
    const at = this.#position++;
    const fail = (message: string): void => {
      this.violations.push(`#${at} ${event}: ${message}`);
    };
    const record = (typeof data === 'object' && data !== null ? data : {}) as Record<
      string,
      unknown
    >;
    if (record['type'] !== event) fail(`data.type is ${JSON.stringify(record['type'])}`);
    if (this.#ended) fail('event after the end of the stream');
    if (event === 'error') {
      this.#ended = true;
      return;
    }
    if (event === 'ping') return;
    if (event === 'message_start') {
      if (this.#started) fail('second message_start');
      this.#started = true;
      return;
    }
    if (!this.#started) fail('before message_start');
    switch (event) {
      case 'content_block_start':
        this.#blockStart(record, fail);
        break;
      case 'content_block_delta':
        this.#blockDelta(record, fail);
        break;
      case 'content_block_stop':
        this.#blockStop(record, fail);
        break;
      case 'message_delta': {
        if (this.#messageDelta) fail('second message_delta');
        if (this.#open) fail(`block ${this.#open.index} still open`);
        const delta = (record['delta'] ?? {}) as Record<string, unknown>;
        if (typeof delta['stop_reason'] !== 'string') fail('no stop_reason');
        const usage = (record['usage'] ?? {}) as Record<string, unknown>;
        if (typeof usage['output_tokens'] !== 'number') fail('usage.output_tokens missing');
        this.#messageDelta = true;
        break;
      }
      case 'message_stop':
        if (!this.#messageDelta) fail('message_stop without message_delta');
        this.#ended = true;
        break;
      default:
        fail('unknown event');
    }
  }

  /** The stream is over: it must have ended with message_stop or an error event. */
  end(): string[] {
    if (!this.#ended) {
      this.violations.push(
        this.#open
          ? `end: block ${this.#open.index} left open and no message_stop`
          : 'end: stream ended without message_stop or error',
      );
    }
    return this.violations;
  }

  #blockStart(record: Record<string, unknown>, fail: (message: string) => void): void {
    const index = record['index'];
    if (this.#messageDelta) fail('block after message_delta');
    if (this.#open) fail(`block ${this.#open.index} still open`);
    if (index !== this.#nextIndex) fail(`index ${String(index)}, expected ${this.#nextIndex}`);
    const block = (record['content_block'] ?? {}) as Record<string, unknown>;
    const kind = blockKinds[String(block['type'])] ?? 'other';
    this.#open = { index: typeof index === 'number' ? index : -1, kind, json: '', signed: false };
    this.#nextIndex = (typeof index === 'number' ? index : this.#nextIndex) + 1;
  }

  #blockDelta(record: Record<string, unknown>, fail: (message: string) => void): void {
    const open = this.#open;
    if (!open || open.index !== record['index']) {
      fail(`delta for block ${String(record['index'])}, which is not open`);
      return;
    }
    const delta = (record['delta'] ?? {}) as Record<string, unknown>;
    const deltaType = String(delta['type']);
    const kind = deltaKinds[deltaType];
    if (open.kind !== 'other' && kind !== open.kind)
      fail(`${deltaType} inside a ${open.kind} block`);
    if (open.signed) fail('delta after the signature');
    if (deltaType === 'input_json_delta' && typeof delta['partial_json'] === 'string') {
      open.json += delta['partial_json'];
    }
    if (deltaType === 'signature_delta') open.signed = true;
  }

  #blockStop(record: Record<string, unknown>, fail: (message: string) => void): void {
    const open = this.#open;
    if (!open || open.index !== record['index']) {
      fail(`stop for block ${String(record['index'])}, which is not open`);
      return;
    }
    if (open.kind === 'thinking' && !open.signed) fail('thinking block closed without a signature');
    if (open.kind === 'tool_use' && open.json !== '') {
      try {
        JSON.parse(open.json);
      } catch {
        fail(`tool input is not JSON: ${open.json.slice(0, 80)}`);
      }
    }
    this.#open = undefined;
  }
}

/** Checks a whole stream at once. */
export function lifecycleViolations(events: Iterable<{ event: string; data: unknown }>): string[] {
  const checker = new LifecycleChecker();
  for (const { event, data } of events) checker.push(event, data);
  return checker.end();
}
