/**
 * What a scripted upstream turn says, independent of the wire format: the mock renders the same
 * turn as a Responses API or a Chat Completions answer, streaming or not.
 */

export type ScriptedOutput =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool_call';
      readonly name: string;
      /** The raw arguments string, exactly as the upstream sends it (may be "" or invalid). */
      readonly arguments: string;
      readonly callId?: string;
      /** Gemini's `extra_content.google.thought_signature` (Chat wire only). */
      readonly thoughtSignature?: string;
    }
  | {
      readonly type: 'reasoning';
      /** Summary parts (Responses) or the reasoning text (Chat `reasoning_content`). */
      readonly summary: readonly string[];
      readonly encryptedContent?: string;
    };

export interface ScriptedUsage {
  readonly input: number;
  readonly output: number;
  readonly cached?: number;
  readonly reasoning?: number;
}

export type ScriptedFault =
  /** Answer with this status, JSON body and headers instead of a turn. */
  | {
      readonly kind: 'http-error';
      readonly status: number;
      readonly body: unknown;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Send the headers and this many events, then reset the connection. */
  | { readonly kind: 'reset'; readonly afterEvents: number }
  /** Stop answering: before the headers (no `afterEvents`) or after this many events. */
  | { readonly kind: 'hang'; readonly afterEvents?: number }
  /** End the response cleanly after this many events, without its terminal event. */
  | { readonly kind: 'cut'; readonly afterEvents: number }
  /** After this many events, send an SSE `error` event (nested shape, as recorded) and end. */
  | {
      readonly kind: 'error-event';
      readonly afterEvents: number;
      readonly error: { readonly type: string; readonly code: string; readonly message: string };
    };

export interface ScriptedTurn {
  readonly output?: readonly ScriptedOutput[];
  /** Characters (code points) per text/argument/summary delta; default 4. */
  readonly deltaSize?: number;
  /** End as Responses `incomplete` / Chat `length` or `content_filter`. */
  readonly incomplete?: 'max_output_tokens' | 'content_filter';
  readonly usage?: ScriptedUsage;
  readonly fault?: ScriptedFault;
  /** Pause between streamed events, ms. */
  readonly delayMs?: number;
  /** How a Chat Completions server shapes the stream (ignored by the Responses wire). */
  readonly chat?: {
    /** Round-robin the argument deltas of all tool calls, as some servers do (T6). */
    readonly interleaveToolCalls?: boolean;
    /** Repeat each call's id and name on every delta. */
    readonly repeatIdAndName?: boolean;
    /** Each call's arguments in a single chunk. */
    readonly wholeArguments?: boolean;
    /** Usage in its own last chunk (OpenAI, default), on the finish chunk (DeepSeek), or none. */
    readonly usage?: 'separate-chunk' | 'finish-chunk' | 'none';
    /** End without `data: [DONE]` (some compatible servers). */
    readonly omitDone?: boolean;
  };
}

/** Splits by code points so no delta ever ends inside a surrogate pair. */
export function splitIntoDeltas(text: string, size: number): string[] {
  const codePoints = Array.from(text);
  const deltas: string[] = [];
  for (let start = 0; start < codePoints.length; start += size) {
    deltas.push(codePoints.slice(start, start + size).join(''));
  }
  return deltas;
}

export const defaultUsage: ScriptedUsage = { input: 12, output: 7 };

/** Deterministic ids per mock instance, so recorded runs compare equal. */
export class IdSource {
  #next = 1;
  id(prefix: string): string {
    return `${prefix}${String(this.#next++).padStart(6, '0')}`;
  }
}
