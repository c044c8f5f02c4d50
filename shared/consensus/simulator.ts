/**
 * SIMULATOR — an in-process, single-threaded network for testing the consensus state
 * machines. It is not a transport: no sockets, no real time. Simulated time advances from
 * one scheduled delivery to the next, and a seeded PRNG decides every latency, loss and
 * ordering, so a run is a pure function of its options and can be replayed from its seed.
 *
 * Network model: each point-to-point message gets a latency drawn uniformly from
 * `latency`; with probability `loss` the first copy is lost and the message arrives after
 * an extra `retransmitAfter` (the protocols assume eventual delivery between honest nodes,
 * so loss is modelled as a retransmission delay, not a drop).
 *
 * Byzantine behaviours (a node with any behaviour other than 'honest' counts as faulty):
 * - 'silent': runs nothing and sends nothing (a crashed or withholding node);
 * - 'equivocate': runs the honest core but corrupts what it sends to a seeded half of the
 *   other nodes (different VALs, conflicting ECHO/READY/BVAL/AUX/TERM);
 * - 'delay': runs the honest core but its messages take 10× longer (a sleeping tab).
 *
 * The generic engine (`simulate`) drives any protocol exposing start/handle, so the same
 * simulator tests reliable broadcast and binary agreement alone and the full common subset.
 */
import { corruptAcs } from './byzantine.ts';
import { seededCoin } from './coin.ts';
import { seededRng, type Rng } from './prng.ts';
import { CommonSubset, type AcsMessage, type Contribution } from './subset.ts';
import { paramsFor, type Fault, type NodeId, type Outgoing, type Step } from './types.ts';

export type Behaviour = 'honest' | 'silent' | 'equivocate' | 'delay';

/** One node's protocol instance as the simulator sees it. */
export interface SimProtocol<M, O> {
  /** Called once at time 0 (e.g. propose or input). */
  start(): Step<M, O>;
  handle(from: NodeId, message: M): Step<M, O>;
}

export interface SimOptions<M, O> {
  n: number;
  seed: number;
  /** Per node; missing entries are 'honest'. */
  behaviours?: Behaviour[];
  create(node: NodeId, rng: Rng): SimProtocol<M, O>;
  /** How an equivocating sender garbles a message for a victim recipient. */
  corrupt(message: M, to: NodeId, rng: Rng): M;
  /** Label for message counts, e.g. 'rbc.echo'. */
  kindOf(message: M): string;
  /** Per-message latency range in simulated ms; default [5, 50]. */
  latency?: [number, number];
  /** Probability that the first transmission is lost; default 0. */
  loss?: number;
  /** Extra delay of a lost message before its retransmission lands; default 200. */
  retransmitAfter?: number;
  /** Maximum number of deliveries before giving up; default 1_000_000. */
  maxSteps?: number;
}

export interface SimResult<O> {
  /** Output of each node (undefined: none, or the node is silent). */
  outputs: Array<O | undefined>;
  /** Simulated time (ms) at which each node produced its output. */
  outputAt: Array<number | undefined>;
  /** True when every honest node produced an output within the step budget. */
  allHonestOutput: boolean;
  honest: NodeId[];
  /** Simulated ms when the run stopped. */
  time: number;
  /** Point-to-point messages delivered. */
  deliveries: number;
  /** Point-to-point messages sent, total and per kind (each 'all' counts n−1 times). */
  sent: number;
  sentByKind: Record<string, number>;
  /** Faults reported by honest nodes, with the reporter. */
  faults: Array<Fault & { reporter: NodeId }>;
}

interface Pending<M> {
  at: number;
  seq: number;
  from: NodeId;
  to: NodeId;
  message: M;
}

export function simulate<M, O>(options: SimOptions<M, O>): SimResult<O> {
  const { n } = options;
  const rng = seededRng(options.seed);
  const behaviours: Behaviour[] = Array.from({ length: n }, (_, i) => options.behaviours?.[i] ?? 'honest');
  const [minLatency, maxLatency] = options.latency ?? [5, 50];
  const loss = options.loss ?? 0;
  const retransmitAfter = options.retransmitAfter ?? 200;
  const maxSteps = options.maxSteps ?? 1_000_000;

  // Each equivocator picks, once, the half of the other nodes it lies to.
  const victims = behaviours.map((b, me) =>
    b === 'equivocate' ? new Set(range(n).filter((to) => to !== me && rng.next() < 0.5)) : new Set<NodeId>(),
  );
  const nodes = behaviours.map((b, i) => (b === 'silent' ? undefined : options.create(i, rng)));
  const honest = range(n).filter((i) => behaviours[i] === 'honest');
  const outputs: Array<O | undefined> = new Array(n).fill(undefined);
  const outputAt: Array<number | undefined> = new Array(n).fill(undefined);
  const faults: SimResult<O>['faults'] = [];
  const sentByKind: Record<string, number> = {};
  const queue = new MinHeap<Pending<M>>((a, b) => a.at - b.at || a.seq - b.seq);
  let seq = 0;
  let sent = 0;
  let now = 0;

  const enqueue = (from: NodeId, to: NodeId, message: M): void => {
    const behaviour = behaviours[from];
    const payload = behaviour === 'equivocate' && victims[from]!.has(to) ? options.corrupt(message, to, rng) : message;
    let delay = minLatency + rng.next() * (maxLatency - minLatency);
    if (rng.next() < loss) delay += retransmitAfter;
    if (behaviour === 'delay') delay *= 10;
    const kind = options.kindOf(payload);
    sentByKind[kind] = (sentByKind[kind] ?? 0) + 1;
    sent++;
    queue.push({ at: now + delay, seq: seq++, from, to, message: payload });
  };

  const apply = (node: NodeId, step: Step<M, O>): void => {
    for (const out of step.messages) dispatch(node, out);
    if (behaviours[node] === 'honest') for (const fault of step.faults) faults.push({ ...fault, reporter: node });
    if (step.output !== undefined && outputs[node] === undefined) {
      outputs[node] = step.output;
      outputAt[node] = now;
    }
  };
  const dispatch = (from: NodeId, out: Outgoing<M>): void => {
    if (out.to === 'all') {
      for (let to = 0; to < n; to++) if (to !== from) enqueue(from, to, out.message);
    } else if (out.to !== from) {
      enqueue(from, out.to, out.message);
    }
  };
  const done = (): boolean => honest.every((i) => outputs[i] !== undefined);

  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    if (node !== undefined) apply(i, node.start());
  }
  let deliveries = 0;
  while (!done() && queue.size > 0 && deliveries < maxSteps) {
    const next = queue.pop()!;
    now = next.at;
    deliveries++;
    const node = nodes[next.to];
    if (node !== undefined) apply(next.to, node.handle(next.from, next.message));
  }
  return { outputs, outputAt, allHonestOutput: done(), honest, time: now, deliveries, sent, sentByKind, faults };
}

export interface AcsSimOptions {
  n: number;
  seed: number;
  behaviours?: Behaviour[];
  /** Node i's proposal; default the text `proposal <i>`. */
  proposals?: Uint8Array[];
  latency?: [number, number];
  loss?: number;
  retransmitAfter?: number;
  maxSteps?: number;
}

/**
 * n nodes running the ACS core, with BA j's coin seeded from the run's seed as a round's
 * coin would be from the previous Blackhole hash. Message kinds are counted as
 * 'rbc.val', 'rbc.echo', 'rbc.ready', 'ba.bval', 'ba.aux', 'ba.conf', 'ba.term'.
 */
export function simulateAcs(options: AcsSimOptions): SimResult<Contribution[]> {
  const params = paramsFor(options.n);
  const coinSeed = new TextEncoder().encode(`simulated round ${options.seed}`);
  const proposals = options.proposals ?? range(options.n).map((i) => new TextEncoder().encode(`proposal ${i}`));
  return simulate<AcsMessage, Contribution[]>({
    ...options,
    create: (me) => {
      const acs = new CommonSubset(params, me, (j) => seededCoin(coinSeed, j));
      return { start: () => acs.propose(proposals[me]!), handle: (from, m) => acs.handle(from, m) };
    },
    corrupt: corruptAcs,
    kindOf: (m) => `${m.kind}.${m.message.t}`,
  });
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Binary heap; the simulator's event queue. */
export class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => number;
  constructor(compare: (a: T, b: T) => number) {
    this.#less = compare;
  }
  get size(): number {
    return this.#items.length;
  }
  push(item: T): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#less(a[i]!, a[parent]!) >= 0) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): T | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.#less(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.#less(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Lock-step delivery, for counting message delays: every message sent in one step reaches
 * its receivers (every other node for 'all') in the next. `first` is what the nodes sent to
 * start; returns how many message delays passed until `done()`, or throws after `maxDelays`.
 */
export function lockStepDelays<M>(
  nodes: ReadonlyArray<{ handle(from: NodeId, message: M): { messages: Outgoing<M>[] } }>,
  first: Array<{ from: NodeId; messages: Outgoing<M>[] }>,
  done: () => boolean,
  maxDelays = 10,
): number {
  const flatten = (sent: Array<{ from: NodeId; messages: Outgoing<M>[] }>) => sent.flatMap(({ from, messages }) => messages.map((m) => ({ from, ...m })));
  let inFlight = flatten(first);
  let delays = 0;
  while (!done()) {
    if (++delays > maxDelays) throw new Error(`not done after ${maxDelays} message delays`);
    const next: Array<{ from: NodeId; messages: Outgoing<M>[] }> = [];
    for (const { from, to, message } of inFlight) {
      nodes.forEach((node, me) => {
        if (me !== from && (to === 'all' || to === me)) next.push({ from: me, messages: node.handle(from, message).messages });
      });
    }
    inFlight = flatten(next);
  }
  return delays;
}
