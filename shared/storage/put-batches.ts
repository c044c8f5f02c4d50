/**
 * The puts one step sends to one member (for one intended member, when hinted) travel as ONE
 * `put` request carrying all their records, up to the message limits: the per-message costs
 * (encoding, framing, a stream write, the crossings between threads, decoding, the ack, an
 * outstanding-request slot) are paid once per batch instead of once per put. A step that
 * starts many client puts (StorageNode.batch) sends each replica one request.
 *
 * The answer is shared: an ok ack acknowledges every record (the replica stored them all
 * before it acked). A refusal carries one reason for the whole message (say, one record the
 * replica's ring view does not place there), so every record of a refused batch is asked
 * again alone, and only the answer to that single-record put counts for the record: exactly
 * what a put of its own would have got. No answer in time fails every record of the batch,
 * as it would have failed each of their own requests.
 */
import type { OnAnswer, Requests } from './requests.ts';
import { sizeOf } from './replica-store.ts';
import type { Out } from './storage-outputs.ts';
import type { MemberId, SignedRecord } from './types.ts';
import { MAX_RECORDS_PER_MESSAGE, RECORD_BUDGET_BYTES } from './wire.ts';

interface Batch {
  records: SignedRecord[];
  answers: OnAnswer[];
  bytes: number;
}

export class PutBatches {
  readonly #requests: Requests;
  readonly #timeoutMs: number;
  /** the batches still open, per step (a step's Out) and destination */
  readonly #open = new WeakMap<Out, Map<string, Batch>>();

  constructor(requests: Requests, timeoutMs: number) {
    this.#requests = requests;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Puts `record` to `to` (hinted for `hint` unless null) within the step `out` belongs to;
   * `onAnswer` gets the ack. False (nothing sent) when the request bounds leave no room.
   */
  send(out: Out, to: MemberId, hint: MemberId | null, record: SignedRecord, now: number, onAnswer: OnAnswer): boolean {
    const key = hint === null ? to : `${to}|${hint}`;
    let open = this.#open.get(out);
    if (open === undefined) this.#open.set(out, (open = new Map()));
    const size = sizeOf(record);
    const batch = open.get(key);
    if (batch !== undefined && batch.records.length < MAX_RECORDS_PER_MESSAGE && batch.bytes + size <= RECORD_BUDGET_BYTES) {
      // the request is already among the step's outputs; it is encoded once the step is over
      batch.records.push(record);
      batch.answers.push(onAnswer);
      batch.bytes += size;
      return true;
    }
    const fresh: Batch = { records: [record], answers: [onAnswer], bytes: size };
    const sent = this.#requests.send(out, to, (id) => ({ t: 'put', id, records: fresh.records, hint }), now + this.#timeoutMs, (answer, o, t) => {
      if (fresh.records.length > 1 && answer?.t === 'put-ack' && !answer.ok) {
        for (let i = 0; i < fresh.records.length; i++) this.#alone(o, to, hint, fresh.records[i]!, t, fresh.answers[i]!);
        return;
      }
      for (const a of fresh.answers) a(answer, o, t);
    });
    if (sent) open.set(key, fresh);
    return sent;
  }

  /** one record asked again in a request of its own (its batch was refused) */
  #alone(out: Out, to: MemberId, hint: MemberId | null, record: SignedRecord, now: number, onAnswer: OnAnswer): void {
    const sent = this.#requests.send(out, to, (id) => ({ t: 'put', id, records: [record], hint }), now + this.#timeoutMs, onAnswer);
    if (!sent) onAnswer(null, out, now);
  }
}
