/**
 * One request, one answer over a libp2p stream, each a length-prefixed message with a size
 * limit: the shape of the sync and transfer-delivery protocols, on relay and Stars alike.
 */
import type { Connection, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';

export const EXCHANGE_TIMEOUT_MS = 10_000;

/** Sends `request` and reads one answer of at most `maxBytes`. */
export async function exchange(stream: Stream, request: Uint8Array, maxBytes: number, timeoutMs = EXCHANGE_TIMEOUT_MS): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(timeoutMs);
  const lp = lpStream(stream, { maxDataLength: maxBytes });
  try {
    await lp.write(request, { signal });
    const answer = await lp.read({ signal });
    await stream.close({ signal }).catch(() => {});
    return answer.subarray();
  } catch (err) {
    stream.abort(err as Error);
    throw err;
  }
}

/** A stream handler that reads one request, asks `answer` for the reply and writes it. */
export function serveExchange(maxRequestBytes: number, answer: (request: Uint8Array, connection: Connection) => Promise<Uint8Array>) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS);
    const lp = lpStream(stream, { maxDataLength: maxRequestBytes });
    try {
      const request = await lp.read({ signal });
      await lp.write(await answer(request.subarray(), connection), { signal });
      await stream.close({ signal }).catch(() => {});
    } catch (err) {
      stream.abort(err as Error);
    }
  };
}
