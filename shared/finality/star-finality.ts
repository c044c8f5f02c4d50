/**
 * A Star's side of finality, pure: it follows Blackhole blocks like a light client (Galaxy
 * quorum signatures checked, `finalRoot` recomputed from the accepted list), tracks which
 * half-blocks are checkpointed (a certified checkpoint covers them), final or rejected, and
 * when this Star holds a facilitator seat it runs the round's AgreementRound and builds the
 * checkpoint. Signatures are verified and made by the caller (the worker, batched through
 * WebCrypto; the simulator, directly): the core hands out what to verify or sign and takes
 * the verdicts back.
 *
 * When a seat proposes: as soon as this Star holds a non-final half-block, or another
 * seat's message for the round arrives, or `idleProposeMs` after the round began.
 */
import type { VerifyItem } from '../crypto/ed25519.ts';
import type { Fault } from '../consensus/types.ts';
import type { BlackholeBlock } from './blackhole.ts';
import type { CandidateBlock, CheckpointCert } from './checkpoint.ts';
import type { Envelope, UnsignedEnvelope } from './wire.ts';

export const IDLE_PROPOSE_MS = 2_000;
/** envelopes for rounds ahead of ours are kept (bounded) until we reach them */
export const MAX_EARLY_ENVELOPES = 512;

export interface StarFinalityOptions {
  self: Uint8Array;
  cluster: number;
  genesis: BlackholeBlock;
  galaxies: Uint8Array[];
  /** this Star's non-final half-blocks that a seat may propose (oldest first) */
  pending(): CandidateBlock[];
  idleProposeMs?: number;
}

export interface FinalityOutputs {
  /** sign (envelopeSigningBytes) and publish on ROUND_TOPIC */
  send: UnsignedEnvelope[];
  /** ACS decided: check these blocks' signatures, then call `unionVerified` */
  verifyUnion?: { round: number; blocks: CandidateBlock[] };
  /** sign checkpointSigningBytes(hash), then call `signedCheckpoint` */
  signCheckpoint?: { round: number; hash: Uint8Array };
  /** publish on CHECKPOINT_TOPIC */
  certs: CheckpointCert[];
  /** half-block hashes (hex) that changed state */
  checkpointed: string[];
  final: string[];
  rejected: string[];
  /** blocks are missing from this height on: fetch them from a Galaxy */
  fetchFrom?: number;
  faults: Fault[];
}

export type BlackholeCheck =
  | { kind: 'verify'; items: VerifyItem[] }
  | { kind: 'old' }
  | { kind: 'gap'; from: number }
  | { kind: 'invalid'; reason: string };

export type EnvelopeCheck = { kind: 'verify'; items: VerifyItem[] } | { kind: 'later' } | { kind: 'invalid'; reason: string };

export class StarFinality {
  constructor(opts: StarFinalityOptions) {
    throw new Error('not implemented');
  }

  /** height of the last verified Blackhole block (0: only genesis) */
  get height(): number {
    throw new Error('not implemented');
  }

  /** the round in progress: height + 1 */
  get round(): number {
    throw new Error('not implemented');
  }

  get head(): BlackholeBlock {
    throw new Error('not implemented');
  }

  /** the seats of a round this Star can compute (the round after its head), else undefined */
  facilitators(round: number): Uint8Array[] | undefined {
    throw new Error('not implemented');
  }

  statusOf(hashHex: string): 'open' | 'checkpointed' | 'final' | 'rejected' {
    throw new Error('not implemented');
  }

  /** the Merkle path of a final half-block (to show or hand to others) */
  proofOf(hashHex: string): import('./blackhole.ts').FinalityProof | undefined {
    throw new Error('not implemented');
  }

  checkBlackhole(block: BlackholeBlock): BlackholeCheck {
    throw new Error('not implemented');
  }

  /** `verdicts` aligned with the items checkBlackhole returned. */
  acceptBlackhole(block: BlackholeBlock, verdicts: readonly boolean[], now: number): FinalityOutputs {
    throw new Error('not implemented');
  }

  /** Seat check and the signatures to verify: the envelope's and every share's. */
  checkEnvelope(env: Envelope): EnvelopeCheck {
    throw new Error('not implemented');
  }

  acceptEnvelope(env: Envelope, verdicts: readonly boolean[], now: number): FinalityOutputs {
    throw new Error('not implemented');
  }

  checkCert(cert: CheckpointCert): EnvelopeCheck {
    throw new Error('not implemented');
  }

  acceptCert(cert: CheckpointCert, verdicts: readonly boolean[]): FinalityOutputs {
    throw new Error('not implemented');
  }

  /** `verdicts` aligned with verifyUnion.blocks. */
  unionVerified(round: number, verdicts: readonly boolean[], now: number): FinalityOutputs {
    throw new Error('not implemented');
  }

  signedCheckpoint(round: number, sig: Uint8Array, now: number): FinalityOutputs {
    throw new Error('not implemented');
  }

  /** Timers: idle proposals. */
  tick(now: number): FinalityOutputs {
    throw new Error('not implemented');
  }
}
