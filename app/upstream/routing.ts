/**
 * Client model name -> upstream model and its limits (DESIGN.md "Model routing"). In order:
 * a --model/--small-model given for this run (it overrides everything for its family); the
 * ordered rules of the settings (exact names or globs, each with optional overrides); then the
 * defaults: opus, sonnet and fable names to the main model, haiku to the small one, any other
 * `claude-*` name to the main model (never a 404 for a Claude name), anything else unchanged.
 */
import {
  capabilitiesFor,
  type CapabilityOverrides,
  type ModelCapabilities,
  type ReasoningEffort,
} from './capabilities.ts';
import { priceFor, type ModelPrice } from './pricing.ts';

export interface RouteRule {
  /** The client's model name: exact, or a glob with `*` and `?` (case-insensitive). */
  readonly match: string;
  readonly model: string;
  /** Use this reasoning effort whatever the client asks. */
  readonly reasoningEffort?: ReasoningEffort | undefined;
  /** Cap the output tokens below the model's own limit. */
  readonly maxOutputTokens?: number | undefined;
  /** `drop`: never send temperature/top_p on this route. */
  readonly sampling?: 'keep' | 'drop' | undefined;
  /** Another upstream than the run's own (a preset or an entry of the `providers` setting). */
  readonly provider?: string | undefined;
}

export interface RoutingTable {
  readonly model: string;
  readonly smallModel: string;
  readonly routes?: readonly RouteRule[];
  /** The user's per-model corrections of the capability table and prices (settings `models`). */
  readonly modelOverrides?: Readonly<
    Record<string, CapabilityOverrides & { readonly price?: ModelPrice | undefined }>
  >;
  /** Models given for this run only (flags or environment): they beat the rules. */
  readonly runOverrides?: {
    readonly model?: string | undefined;
    readonly smallModel?: string | undefined;
  };
}

export interface RoutedModel {
  readonly upstreamModel: string;
  /** Which rule matched, for the log and the inspector. */
  readonly rule: string;
  /** The upstream model's limits, with the route's overrides applied. */
  readonly capabilities: ModelCapabilities;
  /** Its list price (settings first), or undefined when unknown: then no cost is estimated. */
  readonly price: ModelPrice | undefined;
  /** The route's own provider; undefined for the run's. */
  readonly provider: string | undefined;
}

type Family = 'main' | 'small' | 'claude-default' | 'passthrough';

export function routeModel(clientModel: string, table: RoutingTable): RoutedModel {
  const family = familyOf(clientModel);
  const override =
    family === 'small'
      ? table.runOverrides?.smallModel
      : family === 'passthrough'
        ? undefined
        : table.runOverrides?.model;
  if (override !== undefined) {
    return routed(
      override,
      family === 'small' ? 'this run: --small-model' : 'this run: --model',
      table,
    );
  }
  const index = (table.routes ?? []).findIndex((rule) => globMatches(rule.match, clientModel));
  const rule = table.routes?.[index];
  if (rule) return routed(rule.model, `rule ${index + 1}: ${rule.match}`, table, rule);
  switch (family) {
    case 'main':
    case 'claude-default':
      return routed(table.model, family, table);
    case 'small':
      return routed(table.smallModel, family, table);
    case 'passthrough':
      return routed(clientModel, family, table);
  }
}

function familyOf(clientModel: string): Family {
  const name = clientModel.toLowerCase();
  if (/opus|sonnet|fable/.test(name)) return 'main';
  if (name.includes('haiku')) return 'small';
  if (name.startsWith('claude')) return 'claude-default';
  return 'passthrough';
}

function routed(
  upstreamModel: string,
  rule: string,
  table: RoutingTable,
  overrides?: RouteRule,
): RoutedModel {
  const base = capabilitiesFor(upstreamModel, table.modelOverrides?.[upstreamModel]);
  const capabilities: ModelCapabilities = {
    ...base,
    maxOutputTokens: Math.min(base.maxOutputTokens, overrides?.maxOutputTokens ?? Infinity),
    acceptsSampling: base.acceptsSampling && overrides?.sampling !== 'drop',
    reasoningEfforts:
      overrides?.reasoningEffort !== undefined && base.reasoningEfforts.length > 0
        ? [overrides.reasoningEffort]
        : base.reasoningEfforts,
  };
  return {
    upstreamModel,
    rule,
    capabilities,
    price: priceFor(upstreamModel, pricesOf(table))?.price,
    provider: overrides?.provider,
  };
}

const priceTables = new WeakMap<RoutingTable, Readonly<Record<string, ModelPrice>>>();
/** The prices set in settings, by model name (built once per table). */
function pricesOf(table: RoutingTable): Readonly<Record<string, ModelPrice>> {
  let prices = priceTables.get(table);
  if (!prices) {
    prices = Object.fromEntries(
      Object.entries(table.modelOverrides ?? {}).flatMap(([model, entry]) =>
        entry.price ? [[model, entry.price]] : [],
      ),
    );
    priceTables.set(table, prices);
  }
  return prices;
}

export function globMatches(pattern: string, name: string): boolean {
  const source = pattern
    .split('')
    .map((char) =>
      char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`, 'i').test(name);
}
