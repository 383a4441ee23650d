/**
 * The one settings schema, shared by the desktop app and `parley serve` (DESIGN.md "Settings").
 * Every field is validated on its own so an error can name the field and where the bad value
 * came from (settings file, environment variable or flag).
 */
import { z } from 'zod';
import { REASONING_EFFORTS } from '../upstream/capabilities.ts';

export const UPSTREAM_APIS = ['responses', 'chat'] as const;
export type UpstreamApi = (typeof UPSTREAM_APIS)[number];

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const httpUrl = z.string().refine(
  (value) => {
    if (!URL.canParse(value)) return false;
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  },
  { message: 'must be an http:// or https:// URL' },
);

/**
 * A number, or a string that spells one (env and flags give strings). Not z.coerce: it turns "",
 * null and false into 0, and port 0 means "any free port", so `--port "$PORT"` with PORT unset
 * started Parley where no client looked.
 */
const numeric = z.preprocess(
  (value) =>
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : Number.NaN,
  z.number({ error: 'must be a number' }),
);
const wholeNumber = (min: number, max: number) =>
  numeric.pipe(
    z
      .number()
      .int('must be a whole number')
      .min(min, `must be between ${min} and ${max}`)
      .max(max, `must be between ${min} and ${max}`),
  );

const milliseconds = wholeNumber(1, 86_400_000);

/** Validators for each settings field; strings from env and flags are coerced where needed. */
export const settingsFields = {
  host: z.string().trim().min(1, 'must not be empty'),
  port: wholeNumber(0, 65535),
  upstreamApi: z.enum(UPSTREAM_APIS, { error: `must be one of: ${UPSTREAM_APIS.join(', ')}` }),
  baseUrl: httpUrl,
  model: z.string().trim().min(1, 'must not be empty'),
  smallModel: z.string().trim().min(1, 'must not be empty'),
  proxyKey: z.string().trim().min(8, 'must be at least 8 characters'),
  provider: z.string().trim().min(1, 'must not be empty'),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of: ${LOG_LEVELS.join(', ')}` }),
  requireAuth: z.boolean(),
  /** How long opening a connection to the upstream (TCP and TLS) may take. */
  upstreamConnectTimeoutMs: milliseconds,
  /** Until the upstream answers (the SDK's `timeout`): generous, reasoning models think for minutes. */
  upstreamTimeoutMs: milliseconds,
  /** Longest silence between two upstream stream events before the stream is ended. */
  upstreamIdleTimeoutMs: milliseconds,
  /** How many times the SDK retries a failed upstream call before any byte reached the client. */
  upstreamMaxRetries: wholeNumber(0, 10),
  /** A `ping` event after this much silence on a stream (reasoning can be silent for minutes). */
  pingIntervalMs: milliseconds,
  /** SIGINT/SIGTERM: how long in-flight streams may run on before they are ended. */
  shutdownGraceMs: wholeNumber(0, 600_000),
  /** Largest request body accepted; Claude Code requests with screenshots run to megabytes. */
  bodyLimitBytes: wholeNumber(1024, 1024 * 1024 * 1024),
  /** Extra names the Host header may carry besides loopback (e.g. a name in /etc/hosts). */
  allowedHosts: z.array(z.string().trim().min(1)),
  /** Ordered model routes: the first whose `match` (exact or glob) fits the client's name wins. */
  routes: z.array(
    z.object({
      match: z.string().trim().min(1),
      model: z.string().trim().min(1),
      reasoningEffort: z.enum(REASONING_EFFORTS).optional(),
      maxOutputTokens: z.number().int().min(1).optional(),
      sampling: z.enum(['keep', 'drop']).optional(),
      /** Send this route to another provider: a preset name or an entry of `providers`. */
      provider: z.string().trim().min(1).optional(),
    }),
  ),
  /**
   * Upstreams that routes name besides the run's own provider, each a preset with overrides.
   * Its key is read from `apiKeyEnv` (default NAME_API_KEY), never stored.
   */
  providers: z.record(
    z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes'),
    z.object({
      preset: z.string().trim().min(1).optional(),
      baseUrl: httpUrl.optional(),
      upstreamApi: z.enum(UPSTREAM_APIS).optional(),
      apiKeyEnv: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')
        .optional(),
      headers: z.record(z.string().min(1), z.string()).optional(),
    }),
  ),
  /**
   * Corrections of the capability table per upstream model (limits Parley does not know), and
   * its price in USD per million tokens for the cost estimate (a model the table lacks).
   */
  models: z.record(
    z.string().min(1),
    z.object({
      contextWindow: z.number().int().min(1).optional(),
      maxOutputTokens: z.number().int().min(1).optional(),
      reasoningEfforts: z.array(z.enum(REASONING_EFFORTS)).optional(),
      acceptsSampling: z.boolean().optional(),
      imageInput: z.boolean().optional(),
      price: z
        .object({
          inputPerMTok: z.number().min(0),
          cachedInputPerMTok: z.number().min(0).optional(),
          outputPerMTok: z.number().min(0),
        })
        .optional(),
    }),
  ),
  /** Azure OpenAI's `api-version` query parameter (provider azure only). */
  azureApiVersion: z.string().trim().min(1, 'must not be empty'),
  /** Extra headers on every upstream request (a gateway's own auth, attribution). */
  upstreamHeaders: z.record(z.string().min(1), z.string()),
} as const;

export type SettingsField = keyof typeof settingsFields;
export type Settings = { [K in SettingsField]: z.infer<(typeof settingsFields)[K]> };
/** A settings file may set any subset; proxyKey is absent until one is generated. */
export type SettingsLayer = Partial<Settings>;

export const settingsFileSchema = z.looseObject(
  Object.fromEntries(
    Object.entries(settingsFields).map(([name, schema]) => [name, schema.optional()]),
  ) as { [K in SettingsField]: z.ZodOptional<(typeof settingsFields)[K]> },
);

export const DEFAULT_PORT = 8419;

/** Defaults before any preset, file, env or flag. proxyKey has none: it is generated once. */
export const defaultSettings: Omit<Settings, 'proxyKey'> = {
  host: '127.0.0.1',
  port: DEFAULT_PORT,
  upstreamApi: 'responses',
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-5.1',
  smallModel: 'gpt-5-mini',
  provider: 'openai',
  logLevel: 'info',
  requireAuth: true,
  upstreamConnectTimeoutMs: 10_000,
  upstreamTimeoutMs: 600_000,
  upstreamIdleTimeoutMs: 300_000,
  upstreamMaxRetries: 2,
  pingIntervalMs: 10_000,
  shutdownGraceMs: 5_000,
  bodyLimitBytes: 32 * 1024 * 1024,
  allowedHosts: [],
  upstreamHeaders: {},
  routes: [],
  providers: {},
  models: {},
  // o-series and GPT-5 deployments answer 400 to versions before 2024-12-01-preview.
  azureApiVersion: '2025-04-01-preview',
};
