/**
 * The settings file: one plain JSON object in the desktop app's data folder, written atomically
 * with mode 0600 (it holds the proxy key). The desktop app writes the same file via electron-store.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const SETTINGS_FOLDER_NAME = 'Parley';
export const SETTINGS_FILE_NAME = 'settings.json';

/** Where Electron's `app.getPath('userData')` puts Parley's data, per platform. */
export function defaultSettingsPath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  let base: string;
  if (platform === 'darwin') base = join(home, 'Library', 'Application Support');
  else if (platform === 'win32') base = env['APPDATA'] ?? join(home, 'AppData', 'Roaming');
  else base = env['XDG_CONFIG_HOME'] || join(home, '.config');
  return join(base, SETTINGS_FOLDER_NAME, SETTINGS_FILE_NAME);
}

export class SettingsFileError extends Error {
  override readonly name = 'SettingsFileError';
}

/** Reads the file's JSON object; a missing file is an empty object. */
export async function readSettingsFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return {};
    throw new SettingsFileError(`cannot read settings file ${path}: ${describe(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SettingsFileError(`settings file ${path} is not valid JSON: ${describe(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SettingsFileError(`settings file ${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Writes via a temporary file and rename, so a crash never leaves half a file behind. */
export async function writeSettingsFile(
  path: string,
  contents: Record<string, unknown>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new SettingsFileError(`cannot write settings file ${path}: ${describe(error)}`);
  }
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
