/**
 * Client model name -> upstream model (DESIGN.md "Model routing"). Claude Code keys on the
 * family in the name, so an unknown `claude-*` name must still land somewhere, never a 404.
 */
export interface RoutedModel {
  readonly upstreamModel: string;
  /** Which rule matched, for the log and the inspector. */
  readonly rule: 'main' | 'small' | 'claude-default' | 'passthrough';
}

export function routeModel(
  clientModel: string,
  models: { model: string; smallModel: string },
): RoutedModel {
  const name = clientModel.toLowerCase();
  if (/opus|sonnet|fable/.test(name)) return { upstreamModel: models.model, rule: 'main' };
  if (name.includes('haiku')) return { upstreamModel: models.smallModel, rule: 'small' };
  if (name.startsWith('claude')) return { upstreamModel: models.model, rule: 'claude-default' };
  return { upstreamModel: clientModel, rule: 'passthrough' };
}
