/**
 * THE traffic contract (DESIGN.md "Traffic events"): one discriminated union on `type`, plain
 * JSON only, so it survives structured clone (IPC) and JSON.stringify (the inspector feed).
 * Payloads are redacted before they are published.
 */

/** Fields every event carries. */
export interface TrafficEventBase {
  /** Identifies one client request and everything it caused. */
  readonly exchangeId: string;
  /** Monotonic per exchange, from 0. */
  readonly seq: number;
  /** Wall clock, epoch ms. */
  readonly at: number;
  /** Monotonic clock, ms; use differences of it for durations. */
  readonly t: number;
}

export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface ExchangeStarted extends TrafficEventBase {
  readonly type: 'exchange.started';
  readonly method: string;
  readonly route: string;
  readonly clientModel: string | null;
  readonly upstreamModel: string | null;
  readonly routingRule: string | null;
  readonly stream: boolean;
  readonly headers: Readonly<Record<string, string>>;
  /** The client's body, parsed from the bytes it sent. */
  readonly request: JsonValue;
}

/** One per attempt that went upstream: a retry is a second one. */
export interface UpstreamRequested extends TrafficEventBase {
  readonly type: 'upstream.requested';
  readonly api: 'responses' | 'chat';
  readonly url: string;
  /** The body parsed from the bytes that went out (with what the SDK adds, such as `stream`). */
  readonly body: JsonValue;
  /** What the translation dropped or changed (a clamped max_tokens, a server tool it lacks). */
  readonly notes: readonly string[];
}

/**
 * Stream events are kept as the JSON text that went over the wire, not as objects: exactly what
 * was received and sent, and a few hundred of them per exchange cost the store one string each
 * (no object graphs for the garbage collector to trace, no walk to redact them).
 */
export interface UpstreamEventReceived extends TrafficEventBase {
  readonly type: 'upstream.event-received';
  /** The upstream event's JSON text as it arrived (the whole body when not streaming). */
  readonly json: string;
}

export interface ClientEventSent extends TrafficEventBase {
  readonly type: 'client.event-sent';
  /** The event's type (`message` for a whole answer sent without streaming). */
  readonly event: string;
  /** Its JSON text as sent: the SSE `data` line, or the whole body. */
  readonly json: string;
}

export interface ToolCallStarted extends TrafficEventBase {
  readonly type: 'tool-call.started';
  readonly toolUseId: string;
  readonly name: string;
}

export interface ToolCallCompleted extends TrafficEventBase {
  readonly type: 'tool-call.completed';
  readonly toolUseId: string;
  readonly name: string;
  readonly input: JsonValue;
}

export interface UsageReported extends TrafficEventBase {
  readonly type: 'usage.reported';
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheCreationInputTokens: number;
  /** True when the upstream reported no usage and Parley estimated it. */
  readonly estimated: boolean;
  /** What it cost at the upstream model's list price, USD; null when its price is unknown. */
  readonly costUsd: number | null;
}

export interface ExchangeFinished extends TrafficEventBase {
  readonly type: 'exchange.finished';
  readonly status: number;
  readonly stopReason: string | null;
  readonly ttfbMs: number | null;
  readonly durationMs: number;
}

export interface ExchangeFailed extends TrafficEventBase {
  readonly type: 'exchange.failed';
  readonly status: number | null;
  readonly errorType: string;
  readonly message: string;
  readonly upstreamStatus: number | null;
  readonly durationMs: number;
}

export type TrafficEvent =
  | ExchangeStarted
  | UpstreamRequested
  | UpstreamEventReceived
  | ClientEventSent
  | ToolCallStarted
  | ToolCallCompleted
  | UsageReported
  | ExchangeFinished
  | ExchangeFailed;

export type TrafficEventType = TrafficEvent['type'];

/** An event before the bus stamps it: everything but the fields every event shares. */
export type TrafficEventDraft = TrafficEvent extends infer E
  ? E extends TrafficEvent
    ? Omit<E, keyof TrafficEventBase>
    : never
  : never;
