import type { Settings } from '../config/settings-schema.ts';

/** The two lines a user pastes into the shell that runs Claude Code (the tray copies the same). */
export function setupLines(
  url: string,
  settings: Pick<Settings, 'proxyKey' | 'requireAuth'>,
): string[] {
  // Claude Code wants some token even when Parley accepts any: give it an obvious placeholder.
  const token = settings.requireAuth ? settings.proxyKey : 'parley-no-auth';
  return [`export ANTHROPIC_BASE_URL=${url}`, `export ANTHROPIC_AUTH_TOKEN=${token}`];
}
