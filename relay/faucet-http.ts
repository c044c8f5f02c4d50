/**
 * POST /faucet: `{ "address": "sw1…" }` → 200 `{ id, amount, block }` (block: the signed
 * proposal, base64), so the Star has its credit at once even if gossip has not reached it.
 * Errors are `{ code, message }` a wallet can show: 400 for a bad request or address, 429
 * with `retryAfterMs` and Retry-After when the account was paid recently, 503 when the
 * faucet cannot pay anyone.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StarError } from '../shared/errors.ts';
import { FaucetUnavailableError, RateLimitedError, type Payout } from './faucet.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import { readBody } from './read-body.ts';

export const MAX_FAUCET_BODY_BYTES = 1024;

export interface FaucetHttpDeps {
  /** pays and gossips the block */
  pay: (address: string, now: number) => Promise<Payout>;
  log: Logger;
  metrics: RelayMetrics;
}

export interface FaucetAnswer {
  id: string;
  amount: number;
  block: string;
}

export interface FaucetErrorAnswer {
  code: string;
  message: string;
  retryAfterMs?: number;
}

export async function handleFaucetRequest(deps: FaucetHttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const refuse = (status: number, body: FaucetErrorAnswer, headers: Record<string, string> = {}): void => {
    deps.metrics.faucetRefusals.inc({ reason: body.code });
    send(res, status, body, headers);
  };
  if (req.method !== 'POST') {
    return refuse(405, { code: 'INVALID_ARGUMENT', message: 'use POST /faucet with a JSON body { "address": "sw1…" }' }, { allow: 'POST' });
  }
  const body = await readBody(req, MAX_FAUCET_BODY_BYTES);
  if (body === 'too-large') {
    return refuse(413, { code: 'MESSAGE_TOO_LARGE', message: `the request body is over ${MAX_FAUCET_BODY_BYTES} bytes; send only { "address": "sw1…" }` }, { connection: 'close' });
  }
  let address: unknown;
  try {
    address = (JSON.parse(body.toString('utf8')) as { address?: unknown } | null)?.address;
  } catch {
    address = undefined;
  }
  if (typeof address !== 'string') {
    return refuse(400, { code: 'INVALID_ARGUMENT', message: 'the body must be JSON { "address": "sw1…" } with the address of the account to credit' });
  }
  try {
    const payout = await deps.pay(address, Date.now());
    deps.metrics.faucetPayouts.inc();
    const answer: FaucetAnswer = { id: payout.id, amount: payout.amount, block: Buffer.from(payout.bytes).toString('base64') };
    send(res, 200, answer);
  } catch (err) {
    if (err instanceof RateLimitedError) {
      return refuse(429, { code: err.code, message: err.message, retryAfterMs: err.retryAfterMs }, { 'retry-after': String(Math.ceil(err.retryAfterMs / 1000)) });
    }
    if (err instanceof StarError && (err.code === 'INVALID_ADDRESS' || err.code === 'INVALID_ARGUMENT')) return refuse(400, { code: err.code, message: err.message });
    if (err instanceof FaucetUnavailableError) return refuse(503, { code: err.code, message: err.message });
    deps.log.error({ err: (err as Error).message }, 'faucet payout failed');
    refuse(500, { code: 'INTERNAL', message: 'the faucet failed; the relay log has the details' });
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}
