/**
 * Proof of data possession, both sides (DESIGN.md, "Storage shards"; audit.ts):
 *
 * - auditor: `start(seed)` draws challenges (pickChallenges, deterministic from the round
 *   seed and this Star's id) over the (co-replica, version) pairs of the keys this Star is a
 *   replica of, sends each as an `audit` request and notes the outcome in its AuditLog:
 *   audit.ts auditOutcome: 'passed' for an answer that checks against the version's
 *   segmentsRoot within auditDeadlineMs, 'late' for a right one after it (the request stays
 *   open for a second deadline's length to see it), 'failed' for a wrong or empty answer or
 *   none at all (silence, a refusal, the holder leaving the ring);
 * - holder: `answer` finds the challenged version (own shard or hints) by digest and
 *   answers with the segment and its Merkle path (answerChallenge), or null.
 */
import { AuditLog, answerChallenge, auditOutcome, pickChallenges, type AuditOutcome } from './audit.ts';
import type { NodeContext } from './node-context.ts';
import { digestOf } from './replica-store.ts';
import type { Out } from './storage-outputs.ts';
import { keyIdOf, type MemberId, type SignedRecord } from './types.ts';
import type { StoreRequest, StoreResponse } from './wire.ts';

export const DEFAULT_AUDIT_COUNT = 8;

export class AuditRunner {
  readonly log = new AuditLog();
  readonly #ctx: NodeContext;
  #inFlight = 0;

  constructor(ctx: NodeContext) {
    this.#ctx = ctx;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  start(seed: Uint8Array, count: number, out: Out, now: number): number {
    const ctx = this.#ctx;
    const room = Math.min(count, ctx.limits.maxAudits - this.#inFlight);
    if (room <= 0) return 0;
    const candidates: Array<{ holder: MemberId; record: SignedRecord }> = [];
    const byDigest = new Map<string, SignedRecord>();
    for (const k of ctx.store.keys()) {
      const pref = ctx.placement.preferenceList(k.keyId, k.key);
      if (!pref.includes(ctx.me)) continue;
      for (let i = 0; i < k.versions.length; i++) {
        const record = k.versions[i]!;
        if (record.value === null) continue;
        byDigest.set(k.digests[i]!, record);
        for (const holder of pref) if (holder !== ctx.me) candidates.push({ holder, record });
      }
    }
    let sent = 0;
    for (const c of pickChallenges(seed, ctx.me, candidates, room)) {
      const record = byDigest.get(c.digest);
      if (record === undefined || c.holder === ctx.me) continue;
      const ok = ctx.requests.send(
        out,
        c.holder,
        (id) => ({ t: 'audit', id, owner: c.key.owner, name: c.key.name, digest: c.digest, segment: c.segment }),
        now + 2 * ctx.timing.auditDeadlineMs,
        (answer, o, t) => {
          this.#inFlight--;
          const outcome = answer?.t === 'audit-answer' ? auditOutcome(record, c.segment, answer.answer, t - now, ctx.timing.auditDeadlineMs) : 'failed';
          this.#note(c.holder, outcome, o);
        },
      );
      if (ok) {
        this.#inFlight++;
        sent++;
      }
    }
    return sent;
  }

  #note(holder: MemberId, outcome: AuditOutcome, out: Out): void {
    this.log.note(holder, outcome);
    out.event({ type: 'audit', holder, outcome });
  }

  /** the holder's side */
  answer(req: Extract<StoreRequest, { t: 'audit' }>): StoreResponse {
    const keyId = keyIdOf({ owner: req.owner, name: req.name });
    const record = this.#ctx.localVersions(keyId).find((r) => digestOf(r) === req.digest);
    return { t: 'audit-answer', id: req.id, answer: record === undefined ? null : answerChallenge(record, req.segment) };
  }
}
