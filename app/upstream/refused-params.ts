/**
 * Optional parameters an upstream model refused with a 400, learned once and left out from then
 * on (PROTOCOL.md T9). The capability table cannot know every model: an Azure deployment name or
 * a compatible server's model hides a reasoning model that refuses `temperature` (Claude Code's
 * Haiku calls send 1), and OpenAI refuses reasoning summaries to organizations not yet verified.
 * Each would otherwise fail every such request, with nothing the user could do in Claude Code.
 */
import OpenAI from 'openai';
import { MIN_OUTPUT_ROOM, outputRoom } from '../translate/errors.ts';

export type RefusableParam = 'temperature' | 'top_p' | 'reasoning.summary';

export class RefusedParams {
  /** By upstream and model: the parameters to leave out. */
  readonly #refused = new Map<string, Set<RefusableParam>>();

  /** The body without what this model refused before (the same body when nothing was). */
  apply(where: string, body: object): object {
    const refused = this.#refused.get(where);
    if (!refused) return body;
    let kept = body;
    for (const param of refused) kept = withoutParam(kept, param);
    return kept;
  }

  /**
   * The parameter an upstream error refuses, if it is one Parley may leave out and the body sent
   * it; remembered for this model. Undefined otherwise: the error stands as it is.
   */
  learn(where: string, error: unknown, sent: object): RefusableParam | undefined {
    const param = refusedParam(error);
    if (param === undefined || withoutParam(sent, param) === sent) return undefined;
    let refused = this.#refused.get(where);
    if (!refused) this.#refused.set(where, (refused = new Set()));
    refused.add(param);
    return param;
  }
}

/** What an upstream 400 names as refused, by its `param` or, where that is missing, its words. */
export function refusedParam(error: unknown): RefusableParam | undefined {
  if (!isBadRequest(error)) return undefined;
  const param = typeof error.param === 'string' ? error.param : '';
  const message = error.message;
  if (param === 'reasoning.summary' || /verified to generate reasoning summaries/i.test(message)) {
    return 'reasoning.summary';
  }
  // Refused as such, not for its value being out of range (that is the client's to fix).
  if (!/unsupported|not supported|does not support/i.test(message)) return undefined;
  for (const name of ['temperature', 'top_p'] as const) {
    if (param === name || new RegExp(`\\b${name}\\b`).test(message)) return name;
  }
  return undefined;
}

/** The body without the parameter; the same object when it did not have it. */
export function withoutParam(body: object, param: RefusableParam): object {
  const record = body as Record<string, unknown>;
  if (param !== 'reasoning.summary') {
    if (!(param in record)) return body;
    const { [param]: _dropped, ...rest } = record;
    return rest;
  }
  const reasoning = record['reasoning'];
  if (typeof reasoning !== 'object' || reasoning === null || !('summary' in reasoning)) return body;
  const { summary: _summary, ...keptReasoning } = reasoning as Record<string, unknown>;
  return { ...record, reasoning: keptReasoning };
}

/**
 * The body asking for no more output than fits beside the prompt, where the upstream refused the
 * output asked for and said how much room there is (vLLM); undefined otherwise, or where the room
 * is too small to answer in (then the prompt is too long, and the client should compact).
 */
export function withOutputThatFits(error: unknown, sent: object): object | undefined {
  if (!isBadRequest(error)) return undefined;
  const room = outputRoom(error.message);
  if (room === undefined || !Number.isInteger(room) || room < MIN_OUTPUT_ROOM) return undefined;
  const record = sent as Record<string, unknown>;
  const field = OUTPUT_FIELDS.find((name) => typeof record[name] === 'number');
  if (field === undefined || (record[field] as number) <= room) return undefined;
  return { ...record, [field]: room };
}

const OUTPUT_FIELDS = ['max_tokens', 'max_completion_tokens', 'max_output_tokens'] as const;

/** A 400 (or 422) from the upstream: what a refused request looks like. */
function isBadRequest(error: unknown): error is InstanceType<typeof OpenAI.APIError> {
  return error instanceof OpenAI.APIError && (error.status === 400 || error.status === 422);
}
