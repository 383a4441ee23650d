/**
 * The floor for any Node proxy: a bare HTTP pipe that translates nothing. It forwards each POST
 * to the upstream and copies the answer's bytes back, through Node's fetch (how the `openai`
 * SDK calls by default, and the yardstick issue 7 measured) or, given `--request`, through
 * undici's `request` (how Parley calls: app/upstream/lean-fetch.ts). The overhead benchmark runs
 * it pinned like Parley, so Parley's CPU per stream can be read against what Node's HTTP layers
 * alone cost. Prints `listening on URL` like parley serve.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

const [upstream = '', mode] = process.argv.slice(2);
const headers = { 'content-type': 'application/json', authorization: 'Bearer bench' };

/** The upstream's answer: status, content type, and the body's chunks. */
async function forward(
  path: string,
  body: Buffer,
): Promise<{ status: number; type: string; chunks: AsyncIterable<Uint8Array> | null }> {
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
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      const answer = await forward(req.url ?? '', Buffer.concat(chunks));
      res.writeHead(answer.status, { 'content-type': answer.type });
      if (answer.chunks) for await (const chunk of answer.chunks) res.write(chunk);
      res.end();
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
