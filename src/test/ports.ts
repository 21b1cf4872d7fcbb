/** Free ports on loopback for tests that start servers on given ports. */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Two consecutive free ports on loopback (the demo takes `port` and `port + 1`). */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const next = createServer();
    const free = await new Promise<boolean>((resolve) => {
      next.once('error', () => resolve(false));
      next.listen(port + 1, '127.0.0.1', () => resolve(true));
    });
    await new Promise((resolve) => server.close(resolve));
    if (free) await new Promise((resolve) => next.close(resolve));
    if (free && port < 65_535) return port;
  }
}
