/**
 * A pass-through HTTP proxy that notes when each request arrives, so a test can check when the
 * gate sent a retry (the emulator records requests but not their times).
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TimingProxy {
  url: string;
  /** Date.now() at the arrival of each request, with its method and path. */
  arrivals: Array<{ at: number; method: string; path: string }>;
  close(): Promise<void>;
}

export async function startTimingProxy(target: string): Promise<TimingProxy> {
  const upstream = new URL(target);
  const arrivals: TimingProxy['arrivals'] = [];
  const server = createServer((req, res) => {
    arrivals.push({ at: Date.now(), method: req.method ?? '', path: req.url ?? '' });
    const out = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
