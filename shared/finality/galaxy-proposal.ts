/**
 * A Galaxy's ACS value for one Blackhole height: the checkpoint certificates it holds for
 * that round (one per cluster), the Stars it saw present (the next roster's candidates)
 * and its clock. Canonical CBOR; decoded from other Galaxies, so shape and limits are
 * checked here and anything malformed counts as an empty proposal for everyone alike.
 */
import type { Decoded } from '../chain/half-block.ts';
import { decodeCanonical, encodeCanonical, isRecord } from '../codec/cbor.ts';
import { MAX_ROSTER } from './blackhole.ts';

export const GALAXY_PROPOSAL_VERSION = 1;
/** certs one proposal may carry (one per cluster; clusters split later) */
export const MAX_PROPOSAL_CERTS = 64;

export interface GalaxyProposal {
  /** encodeCheckpointCert bytes */
  certs: Uint8Array[];
  roster: Uint8Array[];
  time: number;
}

export function encodeGalaxyProposal(p: GalaxyProposal): Uint8Array {
  return encodeCanonical({ v: GALAXY_PROPOSAL_VERSION, certs: p.certs, roster: p.roster, time: p.time });
}

export function decodeGalaxyProposal(bytes: Uint8Array): Decoded<GalaxyProposal> {
  let v: unknown;
  try {
    v = decodeCanonical(bytes);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (!isRecord(v) || Object.keys(v).length !== 4 || v.v !== GALAXY_PROPOSAL_VERSION) return { ok: false, reason: 'not a galaxy proposal' };
  const { certs, roster, time } = v;
  if (!Array.isArray(certs) || certs.length > MAX_PROPOSAL_CERTS || !certs.every((c) => c instanceof Uint8Array)) return { ok: false, reason: 'bad certs' };
  if (!Array.isArray(roster) || roster.length > MAX_ROSTER || !roster.every((k) => k instanceof Uint8Array && k.length === 32)) return { ok: false, reason: 'bad roster' };
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) return { ok: false, reason: 'bad time' };
  return { ok: true, value: { certs: certs as Uint8Array[], roster: roster as Uint8Array[], time } };
}
