import { DEFAULT_PORT, defaultSettings } from '../config/settings-schema.ts';

export const HELP = `Usage: parley serve [options]

Runs Parley's proxy headless: Anthropic Messages API in front, OpenAI behind.
Point Claude Code at it with the two export lines it prints at start-up.

Options (each overrides its environment variable, which overrides the settings file):
  --host ADDRESS          bind address                      PARLEY_HOST (127.0.0.1)
  --port N                port, 0 picks a free one          PARLEY_PORT (${DEFAULT_PORT})
  --upstream-api API      responses | chat                  PARLEY_UPSTREAM_API (the provider's)
  --base-url URL          any OpenAI-compatible server      OPENAI_BASE_URL (the provider's)
  --model NAME            upstream model for claude-* but haiku  PARLEY_MODEL (${defaultSettings.model})
  --small-model NAME      upstream model for haiku          PARLEY_SMALL_MODEL (${defaultSettings.smallModel})
  --proxy-key KEY         key clients must send             PARLEY_PROXY_KEY (generated once, saved)
  --no-auth               accept clients without a key (loopback only)
  --no-record             keep no traffic for the inspector (no bodies in memory)
  --provider NAME         a provider preset                 PARLEY_PROVIDER (openai)
  --config FILE           settings file to use              PARLEY_CONFIG (the desktop app's)
  --log-level LEVEL       silent | error | warn | info | debug   PARLEY_LOG_LEVEL (info)
  -h, --help              show this help
  -v, --version           show the version

The upstream key is read from OPENAI_API_KEY only (never a flag, never saved by parley serve).
Flags and environment apply to this run only; they are never written to the settings file.
`;
