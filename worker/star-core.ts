/**
 * The Star core that runs inside the Web Worker. Everything that thinks lives here; the
 * main thread only moves bytes between libp2p and this object.
 *
 * Methods return results instead of throwing StarErrors, because comlink serialises thrown
 * errors without their `code`.
 */
import { encodeAppMessage } from '../shared/gossip/app-message.ts';
import { judgeGossip, type GossipJudgement } from '../shared/gossip/validate.ts';
import { StarError } from '../shared/errors.ts';

export type Result<T> = { ok: true; value: T } | { ok: false; code: StarError['code']; message: string };

function fail(err: unknown): { ok: false; code: StarError['code']; message: string } {
  if (err instanceof StarError) return { ok: false, code: err.code, message: err.message };
  return { ok: false, code: 'MALFORMED', message: (err as Error).message ?? String(err) };
}

const utf8 = new TextEncoder();

export class StarCore {
  private account = '';

  /**
   * Starts the core. Until account chains exist (accounts issue) the account is a random
   * placeholder address that lives as long as the worker.
   */
  init(): { address: string } {
    if (this.account === '') {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      this.account = 'sw-placeholder-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    }
    return { address: this.account };
  }

  encodePublish(topic: string, data: string | Uint8Array, now: number): Result<Uint8Array> {
    try {
      const text = typeof data === 'string';
      const bytes = text ? utf8.encode(data) : data;
      return { ok: true, value: encodeAppMessage({ topic, data: bytes, text, sentAt: now }) };
    } catch (err) {
      return fail(err);
    }
  }

  judge(gossipTopic: string, data: Uint8Array, now: number): GossipJudgement {
    return judgeGossip(gossipTopic, data, now);
  }
}

export type StarCoreApi = Pick<StarCore, 'init' | 'encodePublish' | 'judge'>;
