/** A free TCP port on loopback, found by binding port 0 and releasing it. */
import { createServer } from 'node:net';

export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (addr === null || typeof addr === 'string') throw new Error('could not find a free loopback port');
  return addr.port;
}
