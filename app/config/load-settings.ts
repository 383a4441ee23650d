/**
 * Resolves the settings of one run: defaults < provider preset < settings file < env < flags.
 * Env and flags apply to this run only and are never written back; the one thing ever written
 * is a generated proxy key, into the file's own contents.
 */
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { nonEmpty } from './env-value.ts';
import { providerPreset, providerPresets, type ChatDialect } from './providers.ts';
import { readSettingsFile, writeSettingsFile, defaultSettingsPath } from './settings-file.ts';
import {
  defaultSettings,
  settingsFields,
  type Settings,
  type SettingsField,
  type SettingsLayer,
} from './settings-schema.ts';
import { isLoopbackHost } from './loopback.ts';
import { RouteProviderError, routeProviders, type RouteProvider } from './route-providers.ts';
import { upstreamProxyFromEnv, type UpstreamProxy } from '../upstream/network.ts';

/** Environment variables read for each setting (DESIGN.md CLI table). */
export const settingsEnvNames = {
  host: 'PARLEY_HOST',
  port: 'PARLEY_PORT',
  upstreamApi: 'PARLEY_UPSTREAM_API',
  baseUrl: 'OPENAI_BASE_URL',
  model: 'PARLEY_MODEL',
  smallModel: 'PARLEY_SMALL_MODEL',
  proxyKey: 'PARLEY_PROXY_KEY',
  provider: 'PARLEY_PROVIDER',
  logLevel: 'PARLEY_LOG_LEVEL',
} as const satisfies Partial<Record<SettingsField, string>>;

export const UPSTREAM_KEY_ENV = 'OPENAI_API_KEY';
export const CONFIG_PATH_ENV = 'PARLEY_CONFIG';

/** Raw values from the command line, before validation (strings as typed). */
export type FlagValues = Partial<Record<SettingsField, string | boolean>>;

export interface LoadSettingsInput {
  readonly flags?: FlagValues;
  readonly configPath?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

export interface LoadedSettings {
  readonly settings: Settings;
  readonly settingsPath: string;
  /** The upstream key, from OPENAI_API_KEY; undefined when it is missing. */
  readonly upstreamApiKey: string | undefined;
  /** Whether the provider needs OPENAI_API_KEY at all (keyless local servers do not). */
  readonly upstreamNeedsKey: boolean;
  readonly proxyKeyGenerated: boolean;
  /** How the provider's Chat Completions dialect differs from OpenAI's. */
  readonly chatDialect: ChatDialect;
  /** Models given by flags or environment: for this run only, they beat the routing rules. */
  readonly runOverrides: { readonly model?: string; readonly smallModel?: string };
  /** Which SDK client talks to the provider. */
  readonly upstreamClient: 'openai' | 'azure';
  /** Headers for every upstream request: the preset's, then the settings' own. */
  readonly upstreamHeaders: Readonly<Record<string, string>>;
  /** The other upstreams routing rules send to, with their keys. */
  readonly routeProviders: readonly RouteProvider[];
  /** HTTP(S)_PROXY and NO_PROXY of the environment, for upstream requests. */
  readonly upstreamProxy: UpstreamProxy | undefined;
  readonly warnings: readonly string[];
}

/** A bad setting: the message is the one line the CLI prints before exiting 2. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

type Source = { kind: 'file'; path: string } | { kind: 'env' } | { kind: 'flag' };

export async function loadSettings(input: LoadSettingsInput = {}): Promise<LoadedSettings> {
  const env = input.env ?? process.env;
  const settingsPath =
    input.configPath ?? nonEmpty(env[CONFIG_PATH_ENV]) ?? defaultSettingsPath(env);

  const fileContents = await readSettingsFile(settingsPath).catch((error: unknown) => {
    throw new SettingsError(error instanceof Error ? error.message : String(error));
  });
  const fileLayer = validateLayer(fileContents, { kind: 'file', path: settingsPath });
  const envLayer = validateLayer(readEnvLayer(env), { kind: 'env' });
  const flagLayer = validateLayer(input.flags ?? {}, { kind: 'flag' });

  const providerName =
    flagLayer.provider ?? envLayer.provider ?? fileLayer.provider ?? defaultSettings.provider;
  const preset = providerPreset(providerName);
  if (!preset) {
    throw new SettingsError(
      `unknown provider "${providerName}": known providers are ${Object.keys(providerPresets).join(', ')}`,
    );
  }

  const merged = {
    ...defaultSettings,
    ...preset.settings,
    ...fileLayer,
    ...envLayer,
    ...flagLayer,
  };
  const baseUrlGiven = [fileLayer, envLayer, flagLayer].some(
    (layer) => layer.baseUrl !== undefined,
  );
  if (preset.needsBaseUrl !== undefined && !baseUrlGiven) {
    throw new SettingsError(
      `provider "${providerName}" needs a base URL: set --base-url or OPENAI_BASE_URL to ${preset.needsBaseUrl}`,
    );
  }
  const warnings: string[] = [];

  if (!merged.requireAuth && !isLoopbackHost(merged.host)) {
    throw new SettingsError(
      `--no-auth is only allowed when bound to loopback; ${merged.host} is reachable from other machines`,
    );
  }
  if (!isLoopbackHost(merged.host)) {
    warnings.push(
      `binding ${merged.host}: Parley is reachable from other machines; every client needs the proxy key, and the names clients use for this machine go in allowedHosts`,
    );
  }

  let proxyKey = merged.proxyKey;
  let proxyKeyGenerated = false;
  if (proxyKey === undefined) {
    proxyKey = generateProxyKey();
    proxyKeyGenerated = true;
    await writeSettingsFile(settingsPath, { ...fileContents, proxyKey }).catch((error: unknown) => {
      throw new SettingsError(error instanceof Error ? error.message : String(error));
    });
  }

  const upstreamApiKey = nonEmpty(env[UPSTREAM_KEY_ENV]);
  if (preset.needsApiKey && upstreamApiKey === undefined) {
    warnings.push(
      `${UPSTREAM_KEY_ENV} is not set: requests will be answered with 401 until you set it and restart`,
    );
  }

  let routed;
  try {
    routed = routeProviders(merged, env);
  } catch (error) {
    if (error instanceof RouteProviderError) throw new SettingsError(error.message);
    throw error;
  }
  warnings.push(...routed.warnings);

  return {
    settings: { ...merged, proxyKey },
    routeProviders: routed.providers,
    upstreamProxy: upstreamProxyFromEnv(env),
    settingsPath,
    upstreamApiKey,
    upstreamNeedsKey: preset.needsApiKey,
    chatDialect: preset.chat,
    runOverrides: withoutUndefined({
      model: flagLayer.model ?? envLayer.model,
      smallModel: flagLayer.smallModel ?? envLayer.smallModel,
    }),
    upstreamClient: preset.client ?? 'openai',
    upstreamHeaders: { ...preset.headers, ...merged.upstreamHeaders },
    proxyKeyGenerated,
    warnings,
  };
}

/** 32 random bytes, URL-safe: fits a header and an env var without quoting. */
export function generateProxyKey(): string {
  return `parley-${randomBytes(32).toString('base64url')}`;
}

function readEnvLayer(env: NodeJS.ProcessEnv): Record<string, string> {
  const layer: Record<string, string> = {};
  for (const [field, name] of Object.entries(settingsEnvNames)) {
    const value = nonEmpty(env[name]);
    if (value !== undefined) layer[field] = value;
  }
  return layer;
}

function validateLayer(raw: Record<string, unknown>, source: Source): SettingsLayer {
  const layer: Record<string, unknown> = {};
  for (const [field, schema] of Object.entries(settingsFields) as [SettingsField, z.ZodType][]) {
    const value = raw[field];
    if (value === undefined) continue;
    const result = schema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      const reason = issue?.message ?? 'invalid value';
      // A key is never echoed, not even a malformed one; nor an object, which may hold headers
      // with credentials: the path inside it says where the fault is.
      const path = issue?.path.join('.') ?? '';
      const shown =
        field === 'proxyKey'
          ? 'the value'
          : typeof value === 'object' && value !== null
            ? path === ''
              ? 'the value'
              : `"${path}"`
            : JSON.stringify(value);
      throw new SettingsError(`invalid ${where(field, source)}: ${shown} ${reason}`);
    }
    layer[field] = result.data;
  }
  return layer;
}

function where(field: SettingsField, source: Source): string {
  switch (source.kind) {
    case 'flag':
      return `--${field.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    case 'env':
      return field in settingsEnvNames
        ? settingsEnvNames[field as keyof typeof settingsEnvNames]
        : field;
    case 'file':
      return `"${field}" in ${source.path}`;
  }
}

function withoutUndefined<T extends object>(
  value: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
