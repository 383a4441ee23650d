/**
 * The real client: Claude Code itself (the pinned npm package's native binary) runs a headless
 * task through Parley against the mock upstream, which is scripted to call Write and then
 * answer. Loopback only, throwaway HOME and cwd, the environment of CLAUDE-CODE.md §8.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../support/temp-dir.ts';
import { TEST_PROXY_KEY, useTestProxies } from '../support/test-proxy.ts';

const claudeBin = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));
const startTestProxy = useTestProxies();
const tempDir = useTempDirs();

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runClaude(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(claudeBin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `claude did not finish in ${timeoutMs} ms; stdout: ${stdout.slice(-2000)} stderr: ${stderr.slice(-2000)}`,
        ),
      );
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.each(['responses', 'chat'] as const)('Claude Code through Parley, %s upstream', (api) => {
  it(
    'writes a file with a tool call and reports the final answer',
    { timeout: 120_000 },
    async () => {
      const home = await tempDir();
      const project = join(await tempDir(), 'project');
      await mkdir(project);
      const target = join(project, 'hello.txt');
      const content = 'Hello from Parley — ünïcödé "quotes" and a\nsecond line\n';

      const { proxy, mock } = await startTestProxy({ file: { upstreamApi: api } });
      mock.enqueue(
        {
          output: [
            { type: 'text', text: 'I will create the file.' },
            {
              type: 'tool_call',
              name: 'Write',
              arguments: JSON.stringify({ file_path: target, content }),
              callId: 'call_write_1',
            },
          ],
          deltaSize: 5,
        },
        { output: [{ type: 'text', text: 'Created hello.txt with the requested text.' }] },
      );

      const run = await runClaude(
        [
          '-p',
          'Create hello.txt with the greeting.',
          '--output-format',
          'stream-json',
          '--verbose',
          '--allowedTools',
          'Write',
          'Bash',
          'Read',
          '--strict-mcp-config',
          '--no-session-persistence',
        ],
        project,
        {
          PATH: process.env['PATH'],
          HOME: home,
          ANTHROPIC_BASE_URL: proxy.url,
          ANTHROPIC_AUTH_TOKEN: TEST_PROXY_KEY,
          CLAUDE_CODE_MAX_RETRIES: '2',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_TELEMETRY: '1',
          DISABLE_AUTOUPDATER: '1',
          DISABLE_ERROR_REPORTING: '1',
          DISABLE_BUG_COMMAND: '1',
          DISABLE_FEEDBACK_COMMAND: '1',
          CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY: '1',
          DISABLE_COST_WARNINGS: '1',
          CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
        },
        100_000,
      );

      const events = run.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const result = events.find((event) => event['type'] === 'result');
      expect(result, `stderr: ${run.stderr.slice(-2000)}`).toMatchObject({
        is_error: false,
        result: 'Created hello.txt with the requested text.',
      });
      expect(run.code).toBe(0);
      expect(await readFile(target, 'utf8')).toBe(content);

      // Two model turns, the second carrying the Write result back under the same call id.
      const path = api === 'responses' ? '/v1/responses' : '/v1/chat/completions';
      expect(mock.requests.map((request) => request.path)).toEqual([path, path]);
      const bodies = mock.requests.map((request) => request.body as Record<string, unknown>);
      const results =
        api === 'responses'
          ? (bodies[1]?.['input'] as { type: string }[]).filter(
              (item) => item.type === 'function_call_output',
            )
          : (bodies[1]?.['messages'] as { role: string }[]).filter(
              (message) => message.role === 'tool',
            );
      expect(results).toEqual([
        expect.objectContaining(
          api === 'responses' ? { call_id: 'call_write_1' } : { tool_call_id: 'call_write_1' },
        ),
      ]);
      expect(JSON.stringify(bodies)).not.toContain('x-anthropic-billing-header');
    },
  );
});
