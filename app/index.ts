/**
 * Parley's engine, free of Electron: `startProxy` is what `parley serve` and the desktop app
 * both call. Everything the proxy needs comes in through the options.
 */
import type OpenAI from 'openai';
import type { LoadedSettings } from './config/load-settings.ts';
import { silentLogger, type Logger } from './log.ts';
import { createServer } from './server/create-server.ts';
import { idleCollector } from './server/idle-gc.ts';
import { InFlightStreams } from './server/in-flight.ts';
import { secretHeaderValues } from './traffic/redact.ts';
import { TrafficBus } from './traffic/traffic-bus.ts';
import { Calibration } from './upstream/calibration.ts';
import { listen } from './server/listen.ts';
import { clientForTarget } from './upstream/client.ts';
import { routeUpstreams } from './upstream/route-upstreams.ts';
import { PARLEY_VERSION } from './version.ts';

export { loadSettings, SettingsError } from './config/load-settings.ts';
export type { LoadedSettings } from './config/load-settings.ts';
export type { Settings } from './config/settings-schema.ts';
export { ListenError } from './server/listen.ts';
export { createLogger, type Logger } from './log.ts';
export { PARLEY_VERSION } from './version.ts';
export type { TrafficBus } from './traffic/traffic-bus.ts';
export type { TrafficEvent } from './traffic/traffic-event.ts';

export interface ProxyOptions {
  /** Resolved settings, from `loadSettings`. */
  readonly loaded: LoadedSettings;
  readonly logger?: Logger;
  /** An upstream client to use instead of one built from settings (tests). */
  readonly upstream?: OpenAI;
  /** Record every exchange on `ProxyHandle.traffic` (default true; off for benchmarks). */
  readonly recordTraffic?: boolean;
}

export interface ProxyHandle {
  readonly host: string;
  readonly port: number;
  /** The base URL clients use: the value for ANTHROPIC_BASE_URL. */
  readonly url: string;
  /** Local token counts against the upstream's reports, per model. */
  readonly calibration: Calibration;
  /** Every exchange, redacted, for the inspector; undefined when recording is off. */
  readonly traffic: TrafficBus | undefined;
  /** Stops accepting; in-flight requests get `graceMs` to finish, then are cut. */
  close(graceMs?: number): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  const { settings, settingsPath, upstreamApiKey, upstreamNeedsKey } = options.loaded;
  const logger = options.logger ?? silentLogger;
  let url = '';
  const collector = idleCollector();
  const inFlight = new InFlightStreams(collector);
  const calibration = new Calibration();
  // Hidden wherever Parley passes text on: the proxy key, every upstream key, and the
  // credentials in the upstreams' own headers.
  const secrets = [
    settings.proxyKey,
    upstreamApiKey,
    ...secretHeaderValues(options.loaded.upstreamHeaders),
    ...options.loaded.routeProviders.flatMap((provider) => [
      provider.apiKey,
      ...secretHeaderValues(provider.headers),
    ]),
  ];
  const traffic = options.recordTraffic === false ? undefined : new TrafficBus({ secrets });
  const app = createServer({
    settings,
    settingsPath,
    upstream:
      options.upstream ??
      clientForTarget(
        {
          baseUrl: settings.baseUrl,
          apiKey: upstreamApiKey,
          headers: options.loaded.upstreamHeaders,
          client: options.loaded.upstreamClient,
        },
        settings,
        options.loaded.upstreamProxy,
      ),
    chatDialect: options.loaded.chatDialect,
    routing: {
      model: settings.model,
      smallModel: settings.smallModel,
      routes: settings.routes,
      modelOverrides: settings.models,
      runOverrides: options.loaded.runOverrides,
    },
    upstreamKeyConfigured: !upstreamNeedsKey || upstreamApiKey !== undefined,
    logger,
    version: PARLEY_VERSION,
    publicUrl: () => url,
    inFlight,
    calibration,
    secrets,
    routeUpstreams: routeUpstreams(
      options.loaded.routeProviders,
      settings,
      options.loaded.upstreamProxy,
    ),
    ...(traffic ? { traffic } : {}),
  });
  const listening = await listen(app, settings.host, settings.port);
  url = `http://${urlHost(settings.host)}:${listening.port}`;
  return {
    host: settings.host,
    port: listening.port,
    url,
    traffic,
    calibration,
    close: (graceMs = settings.shutdownGraceMs) => {
      collector?.stop();
      return listening.close(graceMs, () => {
        inFlight.stopAll('Parley is shutting down; retry the request once it is back.');
      });
    },
  };
}

/** A host clients can connect to: a wildcard bind is reached through loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
