/**
 * Anthropic thinking settings -> an OpenAI reasoning effort the model accepts.
 * enabled+budget: by budget; adaptive: output_config.effort (default medium); disabled: the
 * model's lowest effort. Models without reasoning get none.
 */
import type { MessagesRequest } from '../protocol/messages-request.ts';
import type { ModelCapabilities, ReasoningEffort } from '../upstream/capabilities.ts';

const order: readonly ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

export function effortFor(
  request: MessagesRequest,
  caps: ModelCapabilities,
): ReasoningEffort | undefined {
  const supported = caps.reasoningEfforts;
  const lowest = supported[0];
  if (lowest === undefined) return undefined;
  const thinking = request.thinking;
  if (thinking?.type === 'disabled') return lowest;
  const wanted =
    thinking?.type === 'enabled'
      ? byBudget(thinking.budget_tokens)
      : byName(request.output_config?.effort);
  return nearestSupported(wanted, supported);
}

function byBudget(budget: number): ReasoningEffort {
  if (budget < 4_000) return 'low';
  if (budget < 16_000) return 'medium';
  return 'high';
}

function byName(effort: string | undefined): ReasoningEffort {
  switch (effort) {
    case 'low':
      return 'low';
    case 'high':
      return 'high';
    case 'max':
    case 'xhigh':
      return 'xhigh';
    default:
      return 'medium';
  }
}

/** The highest supported effort not above the wanted one (or the lowest supported). */
function nearestSupported(
  wanted: ReasoningEffort,
  supported: readonly ReasoningEffort[],
): ReasoningEffort {
  const rank = order.indexOf(wanted);
  const fitting = supported.filter((effort) => order.indexOf(effort) <= rank);
  return fitting.at(-1) ?? supported[0] ?? wanted;
}
