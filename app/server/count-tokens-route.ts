/**
 * POST /v1/messages/count_tokens: the request translated exactly as a real one would be, then
 * counted locally with the routed model's tokenizer. Never an upstream call, so it needs no
 * upstream key and Claude Code's 14 parallel calls for /context cost nothing upstream.
 */
import type { RequestHandler } from 'express';
import { AnthropicError } from '../protocol/anthropic-errors.ts';
import { validateCountTokensRequest } from '../protocol/messages-request.ts';
import type { Upstream, UpstreamAdapter } from '../upstream/adapters.ts';
import { routeModel, type RoutingTable } from '../upstream/routing.ts';
import { countRequestTokens } from '../upstream/token-count.ts';
import { sendError } from './send-error.ts';
import { sha256Hex } from './sha256.ts';

export interface CountTokensDeps {
  readonly routing: RoutingTable;
  /** The run's own upstream, and those routes name: counted as each would be sent. */
  readonly upstream: UpstreamAdapter;
  readonly routeUpstreams?: ReadonlyMap<string, Upstream> | undefined;
}

export function countTokensRoute(deps: CountTokensDeps): RequestHandler {
  return (req, res) => {
    const validation = validateCountTokensRequest(req.body);
    if (!validation.ok) {
      sendError(res, 'invalid_request_error', validation.message);
      return;
    }
    const request = validation.value;
    const { upstreamModel, capabilities, provider } = routeModel(request.model, deps.routing);
    const adapter =
      provider === undefined ? deps.upstream : deps.routeUpstreams?.get(provider)?.adapter;
    if (!adapter) {
      sendError(res, 'api_error', `No upstream is set up for provider "${provider ?? ''}".`);
      return;
    }
    try {
      // max_tokens changes nothing the model reads; the smallest valid value keeps the shape.
      const translated = adapter.translate(
        { ...request, max_tokens: capabilities.minOutputTokens },
        { upstreamModel, capabilities, hash: sha256Hex },
      );
      res.json({ input_tokens: countRequestTokens(translated.body, upstreamModel) });
    } catch (error) {
      if (!(error instanceof AnthropicError)) throw error;
      sendError(res, error.type, error.message);
    }
  };
}
