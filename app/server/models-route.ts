/**
 * GET /v1/models and /v1/models/{id} in Anthropic's list shape. The list holds the Claude names
 * Parley routes (each saying where it goes) and the upstream's own models, which pass through
 * unchanged; the upstream list is fetched on first use and kept for a while. An upstream failure
 * is answered as the mapped Anthropic error.
 */
import type { Request, RequestHandler, Response } from 'express';
import type OpenAI from 'openai';
import type { Settings } from '../config/settings-schema.ts';
import { toAnthropicError } from '../translate/errors.ts';
import { routeModel, type RoutingTable } from '../upstream/routing.ts';
import { toUpstreamFailure } from '../upstream/upstream-failure.ts';
import { sendError } from './send-error.ts';

export interface ModelEntry {
  readonly type: 'model';
  readonly id: string;
  readonly display_name: string;
  readonly created_at: string;
}

export interface ModelsDeps {
  readonly settings: Pick<Settings, 'baseUrl'>;
  readonly routing: RoutingTable;
  readonly upstream: OpenAI;
  /** How long the upstream's list is kept, ms. */
  readonly cacheMs?: number;
  /** Hides the configured keys in upstream error messages (some upstreams echo the key). */
  readonly redactText?: (text: string) => string;
  readonly now?: () => number;
}

/** The Claude names Claude Code sends by default (CLAUDE-CODE.md §3); any other claude-* name routes too. */
const CLAUDE_NAMES = ['claude-opus-4-8', 'claude-fable-5', 'claude-haiku-4-5-20251001'];
const EPOCH = new Date(0).toISOString();

export function modelsRoutes(deps: ModelsDeps): { list: RequestHandler; one: RequestHandler } {
  const cacheMs = deps.cacheMs ?? 10 * 60_000;
  const now = deps.now ?? Date.now;
  let cached: { at: number; models: Promise<ModelEntry[]> } | undefined;

  const upstreamModels = (): Promise<ModelEntry[]> => {
    if (cached && now() - cached.at < cacheMs) return cached.models;
    const models = fetchUpstreamModels(deps.upstream);
    cached = { at: now(), models };
    // A failure is not kept: the next request tries again.
    models.catch(() => {
      if (cached?.models === models) cached = undefined;
    });
    return models;
  };

  const claudeEntries = (): ModelEntry[] =>
    CLAUDE_NAMES.map((id) => ({
      type: 'model',
      id,
      display_name: `${id} → ${routeModel(id, deps.routing).upstreamModel} (Parley)`,
      created_at: EPOCH,
    }));

  const all = async (): Promise<ModelEntry[]> => {
    const upstream = await upstreamModels();
    const claude = claudeEntries();
    const names = new Set(claude.map((entry) => entry.id));
    return [...claude, ...upstream.filter((entry) => !names.has(entry.id))];
  };

  return {
    list: async (req, res) => {
      try {
        sendPage(req, res, await all());
      } catch (error) {
        sendUpstreamError(res, error, deps);
      }
    },
    one: async (req, res) => {
      const id = String(req.params['id'] ?? '');
      if (id.startsWith('claude')) {
        const upstreamModel = routeModel(id, deps.routing).upstreamModel;
        res.json({
          type: 'model',
          id,
          display_name: `${id} → ${upstreamModel} (Parley)`,
          created_at: EPOCH,
        });
        return;
      }
      try {
        const entry = (await upstreamModels()).find((candidate) => candidate.id === id);
        if (entry) res.json(entry);
        else
          sendError(
            res,
            'not_found_error',
            `model: ${id} is not a Claude name Parley routes nor a model the upstream lists`,
          );
      } catch (error) {
        sendUpstreamError(res, error, deps);
      }
    },
  };
}

async function fetchUpstreamModels(client: OpenAI): Promise<ModelEntry[]> {
  const entries: ModelEntry[] = [];
  for await (const model of client.models.list()) {
    entries.push({
      type: 'model',
      id: model.id,
      display_name: model.id,
      created_at: new Date((model.created || 0) * 1000).toISOString(),
    });
  }
  return entries;
}

/** Anthropic's pagination: limit (default 20, up to 1000), after_id, before_id. */
function sendPage(req: Request, res: Response, entries: ModelEntry[]): void {
  const limit = Math.min(Math.max(Number(req.query['limit'] ?? 20) || 20, 1), 1000);
  const after = typeof req.query['after_id'] === 'string' ? req.query['after_id'] : undefined;
  const before = typeof req.query['before_id'] === 'string' ? req.query['before_id'] : undefined;
  let start = 0;
  let end = entries.length;
  if (after !== undefined) start = entries.findIndex((entry) => entry.id === after) + 1;
  if (before !== undefined)
    end = Math.max(
      entries.findIndex((entry) => entry.id === before),
      0,
    );
  const page =
    before !== undefined && after === undefined
      ? entries.slice(Math.max(end - limit, 0), end)
      : entries.slice(start, Math.min(start + limit, end));
  const last = page.at(-1);
  const lastIndex = last ? entries.indexOf(last) : -1;
  res.json({
    data: page,
    has_more: lastIndex >= 0 && lastIndex < entries.length - 1,
    first_id: page[0]?.id ?? null,
    last_id: last?.id ?? null,
  });
}

function sendUpstreamError(res: Response, error: unknown, deps: ModelsDeps): void {
  const reported = toUpstreamFailure(error, {
    upstreamModel: 'models list',
    baseUrl: deps.settings.baseUrl,
  });
  const message = deps.redactText?.(reported.message) ?? reported.message;
  const mapped = toAnthropicError(
    { ...reported, message },
    { promptTokenEstimate: 0, contextWindow: 0 },
  );
  sendError(res, mapped.type, mapped.message, mapped.headers);
}
