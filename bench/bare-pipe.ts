/**
 * The floor for any Node proxy: a bare HTTP pipe that translates nothing. It forwards each POST
 * to the upstream and copies the answer's bytes back, through Node's fetch (how the `openai`
 * SDK calls by default, and the yardstick issue 7 measured); given `--request`, through
 * undici's `request` (how Parley calls: app/upstream/lean-fetch.ts); given `--sdk`, through
 * Parley's own upstream client (the `openai` SDK over that same lean fetch, with Parley's
 * default timeout and retries, and an abort signal per call as Parley gives it), so the SDK's
 * share of Parley's cost is the difference between the last two. The overhead benchmark runs it
 * pinned like Parley, so Parley's CPU per stream can be read against what Node's HTTP layers
 * alone cost. Prints `listening on URL` like parley serve.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type OpenAI from 'openai';
import { request } from 'undici';

const [upstream = '', mode] = process.argv.slice(2);
const headers = { 'content-type': 'application/json', authorization: 'Bearer bench' };
// Loaded only for --sdk: the other pipes stay as small as they were first measured.
const sdk = mode === '--sdk' ? await sdkPipe(upstream) : undefined;

async function sdkPipe(baseUrl: string): Promise<{
  client: OpenAI;
  takeEventStream: (response: Response) => AsyncIterable<Uint8Array> | undefined;
}> {
  const { defaultSettings } = await import('../app/config/settings-schema.ts');
  const { createUpstreamClient } = await import('../app/upstream/client.ts');
  const { takeEventStream } = await import('../app/upstream/lean-fetch.ts');
  const client = createUpstreamClient({
    baseUrl,
    apiKey: 'bench',
    timeoutMs: defaultSettings.upstreamTimeoutMs,
    maxRetries: defaultSettings.upstreamMaxRetries,
    connectTimeoutMs: defaultSettings.upstreamConnectTimeoutMs,
  });
  return { client, takeEventStream };
}

/** The upstream's answer: status, content type, and the body's chunks. */
interface Answer {
  readonly status: number;
  readonly type: string;
  readonly chunks: AsyncIterable<Uint8Array> | null;
}

async function forward(path: string, body: Buffer, signal?: AbortSignal): Promise<Answer> {
  if (sdk && signal) {
    // As Parley's adapters call it: the body as bytes, the raw response taken once its status
    // is known (an error status throws, as it does in Parley, and ends the pipe's answer).
    const answer = await sdk.client
      .post(path, { body, headers: { 'content-type': 'application/json' }, stream: true, signal })
      .asResponse();
    const type = answer.headers.get('content-type') ?? '';
    return { status: answer.status, type, chunks: sdk.takeEventStream(answer) ?? answer.body };
  }
  if (mode === '--request') {
    const answer = await request(`${upstream}${path}`, { method: 'POST', headers, body });
    const type = answer.headers['content-type'];
    return { status: answer.statusCode, type: String(type ?? ''), chunks: answer.body };
  }
  const answer = await fetch(`${upstream}${path}`, { method: 'POST', headers, body });
  const type = answer.headers.get('content-type') ?? '';
  return { status: answer.status, type, chunks: answer.body };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  // Parley aborts its upstream call when the client goes; the other pipes stay as first measured.
  const controller = sdk ? new AbortController() : undefined;
  if (controller)
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      try {
        const answer = await forward(req.url ?? '', Buffer.concat(chunks), controller?.signal);
        res.writeHead(answer.status, { 'content-type': answer.type });
        if (answer.chunks) for await (const chunk of answer.chunks) res.write(chunk);
        res.end();
      } catch (error) {
        // A pipe, not a proxy: a failed call ends the client's answer, and the benchmark counts it.
        process.stderr.write(`bare pipe: ${String(error)}\n`);
        res.destroy();
      }
    })();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
