/**
 * The Galaxy's HTTP API (CORS `*`: wallets and dApps on any origin read it):
 *   GET /health                 200 once the chain is loaded and the relay joined, else 503
 *   GET /metrics                Prometheus text
 *   GET /head                   the newest block's header (JSON, hex fields) and hash
 *   GET /block/:height          JSON, or the raw `encodeBlackhole` bytes with ?format=cbor
 *   GET /blocks?from=&limit=&wait=  CBOR array of `encodeStoredBlackhole` (Stars and Galaxies catch
 *                               up); with `wait` (ms, at most 25 s) a request past the head is held
 *                               until the next block is stored: the long poll Stars follow the head with
 *   GET /account/:address       the account's final state (JSON)
 *   GET /proof/:halfBlockHash   `encodeFinalityProof` (CBOR), or JSON with Accept: application/json
 *   POST /checkpoint            an `encodeCheckpointCert` body: the facilitators' certificate, straight
 *                               to the Galaxy instead of a gossip hop through the relay (202, or 400/413/
 *                               422/429). Judged like gossip; each address gets CHECKPOINT_POSTS requests
 *                               per window, and a refused certificate costs it BAD_CHECKPOINT_COST of them
 *                               (HTTP has no peer score to lower).
 * Errors are JSON `{ code, message }` whose message says what to do instead.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { publicKeyFromAddress } from '../../shared/chain/address.ts';
import { encodeCanonical } from '../../shared/codec/cbor.ts';
import { fromHex, toHex } from '../../shared/codec/hex.ts';
import { blackholeHash, encodeBlackhole, encodeFinalityProof, type BlackholeBlock, type BlackholeHeader, type FinalityProof } from '../../shared/finality/blackhole.ts';
import { MAX_CERT_BYTES } from '../../shared/finality/checkpoint.ts';
import type { AccountState, StoredBlackhole } from '../../shared/finality/galaxy-core.ts';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../log.ts';
import { readBody } from '../read-body.ts';
import type { GalaxyMetrics } from './metrics.ts';

/** The Galaxy's verdict on a posted certificate. */
export type CheckpointSubmission = { ok: true } | { ok: false; code: 'MALFORMED' | 'REFUSED'; reason: string };

/** What the API reads (the Galaxy's chain and final state) and takes (certificates): the driver over the core and store. */
export interface GalaxyView {
  height(): number;
  block(height: number): StoredBlackhole | undefined;
  /** `encodeStoredBlackhole` bytes of a height, as stored */
  storedBytes(height: number): Uint8Array | undefined;
  account(pk: Uint8Array): AccountState | undefined;
  proof(halfBlockHashHex: string): FinalityProof | undefined;
  /** a certificate posted by a facilitator, judged like one from gossip */
  submitCheckpoint(data: Uint8Array): Promise<CheckpointSubmission>;
  /** true once the chain reaches `height`; false after `ms`, on abort, or when too many wait already */
  waitForHeight(height: number, ms: number, signal?: AbortSignal): Promise<boolean>;
}

export interface GalaxyHttpDeps {
  view: GalaxyView;
  log: Logger;
  metrics: GalaxyMetrics;
  health(): { ok: boolean; detail: Record<string, unknown> };
  /** POST /checkpoint allowance per address (default CHECKPOINT_POSTS) */
  checkpointPosts?: { points: number; windowS: number };
}

export const DEFAULT_BLOCKS_LIMIT = 64;
export const MAX_BLOCKS_LIMIT = 256;
/** a /blocks answer stops adding blocks past this size (it always holds at least one) */
export const MAX_BLOCKS_RESPONSE_BYTES = 8 * 1024 * 1024;
/** the longest a /blocks request past the head is held (below the usual 30 s proxy idle timeouts) */
export const MAX_BLOCKS_WAIT_MS = 25_000;
/**
 * POST /checkpoint requests an address may make per window. Every seat of a round posts
 * its copy to every Galaxy, about one round a second per cluster at best, and many Stars
 * can share one address (a NAT, or every tab of a test on one machine): 20/s leaves room.
 */
export const CHECKPOINT_POSTS = { points: 200, windowS: 10 } as const;
/** what a refused or malformed certificate costs its sender, in requests */
export const BAD_CHECKPOINT_COST = 20;

const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-starweave-head' } as const;

export function createGalaxyHttpServer(deps: GalaxyHttpDeps): Server {
  const posts = deps.checkpointPosts ?? CHECKPOINT_POSTS;
  const limiter = new RateLimiterMemory({ points: posts.points, duration: posts.windowS });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://galaxy');
    const route = routeOf(url.pathname);
    res.on('finish', () => deps.metrics.httpRequests.inc({ route, status: String(res.statusCode) }));
    try {
      if (route === '/checkpoint' && req.method !== 'OPTIONS') void takeCheckpoint(deps, limiter, req, res).catch((err: unknown) => failed(deps, req, res, err));
      else handle(deps, req, res, url, route);
    } catch (err) {
      failed(deps, req, res, err);
    }
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

function failed(deps: GalaxyHttpDeps, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  deps.log.warn({ err: (err as Error).message, url: req.url }, 'Galaxy HTTP request failed');
  if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'the Galaxy failed to answer this request; see its log, and retry');
  else res.destroy();
}

function routeOf(path: string): string {
  if (['/health', '/metrics', '/head', '/blocks', '/checkpoint'].includes(path)) return path;
  for (const prefix of ['/block/', '/account/', '/proof/']) if (path.startsWith(prefix)) return prefix + ':id';
  return 'unknown';
}

function handle(deps: GalaxyHttpDeps, req: IncomingMessage, res: ServerResponse, url: URL, route: string): void {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'GET, HEAD, POST, OPTIONS', 'access-control-allow-headers': 'accept, content-type', 'access-control-max-age': '86400' });
    res.end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendError(res, 405, 'METHOD_NOT_ALLOWED', `use GET for ${url.pathname} (not ${req.method}); the one thing the Galaxy takes is POST /checkpoint`);
    return;
  }
  const id = decodeURIComponent(url.pathname.slice(url.pathname.indexOf('/', 1) + 1));
  switch (route) {
    case '/health': {
      const { ok, detail } = deps.health();
      sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'starting', ...detail });
      return;
    }
    case '/metrics':
      void deps.metrics.registry.metrics().then((text) => {
        res.writeHead(200, { ...CORS, 'content-type': deps.metrics.registry.contentType });
        res.end(text);
      });
      return;
    case '/head': {
      const head = deps.view.block(deps.view.height());
      if (!head) return sendError(res, 503, 'NOT_READY', 'the Galaxy has not loaded its chain yet; retry in a moment');
      sendJson(res, 200, { ...headerJson(head.block.header), hash: toHex(blackholeHash(head.block.header)), ...bodySummary(head.block) });
      return;
    }
    case '/block/:id':
      return sendBlock(deps, res, url, id);
    case '/blocks':
      return sendBlocks(deps, res, url);
    case '/account/:id': {
      let pk: Uint8Array;
      try {
        pk = publicKeyFromAddress(id);
      } catch (err) {
        return sendError(res, 400, 'INVALID_ADDRESS', (err as Error).message);
      }
      const height = deps.view.height();
      const state = deps.view.account(pk);
      if (!state) {
        // an account nobody paid yet: nothing final about it, which is an answer, not an error
        return sendJson(res, 200, { address: id, height, known: false, seq: 0, head: toHex(new Uint8Array(32)), balance: 0, blocked: false });
      }
      sendJson(res, 200, { address: id, height, known: true, seq: state.seq, head: toHex(state.head), balance: state.balance, blocked: state.blocked });
      return;
    }
    case '/proof/:id': {
      const hex = id.toLowerCase();
      if (hex.length !== 64 || fromHex(hex) === null) {
        return sendError(res, 400, 'INVALID_ARGUMENT', `"${id}" is not a half-block hash: give the transfer id, 64 hex digits`);
      }
      const proof = deps.view.proof(hex);
      if (!proof) {
        return sendError(res, 404, 'NOT_FOUND', `half-block ${hex} is not final at height ${deps.view.height()}: it is pending, rejected or unknown; ask again after the next Blackhole block`);
      }
      if ((req.headers.accept ?? '').includes('application/json')) return sendJson(res, 200, proofJson(proof));
      sendCbor(res, encodeFinalityProof(proof));
      return;
    }
    default:
      sendError(res, 404, 'NOT_FOUND', `no route ${url.pathname}; the Galaxy serves /health, /metrics, /head, /block/:height, /blocks?from=&limit=&wait=, /account/:address, /proof/:halfBlockHash, and takes POST /checkpoint`);
  }
}

/** POST /checkpoint: the address's allowance first, then the body's size, then the Galaxy's verdict. */
async function takeCheckpoint(deps: GalaxyHttpDeps, limiter: RateLimiterMemory, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'use POST /checkpoint with an encodeCheckpointCert body (application/cbor)');
  const address = req.socket.remoteAddress ?? 'unknown';
  const limited = await charge(limiter, address, 1);
  if (limited !== undefined) return sendLimited(res, limited);
  const body = await readBody(req, MAX_CERT_BYTES);
  if (body === 'too-large') {
    res.setHeader('connection', 'close');
    return sendError(res, 413, 'MESSAGE_TOO_LARGE', `a checkpoint certificate is at most ${MAX_CERT_BYTES} bytes; this body is larger, so it is not one`);
  }
  const verdict = await deps.view.submitCheckpoint(new Uint8Array(body.buffer, body.byteOffset, body.length));
  if (verdict.ok) return sendJson(res, 202, { accepted: true });
  // HTTP has no peer score: a bad certificate spends the sender's allowance instead
  await charge(limiter, address, BAD_CHECKPOINT_COST);
  deps.log.debug({ address, reason: verdict.reason }, 'posted checkpoint certificate refused');
  sendError(res, verdict.code === 'MALFORMED' ? 400 : 422, verdict.code, `the certificate was ${verdict.code === 'MALFORMED' ? 'not readable' : 'refused'}: ${verdict.reason}`);
}

/** Takes `points` from the address's allowance; the wait until it has them again when it is spent. */
async function charge(limiter: RateLimiterMemory, address: string, points: number): Promise<number | undefined> {
  try {
    await limiter.consume(address, points);
    return undefined;
  } catch (err) {
    if (err instanceof RateLimiterRes) return err.msBeforeNext;
    throw err;
  }
}

function sendLimited(res: ServerResponse, retryAfterMs: number): void {
  res.setHeader('retry-after', String(Math.ceil(retryAfterMs / 1000)));
  sendError(res, 429, 'RATE_LIMITED', `too many certificates from this address; gossip still carries them, or post again in ${Math.ceil(retryAfterMs / 1000)} s`);
}

function parseHeight(text: string | null): number | undefined {
  if (text === null || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

function sendBlock(deps: GalaxyHttpDeps, res: ServerResponse, url: URL, id: string): void {
  const height = parseHeight(id);
  if (height === undefined) return sendError(res, 400, 'INVALID_ARGUMENT', `"${id}" is not a block height: use a whole number, like /block/0`);
  const stored = deps.view.block(height);
  if (!stored) return sendError(res, 404, 'NOT_FOUND', `no block at height ${height} yet: the head is at ${deps.view.height()} (GET /head)`);
  const format = url.searchParams.get('format');
  if (format === 'cbor') return sendCbor(res, encodeBlackhole(stored.block));
  if (format !== null && format !== 'json') return sendError(res, 400, 'INVALID_ARGUMENT', `format=${format} is not known: use format=cbor, or leave it out for JSON`);
  sendJson(res, 200, blockJson(stored.block));
}

function sendBlocks(deps: GalaxyHttpDeps, res: ServerResponse, url: URL): void {
  const from = parseHeight(url.searchParams.get('from') ?? '0');
  const limitText = url.searchParams.get('limit');
  const limit = limitText === null ? DEFAULT_BLOCKS_LIMIT : parseHeight(limitText);
  const waitText = url.searchParams.get('wait');
  const wait = waitText === null ? 0 : parseHeight(waitText);
  if (from === undefined) return sendError(res, 400, 'INVALID_ARGUMENT', 'from must be a block height (a whole number), like /blocks?from=1&limit=64');
  if (limit === undefined || limit < 1 || limit > MAX_BLOCKS_LIMIT) {
    return sendError(res, 400, 'INVALID_ARGUMENT', `limit must be a whole number from 1 to ${MAX_BLOCKS_LIMIT}`);
  }
  if (wait === undefined || wait > MAX_BLOCKS_WAIT_MS) {
    return sendError(res, 400, 'INVALID_ARGUMENT', `wait must be a whole number of milliseconds from 0 to ${MAX_BLOCKS_WAIT_MS}`);
  }
  if (wait === 0) return sendBlockRange(deps, res, from, limit);
  // held until the block is stored (at once when it is), the wait ends, or the asker hangs up
  // (the response's close, not the request's: a GET's request stream closes once it is read)
  const gone = new AbortController();
  res.on('close', () => gone.abort());
  void deps.view.waitForHeight(from, wait, gone.signal).then(() => {
    if (!gone.signal.aborted) sendBlockRange(deps, res, from, limit);
  });
}

function sendBlockRange(deps: GalaxyHttpDeps, res: ServerResponse, from: number, limit: number): void {
  const head = deps.view.height();
  const out: Uint8Array[] = [];
  let size = 0;
  for (let h = from; h <= head && out.length < limit; h++) {
    const bytes = deps.view.storedBytes(h);
    if (!bytes) break;
    if (out.length > 0 && size + bytes.length > MAX_BLOCKS_RESPONSE_BYTES) break;
    out.push(bytes);
    size += bytes.length;
  }
  // an empty array past the head: the asker is up to date (not an error)
  res.setHeader('x-starweave-head', String(head));
  sendCbor(res, encodeCanonical(out));
}

export function headerJson(h: BlackholeHeader): Record<string, string | number> {
  return {
    network: h.network,
    height: h.height,
    prev: toHex(h.prev),
    time: h.time,
    checkpointsRoot: toHex(h.checkpointsRoot),
    finalRoot: toHex(h.finalRoot),
    stateRoot: toHex(h.stateRoot),
    reputationDigest: toHex(h.reputationDigest),
    clusterCount: h.clusterCount,
    seed: toHex(h.seed),
    rosterRoot: toHex(h.rosterRoot),
  };
}

function bodySummary(b: BlackholeBlock): Record<string, number> {
  return { checkpoints: b.body.checkpoints.length, accepted: b.body.accepted.length, rejected: b.body.rejected.length, roster: b.body.roster.length, signatures: b.sigs.length };
}

export function blockJson(b: BlackholeBlock): Record<string, unknown> {
  return {
    hash: toHex(blackholeHash(b.header)),
    header: headerJson(b.header),
    body: {
      checkpoints: b.body.checkpoints.map((c) => ({ cluster: c.cluster, round: c.round, base: toHex(c.base), prev: toHex(c.prev), entries: c.entries.map(toHex) })),
      accepted: b.body.accepted.map(toHex),
      rejected: b.body.rejected.map(toHex),
      roster: b.body.roster.map(toHex),
    },
    sigs: b.sigs.map((s) => ({ signer: s.signer, sig: toHex(s.sig) })),
  };
}

function proofJson(p: FinalityProof): Record<string, unknown> {
  return {
    hash: toHex(blackholeHash(p.header)),
    header: headerJson(p.header),
    sigs: p.sigs.map((s) => ({ signer: s.signer, sig: toHex(s.sig) })),
    leaf: toHex(p.leaf),
    proof: { index: p.proof.index, count: p.proof.count, siblings: p.proof.siblings.map(toHex) },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...CORS, 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function sendCbor(res: ServerResponse, bytes: Uint8Array): void {
  res.writeHead(200, { ...CORS, 'content-type': 'application/cbor', 'cache-control': 'no-store', 'content-length': String(bytes.length) });
  res.end(bytes);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { code, message });
}
