/**
 * Binds the express app and closes it gracefully: stop accepting, let in-flight requests run
 * on for the grace period, then cut what is left. Bind failures become one readable line.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';

export class ListenError extends Error {
  override readonly name = 'ListenError';
}

export interface Listening {
  readonly server: Server;
  readonly port: number;
  /**
   * Stops accepting; requests in flight get `graceMs` to finish. Then `atDeadline` runs (to end
   * streams properly) and whatever is still open is cut.
   */
  close(graceMs: number, atDeadline?: () => void): Promise<void>;
}

export async function listen(app: Express, host: string, port: number): Promise<Listening> {
  const server = createHttpServer(app);
  // Long reasoning turns keep a response open for minutes; Node's defaults would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new ListenError(describeListenError(error, host, port)));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    server,
    port: address.port,
    close(graceMs, atDeadline) {
      closing ??= new Promise<void>((resolve) => {
        const deadline = setTimeout(() => {
          atDeadline?.();
          // Let the final events written at the deadline reach the wire before cutting.
          setImmediate(() => {
            for (const socket of sockets) socket.end();
            setTimeout(() => {
              for (const socket of sockets) socket.destroy();
            }, 100).unref();
          });
        }, graceMs);
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function describeListenError(error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use: stop the other program or choose another with --port (0 picks a free one)`;
    case 'EACCES':
      return `not allowed to listen on ${host}:${port}: choose a port above 1023 with --port`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `cannot listen on ${host}: this machine has no such address (check --host)`;
    default:
      return `cannot listen on ${host}:${port}: ${error.message}`;
  }
}
