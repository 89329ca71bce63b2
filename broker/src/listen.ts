// Listening on a port, as the TCP and TLS listeners both do.
import type { AddressInfo, Server } from 'node:net';

/** Listens, and resolves to the port it got (0: any free one); rejects when it cannot (in use). */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
