/**
 * Test-only: a few Galaxies (GalaxyCore) wired together synchronously with real Ed25519
 * keys, and helpers to certify checkpoints as a round's facilitators would, for the
 * GalaxyCore and StarFinality unit tests. No latency here (the simulator has that): every
 * envelope is delivered to every other Galaxy in the order it was sent.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import { blackholeSigningBytes, type BlackholeBlock } from './blackhole.ts';
import { checkpointHash, checkpointSigningBytes, mergeProposals, type CandidateBlock, type Checkpoint, type CheckpointCert } from './checkpoint.ts';
import { GalaxyCore, type GalaxyOptions, type GalaxyOutputs, type StoredBlackhole } from './galaxy-core.ts';
import { nobleVerify, testKey, type TestKey } from './test-fixtures.ts';
import { envelopeSigningBytes, type Envelope } from './wire.ts';

export const NETWORK = 'starweave-test';

export class GalaxyNet {
  readonly keys: TestKey[];
  readonly cores: GalaxyCore[];
  /** seats that take no part (crashed) */
  readonly down = new Set<number>();
  readonly refused: string[] = [];
  readonly published: StoredBlackhole[] = [];
  #queue: Array<{ from: number; env: Envelope }> = [];

  constructor(count: number, balances: ReadonlyMap<string, number>, extra: Partial<GalaxyOptions> = {}) {
    this.keys = Array.from({ length: count }, (_, i) => testKey(200 + i));
    const galaxies = this.keys.map((k) => k.pk);
    this.cores = this.keys.map((_, me) => new GalaxyCore({ network: NETWORK, galaxies, me, balances, verify: nobleVerify, ...extra }));
  }

  get galaxies(): Uint8Array[] {
    return this.keys.map((k) => k.pk);
  }

  /** What a Galaxy process does with the core's outputs: sign, publish, persist. */
  absorb(i: number, out: GalaxyOutputs, now: number): void {
    for (const r of out.refused) this.refused.push(r.reason);
    for (const u of out.send) this.#queue.push({ from: i, env: { ...u, sig: this.keys[i]!.sign(envelopeSigningBytes(u)) } });
    if (out.signBlock) this.absorb(i, this.cores[i]!.signedBlock(out.signBlock.height, this.keys[i]!.sign(blackholeSigningBytes(out.signBlock.hash)), now), now);
    if (i === this.first) this.published.push(...out.blocks);
  }

  /** Delivers queued envelopes until none are left. */
  flush(now: number): void {
    while (this.#queue.length > 0) {
      const { from, env } = this.#queue.shift()!;
      if (this.down.has(from)) continue;
      this.cores.forEach((core, i) => {
        if (i !== from && !this.down.has(i)) this.absorb(i, core.onEnvelope(env, now), now);
      });
    }
  }

  get first(): number {
    return this.cores.findIndex((_, i) => !this.down.has(i));
  }

  each(f: (core: GalaxyCore, i: number) => GalaxyOutputs | void, now: number): void {
    this.cores.forEach((core, i) => {
      if (this.down.has(i)) return;
      const out = f(core, i);
      if (out) this.absorb(i, out, now);
    });
    this.flush(now);
  }

  presence(pks: readonly Uint8Array[], now: number): void {
    for (const core of this.cores) for (const pk of pks) core.onPresence(pk, 0, now);
  }

  tick(now: number): void {
    this.each((core) => core.tick(now), now);
  }

  submit(cert: CheckpointCert, now: number): void {
    this.each((core) => core.onCheckpoint(cert, now), now);
  }

  get head(): BlackholeBlock {
    return this.cores[this.first]!.head;
  }
}

/** Facilitator keys (as Stars' account keys) by seed byte. */
export function facilitatorKeys(count: number, from = 100): TestKey[] {
  return Array.from({ length: count }, (_, i) => testKey(from + i));
}

/**
 * The cert the round's seats would make for `blocks` (merged as the facilitators would),
 * signed by the seats in `signers` (default: all). `seats` are the round's facilitator keys
 * in seat order.
 */
export function certify(
  seats: readonly Uint8Array[],
  keys: readonly TestKey[],
  checkpoint: Omit<Checkpoint, 'entries'>,
  blocks: readonly CandidateBlock[],
  signers?: readonly number[],
): CheckpointCert {
  const merged = mergeProposals([blocks]);
  const cp: Checkpoint = { ...checkpoint, entries: merged.map((c) => c.hash) };
  const message = checkpointSigningBytes(checkpointHash(cp));
  const byPk = new Map(keys.map((k) => [toHex(k.pk), k]));
  const sigs = (signers ?? seats.map((_, i) => i)).map((signer) => ({ signer, sig: byPk.get(toHex(seats[signer]!))!.sign(message) }));
  return { checkpoint: cp, blocks: merged.map((c) => c.bytes), sigs };
}

export function hexes(list: readonly Uint8Array[]): string[] {
  return list.map(toHex);
}

export function hashOf(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}
