/**
 * `requestFaucet()`: asks the relay's dev faucet for coins. The answer carries the
 * faucet's signed proposal, which the caller hands to the worker like any other block.
 */
import { base64 } from '@scure/base';
import type { FaucetPayout } from '../../shared/api.ts';
import { StarError, type StarErrorCode } from '../../shared/errors.ts';

export async function askFaucet(relay: string, address: string): Promise<FaucetPayout & { block: Uint8Array }> {
  let res: Response;
  try {
    res = await fetch(new URL('/faucet', relay), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new StarError('RELAY_UNREACHABLE', `cannot reach the faucet at ${relay} (${(err as Error).message}); start the network with \`npm start\` and try again`);
  }
  const body = (await res.json().catch(() => ({}))) as { id?: unknown; amount?: unknown; block?: unknown; code?: unknown; message?: unknown };
  if (!res.ok) {
    const code = (typeof body.code === 'string' ? body.code : 'RELAY_UNREACHABLE') as StarErrorCode;
    throw new StarError(code, typeof body.message === 'string' ? body.message : `the faucet answered ${res.status}`);
  }
  if (typeof body.id !== 'string' || typeof body.amount !== 'number' || typeof body.block !== 'string') {
    throw new StarError('MALFORMED', 'the faucet answered something unexpected; is the relay the same version as this page?');
  }
  return { id: body.id, amount: body.amount, block: base64.decode(body.block) };
}
