/**
 * Tool definitions and names, shared by both upstream APIs. OpenAI limits function names to 64
 * characters; longer names (deep MCP tool names) are shortened deterministically and restored
 * on the way back, so the client never sees the difference.
 */
import { AnthropicError } from '../protocol/anthropic-errors.ts';
import type { ToolParam } from '../protocol/messages-request.ts';

export const MAX_TOOL_NAME_LENGTH = 64;

/** Upstream name -> the client's name, for names that had to change. */
export type ToolNameMap = ReadonlyMap<string, string>;

export function upstreamToolName(name: string): string {
  if (name.length <= MAX_TOOL_NAME_LENGTH) return name;
  const suffix = `_${fnv1a32(name)}`;
  return name.slice(0, MAX_TOOL_NAME_LENGTH - suffix.length) + suffix;
}

export function clientToolName(upstreamName: string, names: ToolNameMap): string {
  return names.get(upstreamName) ?? upstreamName;
}

/** Every name in the request that had to be shortened, mapped back. */
export function toolNameMap(names: Iterable<string>): ToolNameMap {
  const map = new Map<string, string>();
  for (const name of names) {
    const shortened = upstreamToolName(name);
    if (shortened !== name) map.set(shortened, name);
  }
  return map;
}

export type CustomToolParam = Extract<ToolParam, { input_schema: unknown }>;

export function isCustomTool(tool: ToolParam): tool is CustomToolParam {
  return (
    'input_schema' in tool &&
    (tool.type === undefined || tool.type === null || tool.type === 'custom')
  );
}

/** `$schema` is meta-data OpenAI does not accept in parameters; everything else stays. */
export function toolParameters(inputSchema: Record<string, unknown>): Record<string, unknown> {
  const { $schema, ...rest } = inputSchema;
  return { type: 'object', properties: {}, ...rest };
}

export function isWebSearchTool(tool: ToolParam): boolean {
  return typeof tool.type === 'string' && tool.type.startsWith('web_search');
}

/** JSON of a tool input for the upstream: never an empty string (T4). */
export function toolArguments(input: unknown): string {
  return input === undefined || input === null ? '{}' : JSON.stringify(input);
}

/** Names under which some models wrap parallel calls into one call (gpt-5.4; vercel/ai #19067). */
const PARALLEL_WRAPPER_NAMES = new Set(['parallel', 'multi_tool_use.parallel']);

export interface UnwrappedCall {
  readonly name: string;
  readonly input: unknown;
}

/** A call to the wrapper, unless the client declared a real tool of that name. */
export function isParallelWrapper(
  name: string,
  declared: ReadonlySet<string> | undefined,
): boolean {
  return PARALLEL_WRAPPER_NAMES.has(name) && declared?.has(name) !== true;
}

/**
 * The separate calls inside a wrapper call's arguments:
 * `{"tool_uses":[{"recipient_name":"functions.X","parameters":{…}}]}`. Undefined when the
 * arguments are not a well-formed wrapper (Parley will not guess).
 */
export function unwrapParallelCall(args: string): UnwrappedCall[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return undefined;
  }
  const uses =
    typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)['tool_uses']
      : undefined;
  if (!Array.isArray(uses) || uses.length === 0) return undefined;
  const calls: UnwrappedCall[] = [];
  for (const use of uses) {
    const record = (typeof use === 'object' && use !== null ? use : {}) as Record<string, unknown>;
    const recipient = record['recipient_name'];
    if (typeof recipient !== 'string' || recipient === '') return undefined;
    calls.push({ name: recipient.replace(/^functions\./, ''), input: record['parameters'] ?? {} });
  }
  return calls;
}

/** Empty arguments mean no arguments (T4); anything else must be a JSON object. */
export function parseToolArguments(raw: string, toolName: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new AnthropicError('api_error', invalidArgumentsMessage(toolName));
  }
}

export function invalidArgumentsMessage(toolName: string): string {
  return `The upstream model produced invalid JSON arguments for tool ${toolName}; Parley will not invent an input. Retry the request.`;
}

/** 32-bit FNV-1a as 8 hex digits: stable across runs and machines, no crypto needed. */
function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
