/**
 * Provider presets: plain data. A preset fills in base URL, upstream API and whether a key is
 * needed; anything set in the settings file, the environment or a flag overrides it.
 */
import type { SettingsLayer } from './settings-schema.ts';

export interface ProviderPreset {
  readonly label: string;
  readonly settings: SettingsLayer;
  /** Whether the upstream needs OPENAI_API_KEY; keyless servers get a placeholder. */
  readonly needsApiKey: boolean;
}

export const providerPresets: Readonly<Record<string, ProviderPreset>> = {
  openai: {
    label: 'OpenAI',
    settings: { baseUrl: 'https://api.openai.com/v1', upstreamApi: 'responses' },
    needsApiKey: true,
  },
};

export function providerPreset(name: string): ProviderPreset | undefined {
  return Object.hasOwn(providerPresets, name) ? providerPresets[name] : undefined;
}
