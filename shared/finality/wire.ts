/**
 * Gossip messages of the agreement layers. Facilitators of a round and the Galaxies run the
 * same protocol (ACS, then signature shares on the decided value's hash), so one signed
 * envelope carries both: `kind` says which, `instance` is the round (facilitators) or the
 * Blackhole height (Galaxies). One envelope carries every message a step produced, so one
 * signature covers them. The sender is authenticated by the envelope signature and must hold
 * a seat in that instance; the receiver's adapter checks both before the core sees it.
 *
 * Encoding: canonical CBOR, `v: 1`; messages are maps with exactly their fields. The
 * signature covers utf8('starweave/envelope/1') ‖ the canonical encoding of the unsigned
 * envelope, so it cannot be replayed as a checkpoint or Blackhole signature.
 */
import { encodeCanonical, type CborValue } from '../codec/cbor.ts';
import { HASH_BYTES, SIGNATURE_BYTES, type Decoded } from '../chain/half-block.ts';
import { PUBLIC_KEY_BYTES } from '../chain/address.ts';
import type { BaMessage } from '../consensus/binary-agreement.ts';
import type { RbcMessage } from '../consensus/reliable-broadcast.ts';
import type { AcsMessage } from '../consensus/subset.ts';
import { MAX_CLUSTERS } from './checkpoint.ts';
import { bool, byteString, decodeWith, domain, fixedBytes, FORMAT_VERSION, int, list, malformed, MAX_SEATS, record, text, version } from './shape.ts';

/**
 * Per-cluster topics: a cluster's round traffic and certificates go only to that cluster's
 * members (and, for certificates, the Galaxies), so a Star judges its own cluster's rounds,
 * not the whole network's. A Star moves topics when a Blackhole block moves it to another
 * cluster (clusters.ts); cluster 0 always exists.
 */
const CLUSTER_TOPIC_PREFIX = { round: '/starweave/round/1/', checkpoint: '/starweave/checkpoint/1/' } as const;

/** cluster `cluster`'s facilitator ACS traffic and checkpoint signature shares */
export function roundTopic(cluster: number): string {
  return CLUSTER_TOPIC_PREFIX.round + cluster;
}

/** cluster `cluster`'s complete checkpoint certificates, up to the Galaxies */
export function checkpointTopic(cluster: number): string {
  return CLUSTER_TOPIC_PREFIX.checkpoint + cluster;
}

/** The kind and cluster of a per-cluster finality topic; undefined for any other topic (or a cluster out of range). */
export function clusterTopic(topic: string): { kind: 'round' | 'checkpoint'; cluster: number } | undefined {
  for (const kind of ['round', 'checkpoint'] as const) {
    if (!topic.startsWith(CLUSTER_TOPIC_PREFIX[kind])) continue;
    const digits = topic.slice(CLUSTER_TOPIC_PREFIX[kind].length);
    // canonical decimal only, so one cluster has exactly one topic name
    if (!/^(0|[1-9][0-9]{0,3})$/.test(digits)) return undefined;
    const cluster = Number(digits);
    return cluster < MAX_CLUSTERS ? { kind, cluster } : undefined;
  }
  return undefined;
}

/** Galaxy ACS traffic and Blackhole signature shares */
export const GALAXY_TOPIC = '/starweave/galaxy/1';
/** quorum-signed Blackhole blocks, down to every Star */
export const BLACKHOLE_TOPIC = '/starweave/blackhole/1';

export const MAX_ENVELOPE_BYTES = 1024 * 1024;
export const MAX_ENVELOPE_ITEMS = 256;
/**
 * Highest binary-agreement epoch accepted off the wire. Honest agreement ends in a few
 * epochs (each ends with probability ≥ 1/2 once the coin is common), so this only stops
 * absurd numbers; the per-peer rate limit bounds a flood of plausible ones.
 */
export const MAX_BA_EPOCH = 1 << 16;

const ENVELOPE_DOMAIN = 'starweave/envelope/1';

export type RoundMessage =
  | { t: 'acs'; m: AcsMessage }
  /** a seat's signature on the decided value's hash (checkpoint or Blackhole header) */
  | { t: 'share'; hash: Uint8Array; sig: Uint8Array };

export interface UnsignedEnvelope {
  kind: 'round' | 'galaxy';
  instance: number;
  cluster: number;
  /** sender's public key (account key for facilitators, Galaxy key for Galaxies) */
  from: Uint8Array;
  /** to: seat index, or -1 for every seat */
  items: Array<{ to: number; m: RoundMessage }>;
}

export interface Envelope extends UnsignedEnvelope {
  sig: Uint8Array;
}

function rbcToCbor(m: RbcMessage): CborValue {
  return m.t === 'val' || m.t === 'value' ? { t: m.t, value: m.value } : { t: m.t, digest: m.digest };
}

function baToCbor(m: BaMessage): CborValue {
  switch (m.t) {
    case 'bval':
    case 'aux':
      return { t: m.t, epoch: m.epoch, value: m.value };
    case 'term':
      return { t: m.t, value: m.value };
  }
}

export function roundMessageToCbor(m: RoundMessage): CborValue {
  if (m.t === 'share') return { t: 'share', hash: m.hash, sig: m.sig };
  const acs = m.m;
  return {
    t: 'acs',
    m: { kind: acs.kind, instance: acs.instance, message: acs.kind === 'rbc' ? rbcToCbor(acs.message) : baToCbor(acs.message) },
  };
}

function unsignedToCbor(e: UnsignedEnvelope): { [key: string]: CborValue } {
  return {
    v: FORMAT_VERSION,
    kind: e.kind,
    instance: e.instance,
    cluster: e.cluster,
    from: e.from,
    items: e.items.map((item) => ({ to: item.to, m: roundMessageToCbor(item.m) })),
  };
}

/**
 * Envelopes are never changed once made or decoded, so their signing bytes are kept per
 * envelope object: an envelope is checked by the core and, in the simulator, one decoded
 * envelope is judged by every member of a cluster.
 */
const signingBytesOf = new WeakMap<UnsignedEnvelope, Uint8Array>();

export function envelopeSigningBytes(e: UnsignedEnvelope): Uint8Array {
  let bytes = signingBytesOf.get(e);
  if (bytes === undefined) {
    bytes = domain(ENVELOPE_DOMAIN, encodeCanonical(unsignedToCbor(e)));
    signingBytesOf.set(e, bytes);
  }
  return bytes;
}

export function encodeEnvelope(e: Envelope): Uint8Array {
  return encodeCanonical({ ...unsignedToCbor(e), sig: e.sig });
}

function tag(value: unknown, what: string): string {
  return text(value, 1, 8, `${what}.t`);
}

function parseRbc(value: unknown, what: string): RbcMessage {
  const t = tag((value as { t?: unknown } | null)?.t, what);
  if (t === 'echo' || t === 'ready' || t === 'want') {
    const r = record(value, ['digest', 't'], what);
    return { t, digest: fixedBytes(r.digest, HASH_BYTES, `${what}.digest`) };
  }
  if (t !== 'val' && t !== 'value') malformed(`${what}: unknown rbc message "${t}"`);
  const r = record(value, ['t', 'value'], what);
  return { t, value: byteString(r.value, 0, MAX_ENVELOPE_BYTES, `${what}.value`) };
}

function parseBa(value: unknown, what: string): BaMessage {
  const t = tag((value as { t?: unknown } | null)?.t, what);
  switch (t) {
    case 'bval':
    case 'aux': {
      const r = record(value, ['epoch', 't', 'value'], what);
      return { t, epoch: int(r.epoch, 0, MAX_BA_EPOCH, `${what}.epoch`), value: bool(r.value, `${what}.value`) };
    }
    case 'term': {
      const r = record(value, ['t', 'value'], what);
      return { t, value: bool(r.value, `${what}.value`) };
    }
    default:
      return malformed(`${what}: unknown ba message "${t}"`);
  }
}

function parseAcs(value: unknown, what: string): AcsMessage {
  const r = record(value, ['instance', 'kind', 'message'], what);
  const instance = int(r.instance, 0, MAX_SEATS - 1, `${what}.instance`);
  if (r.kind === 'rbc') return { kind: 'rbc', instance, message: parseRbc(r.message, `${what}.message`) };
  if (r.kind === 'ba') return { kind: 'ba', instance, message: parseBa(r.message, `${what}.message`) };
  return malformed(`${what}: unknown acs kind`);
}

export function parseRoundMessage(value: unknown, what: string): RoundMessage {
  const t = tag((value as { t?: unknown } | null)?.t, what);
  if (t === 'share') {
    const r = record(value, ['hash', 'sig', 't'], what);
    return { t, hash: fixedBytes(r.hash, HASH_BYTES, `${what}.hash`), sig: fixedBytes(r.sig, SIGNATURE_BYTES, `${what}.sig`) };
  }
  if (t !== 'acs') malformed(`${what}: unknown round message "${t}"`);
  const r = record(value, ['m', 't'], what);
  return { t, m: parseAcs(r.m, `${what}.m`) };
}

/** Shape and limits only (every ACS message checked); the caller verifies `sig` and the seat. */
export function decodeEnvelope(bytes: Uint8Array): Decoded<Envelope> {
  return decodeWith(bytes, MAX_ENVELOPE_BYTES, 'envelope', (value) => {
    const r = record(value, ['cluster', 'from', 'instance', 'items', 'kind', 'sig', 'v'], 'envelope');
    version(r, 'envelope');
    if (r.kind !== 'round' && r.kind !== 'galaxy') malformed('envelope.kind must be "round" or "galaxy"');
    const items = list(r.items, MAX_ENVELOPE_ITEMS, 'envelope.items');
    if (items.length === 0) malformed('envelope carries no messages');
    return {
      kind: r.kind,
      instance: int(r.instance, 0, Number.MAX_SAFE_INTEGER, 'envelope.instance'),
      cluster: int(r.cluster, 0, MAX_CLUSTERS - 1, 'envelope.cluster'),
      from: fixedBytes(r.from, PUBLIC_KEY_BYTES, 'envelope.from'),
      items: items.map((item, i) => {
        const ir = record(item, ['m', 'to'], `items[${i}]`);
        return { to: int(ir.to, -1, MAX_SEATS - 1, `items[${i}].to`), m: parseRoundMessage(ir.m, `items[${i}].m`) };
      }),
      sig: fixedBytes(r.sig, SIGNATURE_BYTES, 'envelope.sig'),
    };
  });
}
