/**
 * Shared vocabulary of the asynchronous BFT core (reliable broadcast, binary agreement,
 * asynchronous common subset).
 *
 * Every protocol here is a pure state machine: the caller feeds it an input or a message
 * from a peer and gets back a `Step` — what to send, possibly an output, and which peers
 * misbehaved. No I/O, no timers, no clock, no randomness of its own, so the same core runs
 * in the worker, in the Galaxy and in the in-process simulator, and every run is replayable.
 */

/** Index of a node in the round's ordered facilitator list, 0..n-1. */
export type NodeId = number;

/** Group size and the number of Byzantine nodes tolerated (n ≥ 3f + 1). */
export interface Params {
  readonly n: number;
  readonly f: number;
}

/** The largest f with n ≥ 3f + 1: the most faults an asynchronous BFT protocol can survive. */
export function maxFaulty(n: number): number {
  return Math.floor((n - 1) / 3);
}

/**
 * Signatures that certify a value: n − f. That is ≥ 2f+1, and any two quorums share an
 * honest node for every n (1→1, 2→2, 3→3, 4→3, 7→5). With no nodes at all it is 1, so an
 * empty group never has a quorum.
 */
export function quorumSize(n: number): number {
  if (!Number.isInteger(n) || n < 1) return 1;
  return n - maxFaulty(n);
}

/** Params for n nodes with the maximal f; throws on a group too small to be meaningful. */
export function paramsFor(n: number): Params {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  return { n, f: maxFaulty(n) };
}

/** A misbehaviour we observed, attributable to `node` (feeds reputation later). */
export interface Fault {
  node: NodeId;
  reason: string;
}

/**
 * `to: 'all'` means every *other* node: a state machine handles its own broadcasts
 * locally at once (as hbbft does), so the network never loops messages back to the sender.
 */
export interface Outgoing<M> {
  to: NodeId | 'all';
  message: M;
}

/** The result of feeding one input or message to a state machine. */
export interface Step<M, O> {
  messages: Array<Outgoing<M>>;
  output?: O;
  faults: Fault[];
}

export function emptyStep<M, O>(): Step<M, O> {
  return { messages: [], faults: [] };
}

/** True when `node` is a valid index for these params (messages from elsewhere are dropped). */
export function isNode(params: Params, node: unknown): node is NodeId {
  return typeof node === 'number' && Number.isInteger(node) && node >= 0 && node < params.n;
}
