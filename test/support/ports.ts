import { createServer } from 'node:net';

/** A loopback port nothing listens on (it was free a moment ago): for "the service is down" tests. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
