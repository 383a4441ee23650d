/**
 * The upstreams that routing rules send to besides the run's own provider (a route's
 * `provider`): each is a preset, optionally adjusted by an entry of the `providers` setting.
 * Its key comes from its own environment variable (`apiKeyEnv`, by default NAME_API_KEY, e.g.
 * GROQ_API_KEY): like OPENAI_API_KEY, never from a file. A route naming an unknown provider, or
 * one without a base URL, stops the start with one clear line.
 */
import { nonEmpty } from './env-value.ts';
import { providerPreset, providerPresets, type ChatDialect } from './providers.ts';
import type { Settings, UpstreamApi } from './settings-schema.ts';

export interface RouteProvider {
  /** The name routes use. */
  readonly name: string;
  readonly baseUrl: string;
  readonly upstreamApi: UpstreamApi;
  readonly chatDialect: ChatDialect;
  readonly client: 'openai' | 'azure';
  readonly headers: Readonly<Record<string, string>>;
  /** The environment variable the key is read from. */
  readonly keyEnv: string;
  readonly apiKey: string | undefined;
  readonly needsApiKey: boolean;
}

export class RouteProviderError extends Error {
  override readonly name = 'RouteProviderError';
}

export function routeProviders(
  settings: Pick<Settings, 'routes' | 'providers'>,
  env: NodeJS.ProcessEnv,
): { providers: RouteProvider[]; warnings: string[] } {
  const names = [
    ...new Set(settings.routes.flatMap((route) => (route.provider ? [route.provider] : []))),
  ];
  const warnings: string[] = [];
  const providers = names.map((name) => {
    const entry = Object.hasOwn(settings.providers, name) ? settings.providers[name] : undefined;
    const presetName = entry?.preset ?? name;
    const preset = providerPreset(presetName);
    if (!preset) {
      throw new RouteProviderError(
        `a route names provider "${name}", which is neither a preset (${Object.keys(providerPresets).join(', ')}) nor an entry of "providers" in the settings`,
      );
    }
    const baseUrl = entry?.baseUrl ?? preset.settings.baseUrl;
    if (baseUrl === undefined) {
      throw new RouteProviderError(
        `provider "${name}" needs a base URL: set "providers": {"${name}": {"baseUrl": ...}} to ${preset.needsBaseUrl ?? 'its OpenAI-compatible base URL'}`,
      );
    }
    const keyEnv = entry?.apiKeyEnv ?? `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY`;
    const apiKey = nonEmpty(env[keyEnv]);
    if (preset.needsApiKey && apiKey === undefined) {
      warnings.push(
        `${keyEnv} is not set: requests routed to provider "${name}" will be answered with 401 until you set it and restart`,
      );
    }
    return {
      name,
      baseUrl,
      upstreamApi: entry?.upstreamApi ?? preset.settings.upstreamApi ?? 'chat',
      chatDialect: preset.chat,
      client: preset.client ?? 'openai',
      headers: { ...preset.headers, ...entry?.headers },
      keyEnv,
      apiKey,
      needsApiKey: preset.needsApiKey,
    };
  });
  return { providers, warnings };
}
