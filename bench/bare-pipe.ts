/**
 * The floor for any Node proxy: a bare HTTP pipe that translates nothing. It forwards each POST
 * to the upstream with Node's fetch (as the `openai` SDK does) and copies the answer's bytes
 * back. The overhead benchmark runs it pinned like Parley, so Parley's CPU per stream can be
 * read against what Node's HTTP layers alone cost. Prints `listening on URL` like parley serve.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const upstream = process.argv[2] ?? '';
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      const answer = await fetch(`${upstream}${req.url ?? ''}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
        body: Buffer.concat(chunks),
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
      if (answer.body) for await (const chunk of answer.body) res.write(chunk);
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
