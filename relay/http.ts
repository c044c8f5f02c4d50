/**
 * The relay's one public port: static files (wallet, /star.js, demo dApp), /health,
 * /metrics, /relay.json, /genesis.json, POST /faucet, and WebSocket upgrades handed to the
 * libp2p listener.
 *
 * libp2p's WebSocket listener owns its own HTTP server and answers plain requests with 400,
 * so it listens on an internal loopback port and this server pipes upgrade requests to it
 * byte for byte. Browsers then need one origin for everything.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import sirv from 'sirv';
import type { GenesisFile } from '../shared/chain/genesis.ts';
import { handleFaucetRequest } from './faucet-http.ts';
import type { Payout } from './faucet.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';

export interface HttpDeps {
  staticDir: string;
  log: Logger;
  metrics: RelayMetrics;
  /** internal port of the libp2p WebSocket listener */
  wsPort: () => number | undefined;
  /** relay peer id, for browsers to build the relay's multiaddr */
  peerId: string;
  /** the Galaxies' HTTP URLs (Stars catch up on the Blackhole chain from them) */
  galaxies: readonly string[];
  health: () => { ok: boolean; detail: Record<string, unknown> };
  /** the network's starting balances, as loaded: Stars build their ledger on it */
  genesis: GenesisFile;
  /** pays from the dev faucet and gossips the block */
  payFaucet: (address: string, now: number) => Promise<Payout>;
}

export function createHttpServer(deps: HttpDeps): Server {
  const files = sirv(deps.staticDir, { dev: false, etag: true, gzip: false, brotli: false, single: false });
  const server = createServer((req, res) => {
    const route = routeOf(req.url ?? '/');
    res.on('finish', () => deps.metrics.httpRequests.inc({ route, status: String(res.statusCode) }));
    if (route === '/health') return sendHealth(deps, res);
    if (route === '/metrics') return void sendMetrics(deps, res);
    if (route === '/relay.json') return sendJson(res, 200, { peerId: deps.peerId, galaxies: deps.galaxies });
    if (route === '/genesis.json') return sendJson(res, 200, deps.genesis);
    if (route === '/faucet') {
      return void handleFaucetRequest({ pay: deps.payFaucet, log: deps.log, metrics: deps.metrics }, req, res).catch((err: Error) => {
        deps.log.warn({ err: err.message }, 'faucet request failed');
        if (!res.headersSent) sendJson(res, 500, { code: 'INTERNAL', message: 'the faucet request failed' });
        else res.destroy();
      });
    }
    files(req, res, () => sendJson(res, 404, { error: `no file at ${req.url}; the wallet is at / and the embed script at /star.js` }));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => proxyUpgrade(deps, req, socket as Socket, head));
  server.keepAliveTimeout = 5_000;
  return server;
}

const ROUTES = new Set(['/health', '/metrics', '/relay.json', '/genesis.json', '/faucet']);

function routeOf(url: string): string {
  const path = url.split('?')[0] ?? '/';
  return ROUTES.has(path) ? path : 'static';
}

function sendHealth(deps: HttpDeps, res: ServerResponse): void {
  const { ok, detail } = deps.health();
  sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'starting', ...detail });
}

async function sendMetrics(deps: HttpDeps, res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
  res.end(await deps.metrics.registry.metrics());
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
  res.end(JSON.stringify(body));
}

function proxyUpgrade(deps: HttpDeps, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const port = deps.wsPort();
  if (port === undefined || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
    return;
  }
  const upstream = connect(port, '127.0.0.1', () => {
    let raw = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
    upstream.write(raw + '\r\n');
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream).pipe(socket);
  });
  socket.setNoDelay(true);
  upstream.setNoDelay(true);
  const close = (): void => {
    socket.destroy();
    upstream.destroy();
  };
  upstream.on('error', (err) => {
    deps.log.warn({ err: err.message }, 'websocket upstream failed');
    close();
  });
  socket.on('error', close);
  upstream.on('close', close);
  socket.on('close', close);
}
