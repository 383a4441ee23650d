/**
 * The prompt's size around a messages request: the pre-flight check before it goes upstream,
 * and the calibration of the local count against the upstream's report after it.
 */
import { AnthropicError } from '../protocol/anthropic-errors.ts';
import type { AnthropicUsage } from '../protocol/anthropic-wire.ts';
import type { Calibration } from '../upstream/calibration.ts';
import type { ModelCapabilities } from '../upstream/capabilities.ts';
import { countRequestTokens, tokenizerLoaded } from '../upstream/token-count.ts';

/**
 * A prompt over the model's context window is answered at once with the 400 Claude Code
 * compacts on, because some servers silently truncate instead of failing. The tokenizer runs
 * only when a cheap estimate (from the client body's size, about what the translated one weighs)
 * comes within half the window; returns the size either way.
 */
export function preflightTokens(
  body: object,
  clientBodyBytes: number,
  model: string,
  capabilities: ModelCapabilities,
): number {
  const estimate = Math.ceil(clientBodyBytes / 4);
  if (estimate < capabilities.contextWindow / 2) return estimate;
  const counted = countRequestTokens(body, model);
  if (counted > capabilities.contextWindow) {
    throw new AnthropicError(
      'invalid_request_error',
      `prompt is too long: ${counted} tokens > ${capabilities.contextWindow} maximum`,
    );
  }
  return counted;
}

/**
 * Counts after the response has gone (setImmediate), so the client never waits for it. Only once
 * something has counted for this model (count_tokens, a pre-flight near the window): the
 * calibration is of the counts Parley gives, and loading an encoding for it alone would cost a
 * run that never counts some 70 MB.
 */
export function calibrateLater(
  calibration: Calibration,
  model: string,
  body: object,
  usage: AnthropicUsage,
): void {
  if (!tokenizerLoaded(model) || !calibration.wantsSample(model)) return;
  const reported =
    usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
  setImmediate(() => {
    // Nothing waits on it, so nothing would catch what it throws: the process would go down.
    try {
      calibration.record(model, countRequestTokens(body, model), reported);
    } catch {
      // A sample lost; the next turns calibrate.
    }
  });
}
