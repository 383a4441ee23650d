/**
 * The keys never leak (DESIGN.md "Traffic events", "Rules of the house"): the upstream key
 * appears nowhere; the proxy key only in the start-up setup line and in the settings file (mode
 * 0600). One realistic session runs twice — against a real `parley serve` child (debug logging)
 * and against an in-process proxy recording traffic — each in front of its own mock upstream.
 * Then every artefact the session left is searched for every key it used, raw, base64 (at each
 * alignment, so a key inside a longer base64 text is found) and URL-encoded: what each client
 * saw (status line, headers, body), every traffic event, every log line, stdout and the settings
 * file. Each artefact × scenario is its own case, so a failure names where the leak is.
 *
 * The upstream legitimately receives the key and the request bodies; only Parley's own
 * artefacts are checked.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, startProxy, type ProxyHandle, type TrafficEvent } from '../../app/index.ts';
import { runCliProcess, type CliRun } from '../support/cli-process.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-openai/mock-upstream.ts';
import type { ScriptedTurn } from '../support/mock-openai/script.ts';
import { capturingLogger } from '../support/test-proxy.ts';

// Distinctive keys, fresh per run, so a hit can only come from this run.
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const IN_PROCESS_PROXY_KEY = `parley-PROXY-${hex(16)}`;
const IN_PROCESS_UPSTREAM_KEY = `sk-test-UPSTREAM-${hex(16)}`;
const SERVE_UPSTREAM_KEY = `sk-test-UPSTREAM-${hex(16)}`;
// `parley serve` generates its proxy key on the first run and saves it: that is the file checked.

// ---------------------------------------------------------------------------------------------
// Finding a key in a text

interface SecretForm {
  readonly name: string;
  readonly text: string;
  /** Raw and URL-encoded forms are matched ignoring case; base64 must match exactly. */
  readonly caseless: boolean;
}

/** The key raw, URL-encoded, and base64/base64url at all three byte alignments. */
function formsOf(name: string, key: string): SecretForm[] {
  const forms: SecretForm[] = [
    { name: `${name} (raw)`, text: key, caseless: true },
    { name: `${name} (URL-encoded)`, text: encodeURIComponent(key), caseless: true },
  ];
  for (const offset of [0, 1, 2]) {
    const keyBytes = Buffer.from(key, 'utf8');
    const bytes = Buffer.concat([Buffer.alloc(offset), keyBytes]);
    // Only the characters made of key bits alone, whatever came before or after the key.
    const start = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + keyBytes.length)) / 6);
    for (const encoding of ['base64', 'base64url'] as const) {
      forms.push({
        name: `${name} (${encoding})`,
        text: bytes.toString(encoding).slice(start, end),
        caseless: false,
      });
    }
  }
  return forms.filter(
    (form, index) => forms.findIndex((other) => other.text === form.text) === index,
  );
}

interface Piece {
  /** Where in the artefact, e.g. "response 2 (HTTP 401)". */
  readonly where: string;
  readonly text: string;
}

/** Every (piece, key form) found, with the text around it and the key itself masked. */
function findLeaks(pieces: readonly Piece[], secrets: readonly SecretForm[]): string[] {
  const found: string[] = [];
  for (const { where, text } of pieces) {
    for (const form of secrets) {
      const haystack = form.caseless ? text.toLowerCase() : text;
      const needle = form.caseless ? form.text.toLowerCase() : form.text;
      const at = haystack.indexOf(needle);
      if (at < 0) continue;
      const before = text.slice(Math.max(0, at - 80), at);
      const after = text.slice(at + needle.length, at + needle.length + 40);
      found.push(`${where}: ${form.name} in …${before}<KEY>${after}…`);
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Targets and scenarios

interface Target {
  readonly name: TargetName;
  readonly url: string;
  readonly proxyKey: string;
  readonly upstreamKey: string;
  readonly mock: MockUpstream;
  /** Everything logged so far (the in-process logger's lines, or the child's stderr). */
  readonly logText: () => string;
}

type TargetName = 'in-process' | 'parley serve';
const TARGET_NAMES: readonly TargetName[] = ['in-process', 'parley serve'];

interface ScenarioIo {
  readonly target: Target;
  /** An official SDK client whose responses are recorded. */
  readonly sdk: (auth: {
    apiKey?: string;
    authToken?: string;
    headers?: Record<string, string>;
  }) => Anthropic;
  /** A plain fetch to the proxy whose response is recorded. */
  readonly send: (path: string, init?: RequestInit) => Promise<Response>;
}

interface Scenario {
  readonly name: string;
  /** The statuses the client gets, in order: proof that the scenario did what it says. */
  readonly statuses?: readonly number[];
  /** The model itself repeats the keys, so the client legitimately sees them. */
  readonly modelEchoesKeys?: boolean;
  run(io: ScenarioIo): Promise<void>;
}

const MODEL = 'claude-opus-4-8';
const textTurn: ScriptedTurn = { output: [{ type: 'text', text: 'All done here.' }] };
const toolTurn: ScriptedTurn = {
  output: [
    { type: 'text', text: 'Running it.' },
    { type: 'tool_call', name: 'Bash', arguments: '{"command":"npm test"}', callId: 'call_1' },
  ],
};
const tools: Anthropic.Tool[] = [
  {
    name: 'Bash',
    description: 'Runs a shell command',
    input_schema: {
      type: 'object',
      properties: { command: { type: 'string' } },
      required: ['command'],
    },
  },
];

const ask = (content: string): Anthropic.MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: 200,
  messages: [{ role: 'user', content }],
});

/** A conversation that holds both keys as text: in the system prompt, user text, tool I/O. */
const withKeys = ({
  proxyKey,
  upstreamKey,
}: Target): Anthropic.MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: 200,
  system: `Deploy with ANTHROPIC_AUTH_TOKEN=${proxyKey}`,
  tools,
  messages: [
    { role: 'user', content: `My OpenAI key is ${upstreamKey}; why is it refused?` },
    {
      role: 'assistant',
      content: [
        {
          type: 'tool_use',
          id: 'toolu_01',
          name: 'Bash',
          input: { command: `curl -H "Authorization: Bearer ${upstreamKey}" https://example.test` },
        },
      ],
    },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_01',
          content: `401 Incorrect API key provided: ${upstreamKey} (x-api-key was ${proxyKey})`,
        },
      ],
    },
  ],
});

const openAiError = (message: string, type: string, code: string | null) => ({
  error: { message, type, param: null, code },
});
const incorrectKey = (key: string) =>
  openAiError(
    `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    'invalid_request_error',
    'invalid_api_key',
  );

/** The SDK throws on error statuses and error events; the recorded status says which happened. */
async function settle(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof Anthropic.APIError)) throw error;
  }
}

const scenarios: readonly Scenario[] = [
  {
    name: 'a text answer, key as x-api-key',
    statuses: [200],
    run: async ({ target, sdk }) => {
      target.mock.enqueue(textTurn);
      await sdk({ apiKey: target.proxyKey }).messages.create(ask('hello'));
    },
  },
  {
    name: 'a streamed text answer, key as Authorization: Bearer',
    statuses: [200],
    run: async ({ target, sdk }) => {
      target.mock.enqueue(textTurn);
      await sdk({ authToken: target.proxyKey }).messages.stream(ask('hello')).finalMessage();
    },
  },
  {
    name: 'a tool call',
    statuses: [200],
    run: async ({ target, sdk }) => {
      target.mock.enqueue(toolTurn);
      await sdk({ authToken: target.proxyKey }).messages.create({ ...ask('test it'), tools });
    },
  },
  {
    name: 'a streamed tool call',
    statuses: [200],
    run: async ({ target, sdk }) => {
      target.mock.enqueue(toolTurn);
      await sdk({ apiKey: target.proxyKey })
        .messages.stream({ ...ask('test it'), tools })
        .finalMessage();
    },
  },
  {
    name: 'both keys as conversation text',
    statuses: [200],
    run: async ({ target, sdk }) => {
      target.mock.enqueue(textTurn);
      await sdk({ authToken: target.proxyKey }).messages.create(withKeys(target));
    },
  },
  {
    name: 'both keys as conversation text, streamed',
    statuses: [200],
    run: async ({ target, sdk }) => {
      target.mock.enqueue(textTurn);
      await sdk({ authToken: target.proxyKey }).messages.stream(withKeys(target)).finalMessage();
    },
  },
  {
    name: 'the model repeats both keys in a streamed tool call',
    statuses: [200],
    modelEchoesKeys: true,
    run: async ({ target, sdk }) => {
      const command = `curl -H "Authorization: Bearer ${target.upstreamKey}" -H "x-api-key: ${target.proxyKey}"`;
      target.mock.enqueue({
        output: [{ type: 'tool_call', name: 'Bash', arguments: JSON.stringify({ command }) }],
      });
      await sdk({ authToken: target.proxyKey })
        .messages.stream({ ...withKeys(target), tools })
        .finalMessage();
    },
  },
  {
    // Arguments that are not JSON: whatever quotes them (a parse error, a warning) quotes keys.
    name: 'the model repeats both keys in broken tool-call arguments, streamed and not',
    // Parley will not invent an input: a 500 without streaming, an error event with it.
    statuses: [500, 200],
    modelEchoesKeys: true,
    run: async ({ target, sdk }) => {
      const broken = `{"command": curl -H "Authorization: Bearer ${target.upstreamKey}" ${target.proxyKey}`;
      const turn: ScriptedTurn = {
        output: [{ type: 'tool_call', name: 'Bash', arguments: broken }],
      };
      target.mock.enqueue(turn, turn);
      const client = sdk({ authToken: target.proxyKey });
      await settle(client.messages.create({ ...withKeys(target), tools }));
      await settle(client.messages.stream({ ...withKeys(target), tools }).finalMessage());
    },
  },
  {
    name: 'the keys in custom headers named like secrets',
    statuses: [200, 200],
    run: async ({ target, sdk }) => {
      target.mock.enqueue(textTurn, textTurn);
      const basic = Buffer.from(`parley:${target.proxyKey}`).toString('base64');
      const client = sdk({
        authToken: target.proxyKey,
        headers: {
          'x-my-secret-token': target.proxyKey,
          'x-openai-key': target.upstreamKey,
          'x-gateway-auth': `Basic ${basic}`,
          'x-session-id': target.upstreamKey,
          cookie: `parley_session=${target.proxyKey}`,
        },
      });
      await client.messages.create(ask('hello'));
      await client.messages.stream(ask('hello')).finalMessage();
    },
  },
  {
    name: 'the upstream key pasted as the proxy key',
    statuses: [401, 401],
    run: async ({ target, sdk }) => {
      await settle(sdk({ authToken: target.upstreamKey }).messages.create(ask('hello')));
      await settle(
        sdk({ apiKey: target.upstreamKey }).messages.stream(ask('hello')).finalMessage(),
      );
    },
  },
  {
    name: 'wrong keys that contain the real ones',
    statuses: [401, 401],
    run: async ({ target, sdk }) => {
      const pasted = `${target.upstreamKey}${target.proxyKey}`;
      await settle(sdk({ apiKey: pasted }).messages.create(ask('hello')));
      await settle(
        sdk({ authToken: `${target.proxyKey}-old` })
          .messages.stream(ask('hello'))
          .finalMessage(),
      );
    },
  },
  {
    name: 'an upstream 401 that echoes the upstream key',
    statuses: [401, 401],
    run: async ({ target, sdk }) => {
      const turn: ScriptedTurn = {
        fault: { kind: 'http-error', status: 401, body: incorrectKey(target.upstreamKey) },
      };
      target.mock.enqueue(turn, turn);
      const client = sdk({ authToken: target.proxyKey });
      await settle(client.messages.create(ask('hello')));
      await settle(client.messages.stream(ask('hello')).finalMessage());
    },
  },
  {
    name: 'an upstream 429',
    statuses: [429, 429],
    run: async ({ target, sdk }) => {
      const turn: ScriptedTurn = {
        fault: {
          kind: 'http-error',
          status: 429,
          headers: { 'retry-after': '3' },
          body: openAiError(
            'Rate limit reached for gpt-5.1 in organization org-test on tokens per min (TPM): Limit 30000, Used 30000, Requested 1200. Please try again in 2.4s.',
            'tokens',
            'rate_limit_exceeded',
          ),
        },
      };
      target.mock.enqueue(turn, turn);
      const client = sdk({ apiKey: target.proxyKey });
      await settle(client.messages.create(ask('hello')));
      await settle(client.messages.stream(ask('hello')).finalMessage());
    },
  },
  {
    name: 'an upstream 500 whose raw details and headers hold the upstream key',
    statuses: [500, 500],
    run: async ({ target, sdk }) => {
      // As gateways do (OpenRouter's metadata.raw): the provider's own error, verbatim.
      const turn: ScriptedTurn = {
        fault: {
          kind: 'http-error',
          status: 500,
          headers: { 'x-debug-authorization': `Bearer ${target.upstreamKey}` },
          body: {
            error: {
              ...openAiError(
                'The server had an error while processing your request.',
                'server_error',
                null,
              ).error,
              metadata: { raw: `{"detail":"invalid bearer ${target.upstreamKey}"}` },
            },
          },
        },
      };
      target.mock.enqueue(turn, turn);
      const client = sdk({ authToken: target.proxyKey });
      await settle(client.messages.create(ask('hello')));
      await settle(client.messages.stream(ask('hello')).finalMessage());
    },
  },
  {
    name: 'a mid-stream upstream error that echoes the upstream key',
    statuses: [200],
    run: async ({ target, sdk }) => {
      target.mock.enqueue({
        output: [{ type: 'text', text: 'Starting the answer and then failing.' }],
        fault: {
          kind: 'error-event',
          afterEvents: 4,
          error: {
            type: 'invalid_request_error',
            code: 'invalid_api_key',
            message: `Incorrect API key provided: ${target.upstreamKey}.`,
          },
        },
      });
      await settle(
        sdk({ authToken: target.proxyKey }).messages.stream(ask('hello')).finalMessage(),
      );
    },
  },
  {
    name: 'count_tokens with both keys as text',
    statuses: [200],
    run: async ({ target, sdk }) => {
      const { model, system, tools: declared, messages } = withKeys(target);
      await sdk({ apiKey: target.proxyKey }).messages.countTokens({
        model,
        messages,
        ...(system === undefined ? {} : { system }),
        ...(declared === undefined ? {} : { tools: declared }),
      });
    },
  },
  {
    name: 'the model list, first refused upstream with the key echoed',
    statuses: [401, 200, 200],
    run: async ({ target, sdk }) => {
      const client = sdk({ authToken: target.proxyKey });
      target.mock.setModels({ status: 401, body: incorrectKey(target.upstreamKey) });
      await settle(client.models.list());
      target.mock.setModels(['gpt-5.1', 'gpt-5-mini']);
      await client.models.list();
      await client.models.retrieve(MODEL);
    },
  },
  {
    name: '/health and HEAD / (no key needed)',
    statuses: [200, 200],
    run: async ({ send }) => {
      await send('/health');
      await send('/', { method: 'HEAD' });
    },
  },
  {
    name: 'unknown routes carrying the keys',
    statuses: [404, 404],
    run: async ({ target, send }) => {
      await send('/v1/complete', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': target.proxyKey },
        body: JSON.stringify({ prompt: `key ${target.upstreamKey}` }),
      });
      await send('/v1/v1/messages', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${target.proxyKey}`,
        },
        body: JSON.stringify(withKeys(target)),
      });
    },
  },
  {
    name: 'a malformed JSON body holding both keys',
    statuses: [400],
    run: async ({ target, send }) => {
      // JSON.parse's own message quotes the text near the error: here, the start of a key.
      await send('/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': target.proxyKey },
        body: `{"model":"${MODEL}","messages": ${target.upstreamKey} ${target.proxyKey}}`,
      });
    },
  },
  {
    name: 'an invalid request holding both keys',
    statuses: [400],
    run: async ({ target, send }) => {
      const { max_tokens: _dropped, ...withoutMaxTokens } = withKeys(target);
      await send('/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${target.proxyKey}` },
        body: JSON.stringify({ ...withoutMaxTokens, stream: true }),
      });
    },
  },
  {
    // DESIGN.md: a browser hands the key over once as /inspector/?key=KEY. No status is pinned:
    // it is a 401 until the inspector lands, then its own answer (whose cookie must not be the key).
    name: 'the inspector key hand-off in the URL',
    run: async ({ target, send }) => {
      await send(`/inspector/?key=${encodeURIComponent(target.proxyKey)}`);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// The session

interface ScenarioRecord {
  /** Each response as the client saw it: status line, headers, body. */
  readonly responses: { readonly status: number; readonly text: string }[];
  readonly requestIds: Set<string>;
  /** What was logged while the scenario ran. */
  log: string;
}

interface TargetRun {
  readonly target: Target;
  readonly records: Map<string, ScenarioRecord>;
  /** Offsets in the log of the first and after the last scenario (the rest is start/stop). */
  readonly logSpan: { readonly start: number; readonly end: number };
}

interface Session {
  readonly secrets: readonly SecretForm[];
  readonly serveProxyKey: string;
  readonly inProcess: TargetRun & {
    readonly published: readonly TrafficEvent[];
    readonly stored: readonly TrafficEvent[];
    readonly logLines: readonly string[];
  };
  readonly serve: TargetRun & {
    readonly stdout: string;
    readonly stderr: string;
    readonly exit: number | string;
    readonly settingsText: string;
    readonly settingsMode: number;
  };
}

const REQUEST_LOG_LINE = /^info: [A-Z]+ \/\S* /gm;
const countRequestLines = (log: string): number => log.match(REQUEST_LOG_LINE)?.length ?? 0;

async function waitFor(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function describeResponse(response: Response, body: string): string {
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
  return `HTTP ${response.status} ${response.statusText}\n${headers}\n\n${body}`;
}

/** Runs every scenario in turn, recording responses and the log each one produced. */
async function runScenarios(target: Target): Promise<TargetRun> {
  const records = new Map<string, ScenarioRecord>();
  const start = target.logText().length;
  let requests = 0;
  for (const scenario of scenarios) {
    const record: ScenarioRecord = { responses: [], requestIds: new Set(), log: '' };
    const reading: Promise<void>[] = [];
    const recordingFetch = async (
      input: string | URL | Request,
      init?: RequestInit,
    ): Promise<Response> => {
      const response = await fetch(input, init);
      const slot = record.responses.length;
      record.responses.push({ status: response.status, text: '' });
      const id = response.headers.get('request-id');
      if (id !== null) record.requestIds.add(id);
      // A tee: the caller reads its copy, the record the other, to the end.
      reading.push(
        response
          .clone()
          .text()
          .then((body) => {
            record.responses[slot] = {
              status: response.status,
              text: describeResponse(response, body),
            };
          }),
      );
      return response;
    };
    const logFrom = target.logText().length;
    await scenario.run({
      target,
      sdk: ({ apiKey, authToken, headers }) =>
        new Anthropic({
          baseURL: target.url,
          apiKey: apiKey ?? null,
          authToken: authToken ?? null,
          maxRetries: 0,
          timeout: 5_000,
          fetch: recordingFetch,
          ...(headers === undefined ? {} : { defaultHeaders: headers }),
        }),
      send: (path, init) => recordingFetch(`${target.url}${path}`, init),
    });
    await Promise.all(reading);
    // The request log line is written when a response ends: wait for this scenario's lines.
    requests += record.responses.length;
    await waitFor(
      () => countRequestLines(target.logText()) >= requests,
      `${target.name}: the request log lines of "${scenario.name}"`,
    );
    record.log = target.logText().slice(logFrom);
    records.set(scenario.name, record);
  }
  return { target, records, logSpan: { start, end: target.logText().length } };
}

const cleanups: (() => Promise<unknown>)[] = [];
let current: Session | undefined;

function session(): Session {
  if (!current) throw new Error('the session did not run (see the beforeAll error)');
  return current;
}

// Not test/support's useTestProxies/useTempDirs: they clean up after each test, and this one
// session serves every case below.
async function runInProcess(): Promise<Session['inProcess']> {
  const mock = await startMockUpstream();
  cleanups.push(() => mock.close());
  const dir = await mkdtemp(join(tmpdir(), 'parley-secrets-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const settingsPath = join(dir, 'settings.json');
  await writeFile(
    settingsPath,
    JSON.stringify({
      port: 0,
      proxyKey: IN_PROCESS_PROXY_KEY,
      baseUrl: mock.url,
      upstreamMaxRetries: 0,
    }),
  );
  const loaded = await loadSettings({
    configPath: settingsPath,
    env: { OPENAI_API_KEY: IN_PROCESS_UPSTREAM_KEY },
    flags: { logLevel: 'debug' },
  });
  const { logger, lines: logLines } = capturingLogger();
  const proxy: ProxyHandle = await startProxy({ loaded, logger });
  cleanups.push(() => proxy.close(0));
  const bus = proxy.traffic;
  if (!bus) throw new Error('traffic recording is off');
  const published: TrafficEvent[] = [];
  bus.subscribe((event) => published.push(event));
  const run = await runScenarios({
    name: 'in-process',
    url: proxy.url,
    proxyKey: IN_PROCESS_PROXY_KEY,
    upstreamKey: IN_PROCESS_UPSTREAM_KEY,
    mock,
    logText: () => logLines.map((line) => `${line}\n`).join(''),
  });
  return { ...run, published, stored: bus.recent(), logLines };
}

async function runServe(): Promise<Session['serve'] & { proxyKey: string }> {
  const mock = await startMockUpstream();
  cleanups.push(() => mock.close());
  const dir = await mkdtemp(join(tmpdir(), 'parley-secrets-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const settingsPath = join(dir, 'settings.json');
  // No proxy key: serve generates one and rewrites the file. World-readable until then, so
  // the mode checked below is the one serve wrote.
  await writeFile(settingsPath, JSON.stringify({ upstreamMaxRetries: 0 }));
  await chmod(settingsPath, 0o644);
  const child: CliRun = runCliProcess(
    [
      'serve',
      '--port',
      '0',
      '--config',
      settingsPath,
      '--log-level',
      'debug',
      '--base-url',
      mock.url,
    ],
    { OPENAI_API_KEY: SERVE_UPSTREAM_KEY },
  );
  cleanups.push(async () => {
    if (child.child.exitCode === null && child.child.signalCode === null)
      child.child.kill('SIGKILL');
    await child.exited;
  });
  const [, url = ''] = await child.waitForLine(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/);
  const [, proxyKey = ''] = await child.waitForLine(/^export ANTHROPIC_AUTH_TOKEN=(\S+)$/);
  // stderr is another pipe: let its start-up lines in before the first scenario's slice begins.
  await waitFor(() => child.stderr().includes('generated a proxy key'), 'the start-up log');
  const run = await runScenarios({
    name: 'parley serve',
    url,
    proxyKey,
    upstreamKey: SERVE_UPSTREAM_KEY,
    mock,
    logText: child.stderr,
  });
  child.child.kill('SIGTERM');
  const exit = await child.exited;
  return {
    ...run,
    proxyKey,
    stdout: child.stdout(),
    stderr: child.stderr(),
    exit,
    settingsText: await readFile(settingsPath, 'utf8'),
    settingsMode: (await stat(settingsPath)).mode & 0o777,
  };
}

beforeAll(async () => {
  const [inProcess, serve] = await Promise.all([runInProcess(), runServe()]);
  current = {
    inProcess,
    serve,
    serveProxyKey: serve.proxyKey,
    secrets: [
      ...formsOf('the in-process proxy key', IN_PROCESS_PROXY_KEY),
      ...formsOf('the in-process upstream key', IN_PROCESS_UPSTREAM_KEY),
      ...formsOf('the parley serve proxy key', serve.proxyKey),
      ...formsOf('the parley serve upstream key', SERVE_UPSTREAM_KEY),
    ],
  };
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const runOf = (name: TargetName): TargetRun =>
  name === 'in-process' ? session().inProcess : session().serve;

function recordOf(target: TargetName, scenario: string): ScenarioRecord {
  const record = runOf(target).records.get(scenario);
  if (!record) throw new Error(`no record of "${scenario}" on ${target}`);
  return record;
}

// ---------------------------------------------------------------------------------------------
// The cases

describe('the key finder', () => {
  it('sees a key raw, in any case, URL-encoded, and inside base64 at every alignment', () => {
    const key = 'parley-PROXY-0123abcd/+?&=';
    const forms = formsOf('k', key);
    const texts = [
      `token ${key.toUpperCase()} here`,
      `/inspector/?key=${encodeURIComponent(key)}`,
      ...['', 'a', 'ab'].map((prefix) => Buffer.from(`${prefix}${key}!`).toString('base64')),
      Buffer.from(`user:${key}`).toString('base64url'),
    ];
    for (const text of texts)
      expect(findLeaks([{ where: 'text', text }], forms), text).not.toEqual([]);
    expect(findLeaks([{ where: 'text', text: 'parley-PROXY-0123abcd [redacted]' }], forms)).toEqual(
      [],
    );
  });
});

describe('the session itself', () => {
  it('gave each client the statuses its scenario expects', () => {
    for (const target of TARGET_NAMES) {
      const got = scenarios.map((scenario) => [
        scenario.name,
        recordOf(target, scenario.name).responses.map((response) => response.status),
      ]);
      const expected = scenarios.map((scenario) => [
        scenario.name,
        scenario.statuses ?? recordOf(target, scenario.name).responses.map((r) => r.status),
      ]);
      expect(got, target).toEqual(expected);
    }
  });

  it('really put the keys in play: upstream auth, bodies and headers carried them', () => {
    const { inProcess, serve } = session();
    expect(inProcess.target.mock.requests.map((r) => r.headers.authorization)).toContain(
      `Bearer ${IN_PROCESS_UPSTREAM_KEY}`,
    );
    expect(serve.target.mock.requests.map((r) => r.headers.authorization)).toContain(
      `Bearer ${SERVE_UPSTREAM_KEY}`,
    );
    // The conversation text reached the upstream unchanged (that is its job) ...
    expect(JSON.stringify(inProcess.target.mock.requests.map((r) => r.body))).toContain(
      IN_PROCESS_PROXY_KEY,
    );
    // ... while the recording shows the marker where the keys were.
    const started = inProcess.published.filter((event) => event.type === 'exchange.started');
    expect(JSON.stringify(started.map((event) => event.request))).toContain('[redacted]');
    expect(started.map((event) => event.headers)).toContainEqual(
      expect.objectContaining({
        'x-my-secret-token': '[redacted]',
        'x-openai-key': '[redacted]',
        'x-gateway-auth': '[redacted]',
        'x-session-id': '[redacted]',
        cookie: '[redacted]',
        authorization: '[redacted]',
      }),
    );
    expect(inProcess.published.length).toBeGreaterThan(100);
    expect(serve.stderr).toMatch(/^info: POST \/v1\/messages 200 /m);
  });

  it('parley serve printed the setup line once and exited 0 on SIGTERM', () => {
    const { serve, serveProxyKey } = session();
    expect(serve.exit).toBe(0);
    expect(serveProxyKey).toMatch(/^parley-[\w-]{40,}$/);
    expect(
      serve.stdout
        .split('\n')
        .filter((line) => line === `export ANTHROPIC_AUTH_TOKEN=${serveProxyKey}`),
    ).toHaveLength(1);
  });
});

describe('what clients saw: status lines, headers and bodies', () => {
  for (const target of TARGET_NAMES) {
    for (const scenario of scenarios) {
      // The model's own words reach the client by design; Parley's records of them are checked below.
      if (scenario.modelEchoesKeys === true) continue;
      const id = `client | ${target} | ${scenario.name}`;
      it(id, () => {
        const pieces = recordOf(target, scenario.name).responses.map((response, index) => ({
          where: `response ${index + 1} (HTTP ${response.status})`,
          text: response.text,
        }));
        expect(findLeaks(pieces, session().secrets)).toEqual([]);
      });
    }
  }
});

describe('log lines (parley serve: stderr at --log-level debug)', () => {
  for (const target of TARGET_NAMES) {
    for (const scenario of scenarios) {
      const id = `log | ${target} | ${scenario.name}`;
      it(id, () => {
        const pieces = recordOf(target, scenario.name)
          .log.split('\n')
          .map((line, index) => ({ where: `line ${index + 1}`, text: line }));
        expect(findLeaks(pieces, session().secrets)).toEqual([]);
      });
    }
  }

  it('in-process: nothing logged outside the scenarios leaks', () => {
    const { inProcess } = session();
    const text = inProcess.logLines.map((line) => `${line}\n`).join('');
    const outside = text.slice(0, inProcess.logSpan.start) + text.slice(inProcess.logSpan.end);
    expect(findLeaks([{ where: 'log', text: outside }], session().secrets)).toEqual([]);
  });

  it('parley serve: stderr at start-up and shut-down holds no key', () => {
    const { serve, secrets } = session();
    const { start, end } = serve.logSpan;
    const pieces = [
      { where: 'stderr before the first request', text: serve.stderr.slice(0, start) },
      { where: 'stderr after the last request', text: serve.stderr.slice(end) },
    ];
    expect(pieces[0]?.text).toContain('generated a proxy key');
    expect(pieces[1]?.text).toContain('SIGTERM: shutting down');
    expect(findLeaks(pieces, secrets)).toEqual([]);
  });

  it('parley serve: stdout holds the proxy key only in the one ANTHROPIC_AUTH_TOKEN line', () => {
    const { serve, serveProxyKey, secrets } = session();
    const lines = serve.stdout.split('\n');
    const setup = lines.indexOf(`export ANTHROPIC_AUTH_TOKEN=${serveProxyKey}`);
    expect(setup).toBeGreaterThan(0);
    const rest = lines.filter((_, index) => index !== setup);
    expect(rest.join('\n')).toMatch(/^listening on /);
    expect(
      findLeaks(
        rest.map((line, index) => ({ where: `stdout line ${index + 1}`, text: line })),
        secrets,
      ),
    ).toEqual([]);
  });
});

describe('traffic events (in-process, as subscribers and the store get them)', () => {
  const piecesOf = (events: readonly TrafficEvent[]): Piece[] =>
    events.map((event) => ({
      where: `${event.type} (exchange ${event.exchangeId}, seq ${event.seq})`,
      text: JSON.stringify(event),
    }));

  for (const scenario of scenarios) {
    const id = `traffic | in-process | ${scenario.name}`;
    it(id, () => {
      const { requestIds } = recordOf('in-process', scenario.name);
      const events = session().inProcess.published.filter((event) =>
        requestIds.has(event.exchangeId),
      );
      expect(findLeaks(piecesOf(events), session().secrets)).toEqual([]);
    });
  }

  it('every published event, including any no scenario claims', () => {
    const { inProcess, secrets } = session();
    expect(findLeaks(piecesOf(inProcess.published), secrets)).toEqual([]);
  });

  it('the store a late inspector backfills from (recent())', () => {
    const { inProcess, secrets } = session();
    expect(inProcess.stored.length).toBe(inProcess.published.length);
    expect(findLeaks(piecesOf(inProcess.stored), secrets)).toEqual([]);
  });
});

describe('the settings file parley serve wrote', () => {
  it('is mode 0600 and holds the proxy key it printed', () => {
    const { serve, serveProxyKey } = session();
    expect(serve.settingsMode.toString(8)).toBe('600');
    expect(JSON.parse(serve.settingsText)).toMatchObject({
      proxyKey: serveProxyKey,
      upstreamMaxRetries: 0,
    });
  });

  it('holds no upstream key (and no other key) in any form', () => {
    const { serve, secrets } = session();
    const others = secrets.filter((form) => !form.name.startsWith('the parley serve proxy key'));
    expect(findLeaks([{ where: 'settings.json', text: serve.settingsText }], others)).toEqual([]);
  });
});
