/**
 * The express app: guards, body parsing, routes and the Anthropic-shaped fallbacks. It holds no
 * translation logic; routes compose the translators and the upstream client they are given.
 */
import express, { type Express, type RequestHandler, type Response } from 'express';
import type OpenAI from 'openai';
import type { ChatDialect } from '../config/providers.ts';
import type { Settings } from '../config/settings-schema.ts';
import { UPSTREAM_KEY_ENV } from '../config/load-settings.ts';
import type { Logger } from '../log.ts';
import { upstreamAdapter, type Upstream } from '../upstream/adapters.ts';
import { displayBaseUrl } from '../upstream/client.ts';
import type { Calibration } from '../upstream/calibration.ts';
import { RefusedParams } from '../upstream/refused-params.ts';
import type { RoutingTable } from '../upstream/routing.ts';
import { errorHandler, notFound } from './fallback-handlers.ts';
import { authGuard, hostGuard, missingUpstreamKeyMessage, originGuard } from './guards.ts';
import type { TrafficBus } from '../traffic/traffic-bus.ts';
import { textRedactor } from '../traffic/redact.ts';
import { countTokensRoute } from './count-tokens-route.ts';
import type { InFlightStreams } from './in-flight.ts';
import { messagesRoute } from './messages-route.ts';
import { modelsRoutes } from './models-route.ts';
import { randomId } from './random-id.ts';
import { requestLog } from './request-log.ts';
import { sendError } from './send-error.ts';

export interface ServerDeps {
  readonly settings: Settings;
  readonly settingsPath: string;
  readonly upstream: OpenAI;
  /** How the provider's Chat Completions differs from OpenAI's (used with upstreamApi chat). */
  readonly chatDialect: ChatDialect;
  /** Client model names -> upstream models, with this run's overrides. */
  readonly routing: RoutingTable;
  /** False when the provider needs OPENAI_API_KEY and it was not set. */
  readonly upstreamKeyConfigured: boolean;
  readonly logger: Logger;
  readonly version: string;
  /** The address clients use (known only once listening, for port 0). */
  readonly publicUrl: () => string;
  readonly newRequestId?: () => string;
  /** Streams in flight, ended with an error event when a shutdown's grace period is over. */
  readonly inFlight: InFlightStreams;
  /** Where exchanges are recorded for the inspector. */
  readonly traffic?: TrafficBus;
  /** Local token counts against the upstream's, per model. */
  readonly calibration?: Calibration;
  /** The keys to hide wherever an upstream message is passed on (proxy and upstream key). */
  readonly secrets?: readonly (string | undefined)[];
  /** The other upstreams routing rules name, by provider. */
  readonly routeUpstreams?: ReadonlyMap<string, Upstream>;
}

export function createServer(deps: ServerDeps): Express {
  const { settings, logger } = deps;
  const newRequestId = deps.newRequestId ?? (() => randomId('req_'));
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  app.use((_req, res, next) => {
    res.setHeader('request-id', newRequestId());
    next();
  });
  app.use(requestLog(logger));
  app.use(
    hostGuard({
      boundHost: settings.host,
      allowedHosts: settings.allowedHosts,
      boundPort: () => Number(new URL(deps.publicUrl()).port || 80),
    }),
  );
  app.use(originGuard());

  // Claude Code sends HEAD / at every start, without a key; answer it cheaply.
  app.head('/', (_req, res) => {
    res.status(200).end();
  });
  app.get('/health', (_req, res) => {
    res.json({
      status: 'ok',
      name: 'parley',
      version: deps.version,
      upstream: {
        api: settings.upstreamApi,
        baseUrl: displayBaseUrl(settings.baseUrl),
        keyConfigured: deps.upstreamKeyConfigured,
      },
      // The providers routes send to besides the run's own, and whether each has its key.
      routeProviders: [...(deps.routeUpstreams ?? new Map<string, Upstream>())].map(
        ([name, route]) => ({
          name,
          api: route.adapter.api,
          baseUrl: displayBaseUrl(route.baseUrl),
          keyConfigured: route.keyConfigured,
        }),
      ),
      // Whether exchanges are kept for the inspector (off under --no-record).
      recordingTraffic: deps.traffic !== undefined,
      // How far local token counts are from what the upstream reported, per model.
      tokenCounting: deps.calibration?.figures() ?? {},
    });
  });

  if (settings.requireAuth) {
    app.use(authGuard({ proxyKey: settings.proxyKey, settingsPath: deps.settingsPath }));
  }
  app.use(requireJsonPost());
  const recording = deps.traffic !== undefined;
  app.use(
    express.json({
      limit: settings.bodyLimitBytes,
      // The body's size (after any content-encoding): the pre-flight's cheap estimate reads it.
      // When recording, its bytes too: the store keeps them as they came (no second copy made).
      verify: (_req, res, buffer, encoding) => {
        const { locals } = res as Response;
        locals['bodyBytes'] = buffer.length;
        if (recording && encoding.toLowerCase() === 'utf-8') locals['rawBody'] = buffer;
      },
    }),
  );
  const upstream: Upstream = {
    adapter: upstreamAdapter(settings.upstreamApi, deps.upstream, deps.chatDialect),
    baseUrl: settings.baseUrl,
    keyEnv: UPSTREAM_KEY_ENV,
    keyConfigured: deps.upstreamKeyConfigured,
  };
  const { routeUpstreams } = deps;
  // Counted locally: it works without an upstream key.
  app.post(
    '/v1/messages/count_tokens',
    countTokensRoute({ routing: deps.routing, upstream: upstream.adapter, routeUpstreams }),
  );
  // The messages routes check the key of the upstream each request is routed to.
  app.use('/v1/models', requireUpstreamKey(deps.upstreamKeyConfigured));
  const redactText = textRedactor(deps.secrets ?? []);
  const models = modelsRoutes({
    settings,
    routing: deps.routing,
    upstream: deps.upstream,
    redactText,
  });
  app.get('/v1/models', models.list);
  app.get('/v1/models/:id', models.one);
  const routeDeps = {
    redactText,
    settings,
    routing: deps.routing,
    upstream,
    routeUpstreams,
    logger,
    inFlight: deps.inFlight,
    traffic: deps.traffic,
    calibration: deps.calibration,
    refusedParams: new RefusedParams(),
  };
  app.post('/v1/messages', messagesRoute(routeDeps, { alwaysStream: false }));
  app.post('/v1/messages/stream', messagesRoute(routeDeps, { alwaysStream: true }));

  app.use(notFound(deps.publicUrl));
  app.use(errorHandler(logger, settings.bodyLimitBytes));
  return app;
}

/** A browser "simple request" (text/plain) must not get through; clients always send JSON. */
function requireJsonPost(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || req.is('application/json') !== false) {
      next();
      return;
    }
    sendError(
      res,
      'invalid_request_error',
      `content-type must be application/json (got "${req.headers['content-type'] ?? 'none'}").`,
    );
  };
}

function requireUpstreamKey(configured: boolean): RequestHandler {
  return (_req, res, next) => {
    if (configured) {
      next();
      return;
    }
    sendError(res, 'authentication_error', missingUpstreamKeyMessage(UPSTREAM_KEY_ENV));
  };
}
