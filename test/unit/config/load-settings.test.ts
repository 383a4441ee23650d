import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../../app/config/load-settings.ts';
import { defaultSettingsPath } from '../../../app/config/settings-file.ts';
import { useTempDirs } from '../../support/temp-dir.ts';

const tempDir = useTempDirs();

async function settingsFile(contents: unknown): Promise<string> {
  const path = join(await tempDir(), 'settings.json');
  await writeFile(path, typeof contents === 'string' ? contents : JSON.stringify(contents));
  return path;
}

describe('loadSettings precedence: preset < file < env < flags', () => {
  it('uses defaults and the openai preset when nothing is set', async () => {
    const configPath = join(await tempDir(), 'settings.json');
    const { settings } = await loadSettings({ configPath, env: {} });
    expect(settings).toMatchObject({
      host: '127.0.0.1',
      port: 8419,
      upstreamApi: 'responses',
      baseUrl: 'https://api.openai.com/v1',
      provider: 'openai',
      logLevel: 'info',
      requireAuth: true,
    });
  });

  it('lets the file override the preset, env the file, and flags the env', async () => {
    const configPath = await settingsFile({
      port: 9000,
      baseUrl: 'http://127.0.0.1:11434/v1',
      model: 'file-model',
      smallModel: 'file-small',
      proxyKey: 'file-proxy-key',
    });
    const env = {
      PARLEY_PORT: '9001',
      PARLEY_MODEL: 'env-model',
      PARLEY_PROXY_KEY: 'env-proxy-key',
    };
    const { settings } = await loadSettings({
      configPath,
      env,
      flags: { port: '9002' },
    });
    expect(settings.port).toBe(9002);
    expect(settings.model).toBe('env-model');
    expect(settings.smallModel).toBe('file-small');
    expect(settings.baseUrl).toBe('http://127.0.0.1:11434/v1');
    expect(settings.proxyKey).toBe('env-proxy-key');
  });

  it('never writes env or flags back to the file', async () => {
    const configPath = await settingsFile({ model: 'file-model', proxyKey: 'file-proxy-key' });
    const before = await readFile(configPath, 'utf8');
    await loadSettings({
      configPath,
      env: { PARLEY_MODEL: 'env-model' },
      flags: { port: '0', proxyKey: 'flag-proxy-key' },
    });
    expect(await readFile(configPath, 'utf8')).toBe(before);
  });

  it('reads PARLEY_CONFIG when no --config is given, and ignores empty variables', async () => {
    const configPath = await settingsFile({ port: 7000, proxyKey: 'file-proxy-key' });
    const { settings, settingsPath } = await loadSettings({
      env: { PARLEY_CONFIG: configPath, PARLEY_PORT: '' },
    });
    expect(settingsPath).toBe(configPath);
    expect(settings.port).toBe(7000);
  });
});

describe('the proxy key', () => {
  it('is generated once, saved with mode 0600, and reused on the next start', async () => {
    const configPath = join(await tempDir(), 'nested', 'settings.json');
    const first = await loadSettings({ configPath, env: {} });
    expect(first.proxyKeyGenerated).toBe(true);
    expect(first.settings.proxyKey).toMatch(/^parley-[A-Za-z0-9_-]{43}$/);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(configPath, 'utf8'))).toEqual({
      proxyKey: first.settings.proxyKey,
    });

    const second = await loadSettings({ configPath, env: {} });
    expect(second.proxyKeyGenerated).toBe(false);
    expect(second.settings.proxyKey).toBe(first.settings.proxyKey);
  });

  it('keeps the other contents of the file when it saves the key', async () => {
    const configPath = await settingsFile({ model: 'mine', somethingNewer: { kept: true } });
    await loadSettings({ configPath, env: {} });
    const saved: unknown = JSON.parse(await readFile(configPath, 'utf8'));
    expect(saved).toMatchObject({ model: 'mine', somethingNewer: { kept: true } });
  });

  it('is not generated when env or a flag provides one', async () => {
    const configPath = join(await tempDir(), 'settings.json');
    const loaded = await loadSettings({
      configPath,
      env: { PARLEY_PROXY_KEY: 'from-the-env-123' },
    });
    expect(loaded.proxyKeyGenerated).toBe(false);
    await expect(stat(configPath)).rejects.toThrow(/ENOENT/);
  });

  it('differs between two installations', async () => {
    const a = await loadSettings({ configPath: join(await tempDir(), 's.json'), env: {} });
    const b = await loadSettings({ configPath: join(await tempDir(), 's.json'), env: {} });
    expect(a.settings.proxyKey).not.toBe(b.settings.proxyKey);
  });
});

describe('invalid values are one clear line naming the source', () => {
  const cases: [string, Parameters<typeof loadSettings>[0], RegExp][] = [
    ['a bad port flag', { flags: { port: 'abc' } }, /^invalid --port: "abc" must be a number$/],
    [
      'a port out of range',
      { flags: { port: '70000' } },
      /^invalid --port: "70000" must be between 0 and 65535$/,
    ],
    [
      'a blank port (PORT unset in `--port "$PORT"`), not port 0',
      { flags: { port: '' } },
      /^invalid --port: "" must be a number$/,
    ],
    [
      'an unknown upstream API',
      { env: { PARLEY_UPSTREAM_API: 'completions' } },
      /^invalid PARLEY_UPSTREAM_API: "completions" must be one of: responses, chat$/,
    ],
    [
      'a malformed base URL',
      { flags: { baseUrl: 'localhost:11434' } },
      /^invalid --base-url: "localhost:11434" must be an http:\/\/ or https:\/\/ URL$/,
    ],
    [
      'an unknown log level',
      { flags: { logLevel: 'loud' } },
      /^invalid --log-level: "loud" must be one of/,
    ],
    [
      'an unknown provider',
      { flags: { provider: 'nope' } },
      /^unknown provider "nope": known providers are openai/,
    ],
    [
      '--no-auth off loopback',
      { flags: { requireAuth: false, host: '0.0.0.0' } },
      /^--no-auth is only allowed when bound to loopback/,
    ],
  ];
  for (const [name, input, message] of cases) {
    it(`rejects ${name}`, async () => {
      const configPath = join(await tempDir(), 'settings.json');
      const failure = await loadSettings({ env: {}, ...input, configPath }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(SettingsError);
      expect((failure as Error).message).toMatch(message);
      expect((failure as Error).message).not.toContain('\n');
    });
  }

  it('names the file and field for a bad value in the settings file', async () => {
    const configPath = await settingsFile({ port: 'eighty' });
    await expect(loadSettings({ configPath, env: {} })).rejects.toThrow(
      `invalid "port" in ${configPath}: "eighty" must be a number`,
    );
  });

  it('takes null in the settings file for no number either', async () => {
    const configPath = await settingsFile({ port: null, shutdownGraceMs: 5 });
    await expect(loadSettings({ configPath, env: {} })).rejects.toThrow(
      `invalid "port" in ${configPath}: null must be a number`,
    );
  });

  it('never echoes the headers of a bad header setting, only where the fault is', async () => {
    const configPath = await settingsFile({
      upstreamHeaders: { Authorization: 'Bearer sk-gateway-0123456789', 'X-Retries': 3 },
    });
    const failure = await loadSettings({ configPath, env: {} }).catch((error: unknown) => error);
    expect((failure as Error).message).toMatch(/^invalid "upstreamHeaders" in .*: "X-Retries" /);
    expect((failure as Error).message).not.toContain('sk-gateway');
  });

  it('says so when the settings file is not JSON', async () => {
    const configPath = await settingsFile('{ port: 1');
    await expect(loadSettings({ configPath, env: {} })).rejects.toThrow(
      new RegExp(`^settings file ${configPath} is not valid JSON`),
    );
  });

  it('never echoes a proxy key, even a malformed one', async () => {
    const failure = await loadSettings({
      configPath: join(await tempDir(), 's.json'),
      env: {},
      flags: { proxyKey: 'short' },
    }).catch((error: unknown) => error);
    expect((failure as Error).message).toBe(
      'invalid --proxy-key: the value must be at least 8 characters',
    );
  });
});

describe('warnings', () => {
  it('warns when OPENAI_API_KEY is missing and reports the key absent', async () => {
    const loaded = await loadSettings({ configPath: join(await tempDir(), 's.json'), env: {} });
    expect(loaded.upstreamApiKey).toBeUndefined();
    expect(loaded.upstreamNeedsKey).toBe(true);
    expect(loaded.warnings.join('\n')).toContain('OPENAI_API_KEY is not set');
  });

  it('warns about a non-loopback bind', async () => {
    const loaded = await loadSettings({
      configPath: join(await tempDir(), 's.json'),
      env: { OPENAI_API_KEY: 'test-key-upstream' },
      flags: { host: '0.0.0.0' },
    });
    expect(loaded.upstreamApiKey).toBe('test-key-upstream');
    expect(loaded.warnings).toEqual([expect.stringContaining('reachable from other machines')]);
  });
});

describe('defaultSettingsPath', () => {
  it('follows Electron userData on each platform', () => {
    expect(defaultSettingsPath({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/u')).toBe(
      '/x/Parley/settings.json',
    );
    expect(defaultSettingsPath({}, 'linux', '/home/u')).toBe(
      '/home/u/.config/Parley/settings.json',
    );
    expect(defaultSettingsPath({}, 'darwin', '/Users/u')).toBe(
      '/Users/u/Library/Application Support/Parley/settings.json',
    );
    expect(defaultSettingsPath({ APPDATA: 'C:\\AppData' }, 'win32', 'C:\\u')).toContain('Parley');
  });
});

describe('presets that need a base URL', () => {
  it.each(['azure', 'custom'])('refuses %s without one, saying what to set', async (provider) => {
    const configPath = join(await tempDir(), 'settings.json');
    await expect(loadSettings({ configPath, env: {}, flags: { provider } })).rejects.toThrow(
      new RegExp(`^provider "${provider}" needs a base URL: set --base-url or OPENAI_BASE_URL to `),
    );
  });

  it('takes the base URL from the environment too', async () => {
    const configPath = join(await tempDir(), 'settings.json');
    const loaded = await loadSettings({
      configPath,
      env: { OPENAI_BASE_URL: 'https://x.openai.azure.com', PARLEY_PROVIDER: 'azure' },
    });
    expect(loaded).toMatchObject({
      upstreamClient: 'azure',
      settings: { upstreamApi: 'chat', azureApiVersion: '2025-04-01-preview' },
    });
  });
});

describe('routes and run overrides', () => {
  it('reads ordered routes from the file and keeps flag and env models as this run’s overrides', async () => {
    const configPath = await settingsFile({
      routes: [{ match: 'claude-opus-*', model: 'gpt-5.1-codex' }],
      proxyKey: 'file-proxy-key',
    });
    const loaded = await loadSettings({
      configPath,
      env: { PARLEY_SMALL_MODEL: 'gpt-4o-mini' },
      flags: { model: 'o3' },
    });
    expect(loaded.settings.routes).toEqual([{ match: 'claude-opus-*', model: 'gpt-5.1-codex' }]);
    expect(loaded.runOverrides).toEqual({ model: 'o3', smallModel: 'gpt-4o-mini' });
  });

  it('names a malformed route', async () => {
    const configPath = await settingsFile({ routes: [{ match: 'claude-*' }] });
    await expect(loadSettings({ configPath, env: {} })).rejects.toThrow(
      /^invalid "routes" in .*settings\.json: /,
    );
  });
});
