/**
 * `parley serve`: parse flags, resolve settings, start the proxy, print where it listens and the
 * client setup, and shut down gracefully on SIGINT/SIGTERM. Bad input is one line and exit 2.
 */
import { parseArgs } from 'node:util';
import { loadSettings, SettingsError, type FlagValues } from '../config/load-settings.ts';
import { createLogger } from '../log.ts';
import { ListenError } from '../server/listen.ts';
import { describeProxy } from '../upstream/network.ts';
import { startProxy } from '../index.ts';
import { PARLEY_VERSION } from '../version.ts';
import { HELP } from './help.ts';
import { setupLines } from './setup-lines.ts';

export const EXIT_USAGE = 2;

const options = {
  host: { type: 'string' },
  port: { type: 'string' },
  'upstream-api': { type: 'string' },
  'base-url': { type: 'string' },
  model: { type: 'string' },
  'small-model': { type: 'string' },
  'proxy-key': { type: 'string' },
  'no-auth': { type: 'boolean' },
  'no-record': { type: 'boolean' },
  provider: { type: 'string' },
  config: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  readonly stopSignal: () => Promise<string>;
}

const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  stopSignal: () =>
    new Promise((resolve) => {
      const stop = (signal: string): void => {
        resolve(signal);
        // A second signal means "now": do not wait for streams to finish.
        process.once(signal, () => process.exit(1));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }),
};

export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`parley: ${error instanceof Error ? error.message : String(error)} (see parley --help)`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.out(HELP);
    return 0;
  }
  if (values.version === true) {
    io.out(PARLEY_VERSION);
    return 0;
  }
  const [command, ...extra] = positionals;
  if (command !== 'serve' || extra.length > 0) {
    io.err(
      command === undefined
        ? 'parley: missing command; did you mean "parley serve"? (see parley --help)'
        : `parley: unknown command "${[command, ...extra].join(' ')}"; the command is "parley serve" (see parley --help)`,
    );
    return EXIT_USAGE;
  }

  const flags: { [K in keyof FlagValues]: FlagValues[K] | undefined } = {
    host: values.host,
    port: values.port,
    upstreamApi: values['upstream-api'],
    baseUrl: values['base-url'],
    model: values.model,
    smallModel: values['small-model'],
    proxyKey: values['proxy-key'],
    provider: values.provider,
    logLevel: values['log-level'],
    requireAuth: values['no-auth'] === true ? false : undefined,
  };
  // Listen for signals before anything starts, so one that arrives during start-up is honoured.
  const stopped = io.stopSignal();
  try {
    const loaded = await loadSettings({
      flags: withoutUndefined(flags),
      configPath: values.config,
      env: io.env,
    });
    const logger = createLogger(loaded.settings.logLevel, io.err);
    for (const warning of loaded.warnings) logger.warn(warning);
    if (loaded.proxyKeyGenerated)
      logger.info(`generated a proxy key and saved it in ${loaded.settingsPath}`);

    if (loaded.upstreamProxy)
      logger.info(`upstream requests go through ${describeProxy(loaded.upstreamProxy)}`);
    // Nothing kept for the inspector: the lowest overhead, and no request bodies in memory.
    const proxy = await startProxy({ loaded, logger, recordTraffic: values['no-record'] !== true });
    io.out(`listening on ${proxy.url}`);
    for (const line of setupLines(proxy.url, loaded.settings)) io.out(line);

    const signal = await stopped;
    logger.info(
      `${signal}: shutting down (in-flight requests get ${loaded.settings.shutdownGraceMs} ms)`,
    );
    await proxy.close();
    return 0;
  } catch (error) {
    if (error instanceof SettingsError || error instanceof ListenError) {
      io.err(`parley: ${error.message}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

function withoutUndefined(flags: {
  [K in keyof FlagValues]: FlagValues[K] | undefined;
}): FlagValues {
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
}
