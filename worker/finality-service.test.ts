/**
 * The worker's finality adapter end to end in Node, without a browser: four Stars (each a
 * ChainService and a FinalityService on an in-memory IndexedDB) and one GalaxyCore, joined
 * by an in-memory gossip bus. Transfers must become checkpointed and then final in every
 * Star, final balances must agree, and a Star restarted on its database must resume from
 * the Blackhole blocks it kept.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { addressFromPublicKey } from '../shared/chain/address.ts';
import { CHAIN_TOPIC } from '../shared/gossip/topics.ts';
import { fromHex, toHex } from '../shared/codec/hex.ts';
import { encodeChainMessage } from '../shared/chain/chain-message.ts';
import type { Signer } from '../shared/crypto/signer.ts';
import { blackholeSigningBytes, encodeBlackhole } from '../shared/finality/blackhole.ts';
import { encodeStoredBlackhole, GalaxyCore, type GalaxyOutputs } from '../shared/finality/galaxy-core.ts';
import { BLACKHOLE_TOPIC, checkpointTopic, roundTopic } from '../shared/finality/wire.ts';
import { decodeCheckpointCert, type CheckpointCert } from '../shared/finality/checkpoint.ts';
import type { Transfer } from '../shared/chain/transfers.ts';
import { createLogger } from '../relay/log.ts';
import { HeadWaiters } from '../relay/galaxy/head-waiters.ts';
import { createGalaxyHttpServer } from '../relay/galaxy/http.ts';
import { createGalaxyMetrics } from '../relay/galaxy/metrics.ts';
import { ChainService, type CoreOutputs } from './chain-service.ts';
import { FinalityService } from './finality-service.ts';
import type { StarDb } from './star-db.ts';

const NETWORK = 'finality-service-test';

function signerOf(seed: number): Signer & { secret: Uint8Array } {
  const secret = new Uint8Array(32).fill(seed);
  return { pk: ed25519.getPublicKey(secret), secret, sign: async (m) => ed25519.sign(m, secret) };
}

/** The parts of idb's API the worker uses, over Maps (values cloned as IndexedDB would). */
function memoryDb(): StarDb {
  const stores = new Map<string, Map<IDBValidKey, unknown>>();
  const storeOf = (name: string) => stores.get(name) ?? stores.set(name, new Map()).get(name)!;
  let auto = 0;
  const sortedKeys = (name: string) => [...storeOf(name).keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const api = (name: string) => ({
    add: async (value: unknown, key?: IDBValidKey) => {
      const k = key ?? ++auto;
      storeOf(name).set(k, structuredClone(value));
      return k;
    },
    openCursor: async () => {
      const keys = sortedKeys(name);
      const at = (i: number): unknown =>
        i >= keys.length ? null : { key: keys[i], value: structuredClone(storeOf(name).get(keys[i]!)), continue: async () => at(i + 1) };
      return at(0);
    },
  });
  const db = {
    getAll: async (name: string) => sortedKeys(name).map((k) => structuredClone(storeOf(name).get(k))),
    add: (name: string, value: unknown, key?: IDBValidKey) => api(name).add(value, key),
    put: async (name: string, value: unknown, key: IDBValidKey) => {
      storeOf(name).set(key, structuredClone(value));
      return key;
    },
    delete: async (name: string, range: IDBKeyRange | IDBValidKey) => {
      for (const k of sortedKeys(name)) if (range instanceof Object && 'lower' in (range as object) ? k >= (range as IDBKeyRange).lower : k === range) storeOf(name).delete(k);
    },
    clear: async (name: string) => storeOf(name).clear(),
    transaction: (name: string) => ({ store: api(name), done: Promise.resolve() }),
    close: () => undefined,
  };
  return db as unknown as StarDb;
}

interface TestStar {
  signer: Signer;
  address: string;
  db: StarDb;
  chain: ChainService;
  finality: FinalityService;
  transfers: Transfer[];
  /** what the service told the page about this Star's cluster (out.cluster) */
  clusters: number[];
}

/** A transfer's status in a Star, or the error code while that Star does not know it yet. */
function statusIn(star: TestStar, id: string): string {
  try {
    return star.chain.status(id);
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A tiny network: Stars and one Galaxy on one gossip bus (messages delivered asynchronously, never to the sender). */
class Network {
  readonly stars: TestStar[] = [];
  readonly galaxySigner = signerOf(99);
  readonly galaxy: GalaxyCore;
  readonly balances: Map<string, number>;
  private timer?: ReturnType<typeof setInterval>;
  private galaxyQueue: Promise<unknown> = Promise.resolve();
  certs = 0;
  /** whether the Galaxy hears the checkpoint gossip (else only certificates posted to it over HTTP) */
  certsByGossip = true;
  /** certificates posted to the Galaxy's HTTP API */
  posted = 0;
  readonly errors: unknown[] = [];
  /** called with each block's height once the Galaxy completed it */
  onBlock?: (height: number) => void;
  /** the last round envelope and certificate published (cluster 0's topics) */
  lastRound?: Uint8Array;
  lastCert?: Uint8Array;
  /** every Blackhole block the Galaxy made, encoded */
  readonly blocks: Uint8Array[] = [];

  constructor(balances: Map<string, number>) {
    this.balances = balances;
    this.galaxy = new GalaxyCore({
      network: NETWORK,
      galaxies: [this.galaxySigner.pk],
      me: 0,
      balances,
      verify: (i) => ed25519.verify(i.sig, i.message, i.pk),
      roundTimeoutMs: 3_000,
      emptyRosterMs: 300,
    });
  }

  /**
   * Starts the Galaxy's clock with the first Star. Each suite builds its network when the
   * file loads; a clock running from then would make empty blocks, with growing timeouts,
   * while earlier suites run.
   */
  startClock(): void {
    this.timer ??= setInterval(() => {
      const now = Date.now();
      this.galaxyRun(() => {
        for (const s of this.stars) this.galaxy.onPresence(s.signer.pk, 0, now);
        return this.galaxy.tick(now);
      });
    }, 100);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const s of this.stars) s.finality.close();
  }

  async addStar(signer: Signer, db = memoryDb()): Promise<TestStar> {
    this.startClock();
    const transfers: Transfer[] = [];
    const clusters: number[] = [];
    const self = { signer } as TestStar;
    const out: CoreOutputs = {
      publish: (topic, bytes) => this.publish(self, topic, bytes),
      deliver: () => undefined,
      sync: () => undefined,
      transfer: (t) => transfers.push(t),
      fraud: () => undefined,
      storeSend: () => undefined,
      message: () => undefined,
      storage: () => undefined,
      cluster: (c) => clusters.push(c),
    };
    const finality = new FinalityService({ signer, network: NETWORK, galaxies: [this.galaxySigner.pk], balances: this.balances, db, out });
    const chain = await ChainService.open(signer, this.balances, db, out, Date.now(), finality.hooks());
    await finality.start(chain);
    Object.assign(self, { address: addressFromPublicKey(signer.pk), db, chain, finality, transfers, clusters });
    this.stars.push(self);
    // what the head follower would fetch from the Galaxy's HTTP API, which this network lacks:
    // the blocks made before this Star joined (gossip brings it the ones after)
    void finality.judgeBlackhole(this.blocks);
    return self;
  }

  private publish(from: TestStar, topic: string, bytes: Uint8Array): void {
    if (topic === roundTopic(0)) this.lastRound = bytes;
    if (topic === checkpointTopic(0)) this.lastCert = bytes;
    setTimeout(() => {
      for (const s of this.stars) {
        if (s === from || !this.stars.includes(s)) continue;
        if (topic === CHAIN_TOPIC) void s.chain.judgeGossip([{ bytes, from: 'peer' }], Date.now());
        if (topic === roundTopic(0)) void s.finality.judgeRound([{ bytes, cluster: 0 }]);
        if (topic === checkpointTopic(0)) void s.finality.judgeCheckpoint([{ bytes, cluster: 0 }]);
        if (topic === BLACKHOLE_TOPIC) void s.finality.judgeBlackhole([bytes]);
      }
      if (topic === checkpointTopic(0) && this.certsByGossip) {
        const d = decodeCheckpointCert(bytes);
        if (d.ok) this.takeCert(d.value);
      }
    }, 1);
  }

  /** A certificate for the Galaxy, from gossip or posted over HTTP. */
  takeCert(cert: CheckpointCert): void {
    this.certs++;
    this.galaxyRun(() => this.galaxy.onCheckpoint(cert, Date.now()));
  }

  /** The Galaxy's outputs: sign its block share, publish complete blocks to the Stars. */
  private galaxyRun(step: () => GalaxyOutputs): void {
    this.galaxyQueue = this.galaxyQueue.then(async () => {
      let out: GalaxyOutputs | undefined = step();
      while (out) {
        for (const stored of out.blocks) {
          this.onBlock?.(stored.block.header.height);
          const bytes = encodeBlackhole(stored.block);
          this.blocks.push(bytes);
          this.publish(undefined as unknown as TestStar, BLACKHOLE_TOPIC, bytes);
        }
        const sign: GalaxyOutputs['signBlock'] = out.signBlock;
        out = sign ? this.galaxy.signedBlock(sign.height, await this.galaxySigner.sign(blackholeSigningBytes(sign.hash)), Date.now()) : undefined;
      }
    }).catch((err: unknown) => {
      this.errors.push(err);
      console.error('galaxy step failed', err);
    });
  }
}

describe('finality service (worker adapter)', () => {
  const signers = [1, 2, 3, 4].map(signerOf);
  const balances = new Map([[toHex(signers[0]!.pk), 1_000]]);
  const net = new Network(balances);
  after(() => net.stop());

  it('transfers become checkpointed, then final, in every Star; final balances agree; a restart resumes', async () => {
    for (const s of signers) await net.addStar(s);
    const [a, b, , d] = net.stars;
    const { id } = await a!.chain.transfer(b!.address, 30, 'to b', Date.now());
    await until('the transfer to be final at the sender and receiver', () => statusIn(a!, id) === 'final' && statusIn(b!, id) === 'final');
    await until('every Star to see it final', () => net.stars.every((s) => statusIn(s, id) === 'final'));

    // the sender saw the statuses move on, as transfer events
    const seen = a!.transfers.filter((t) => t.id === id).map((t) => t.status);
    assert.equal(seen.at(-1), 'final');
    assert.ok(seen.includes('agreed'), seen.join());
    assert.ok(seen.includes('checkpointed'), seen.join());

    for (const s of net.stars) {
      assert.equal(s.chain.balance(a!.address).final, 970, 'the sender’s final balance');
      assert.equal(s.chain.balance(b!.address).final, 30, 'the receiver’s final balance');
      const history = s === b ? s.chain.history() : undefined;
      if (history) assert.equal(history.find((t) => t.id === id)?.status, 'final');
    }
    const status = d!.finality.status();
    assert.ok(status.finalHeight > 0);
    // one cluster all along: the page was told once, at start, to be in cluster 0's topics
    for (const s of net.stars) assert.deepEqual(s.clusters, [0]);
    // cluster 0's envelope or certificate on cluster 1's topic is where it does not belong
    assert.deepEqual(await d!.finality.judgeRound([{ bytes: net.lastRound!, cluster: 1 }]), ['reject']);
    assert.deepEqual(await d!.finality.judgeCheckpoint([{ bytes: net.lastCert!, cluster: 1 }]), ['reject']);
    assert.equal(status.round, status.finalHeight + 1);
    assert.ok(status.final >= 2);

    // the proof a Star shows for a final half-block verifies (path and Galaxy quorum)
    const proof = await b!.finality.proof(id);
    assert.ok(proof, 'the receiver keeps the proof of the proposal');
    assert.equal(proof.verified, true);
    assert.equal(proof.hash, id);
    assert.ok(proof.height >= 1 && proof.height <= status.finalHeight);

    // restart Star d on its database: it resumes from the kept Blackhole blocks
    const head = d!.finality.status().finalHeight;
    d!.finality.close();
    net.stars.splice(net.stars.indexOf(d!), 1);
    const again = await net.addStar(d!.signer, d!.db);
    assert.ok(again.finality.status().finalHeight >= head, 'the kept blocks were replayed');
    assert.equal(again.chain.status(id), 'final');
    assert.equal(again.chain.balance(a!.address).final, 970);

    // and a second transfer still becomes final with the restarted Star in the network
    const second = await b!.chain.transfer(again.address, 5, 'to d', Date.now());
    await until('the second transfer to be final at the restarted Star', () => statusIn(again, second.id) === 'final');
    assert.equal(again.chain.balance(again.address).final, 5);
    assert.deepEqual(net.errors, []);
  });
});

describe('finality service with a forking account', () => {
  const signers = [11, 12, 13, 14].map(signerOf);
  const funds = 500;
  const balances = new Map([[toHex(signers[0]!.pk), funds]]);
  const net = new Network(balances);
  after(() => net.stop());

  it('never makes both spends final, and every Star agrees on final balances', async () => {
    for (const s of signers) await net.addStar(s);
    const [forker, a, b] = net.stars;
    const startHeight = net.stars[3]!.finality.status().finalHeight;
    await forker!.chain.forkForTest(a!.address, funds, Date.now(), b!.address);
    await until('several rounds past the fork', () => net.stars.every((s) => s.finality.status().finalHeight >= startHeight + 4));
    await until('the Stars to agree on final balances', () => {
      const rows = net.stars.map((s) => [forker!, a!, b!].map((x) => s.chain.balance(x.address).final).join());
      return rows.every((r) => r === rows[0]);
    });
    const row = [forker!, a!, b!].map((x) => net.stars[3]!.chain.balance(x.address).final);
    assert.equal(row[0]! + row[1]! + row[2]!, funds, `final balances ${row.join()} must add up to the funds`);
    assert.ok(row[1]! + row[2]! <= funds, 'never both spends');
    assert.ok(row[0]! >= 0);
    assert.deepEqual(net.errors, []);
  });
});

/** The Galaxy's real HTTP API over a test network's GalaxyCore, with its long poll. */
async function galaxyHttp(net: Network): Promise<{ base: string; heads: HeadWaiters; close: () => void }> {
  const heads = new HeadWaiters(16);
  net.onBlock = (height) => heads.notify(height);
  const server = createGalaxyHttpServer({
    view: {
      height: () => net.galaxy.height,
      block: (h) => net.galaxy.block(h),
      storedBytes: (h) => {
        const stored = net.galaxy.block(h);
        return stored && encodeStoredBlackhole(stored);
      },
      account: () => undefined,
      proof: () => undefined,
      submitCheckpoint: async (data) => {
        const d = decodeCheckpointCert(data);
        if (!d.ok) return { ok: false, code: 'MALFORMED', reason: d.reason };
        net.posted++;
        net.takeCert(d.value);
        return { ok: true };
      },
      waitForHeight: (h, ms, signal) => (net.galaxy.height >= h ? Promise.resolve(true) : heads.wait(h, ms, signal)),
    },
    log: createLogger('silent'),
    metrics: createGalaxyMetrics(),
    health: () => ({ ok: true, detail: {} }),
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
  return { base, heads, close: () => server.close() };
}

/** A Star on no gossip bus at all: every Blackhole block and certificate it learns comes from a Galaxy over HTTP. */
async function httpOnlyStar(net: Network, seed: number): Promise<{ chain: ChainService; finality: FinalityService }> {
  const signer = signerOf(seed);
  const db = memoryDb();
  const out: CoreOutputs = { publish: () => undefined, deliver: () => undefined, sync: () => undefined, transfer: () => undefined, fraud: () => undefined, storeSend: () => undefined, message: () => undefined, storage: () => undefined };
  const finality = new FinalityService({ signer, network: NETWORK, galaxies: [net.galaxySigner.pk], balances: net.balances, db, out });
  const chain = await ChainService.open(signer, net.balances, db, out, Date.now(), finality.hooks());
  await finality.start(chain);
  return { chain, finality };
}

describe('finality service following the Galaxy head over HTTP', () => {
  const net = new Network(new Map());
  let close = (): void => undefined;
  after(() => {
    net.stop();
    close();
  });

  it('a Star that gets no block gossip keeps up through the long poll, and close() ends its held request', async () => {
    const galaxy = await galaxyHttp(net);
    close = galaxy.close;
    const { finality } = await httpOnlyStar(net, 21);
    net.startClock();
    await until('the Galaxy to make a few blocks', () => net.galaxy.height >= 2);
    finality.setGalaxies([galaxy.base]);
    // behind by a few blocks: they come at once; then each new one while the Star waits at the head
    await until('the Star to reach the Galaxy head', () => finality.status().finalHeight >= 2);
    const next = net.galaxy.height + 1;
    await until('the Star to follow the next block', () => finality.status().finalHeight >= next);
    await until('a request held at the head', () => galaxy.heads.size === 1);
    finality.close();
    await until('the held request to end with the Star', () => galaxy.heads.size === 0);
    assert.deepEqual(net.errors, []);
  });
});

describe('finality service posting certificates to the Galaxy over HTTP', () => {
  const net = new Network(new Map());
  let close = (): void => undefined;
  after(() => {
    net.stop();
    close();
  });

  it('seats post their certificate straight to the Galaxy: with the certificate gossip cut off from it, blocks still carry checkpoints', async () => {
    const galaxy = await galaxyHttp(net);
    close = galaxy.close;
    net.certsByGossip = false;
    for (const seed of [41, 42, 43, 44]) (await net.addStar(signerOf(seed))).finality.setGalaxies([galaxy.base]);
    const from = net.galaxy.height;
    await until('a block with a checkpoint that came over HTTP', () => {
      for (let h = from + 1; h <= net.galaxy.height; h++) if ((net.galaxy.block(h)?.block.body.checkpoints.length ?? 0) > 0) return true;
      return false;
    });
    assert.ok(net.posted > 0);
    assert.deepEqual(net.errors, []);
  });
});

describe('finality service counting a final proposal its ledger adopted', () => {
  // four Stars: enough seats for a checkpoint quorum
  const signers = [31, 32, 34, 35].map(signerOf);
  // made when the test starts: Stars that join a Galaxy already many blocks ahead would
  // first have to catch up, and these four follow its gossip only
  let net: Network | undefined;
  let close = (): void => undefined;
  after(() => {
    net?.stop();
    close();
  });

  // CI saw one tab of twelve count a receiver's credit but not its sender's debit: the tab
  // held the proposal without its sender's history, adopted it once it was final, and the
  // Galaxy's certificates were then skipped as "held by the ledger"
  it('counts the debit of a proposal that arrived without its history and became final', async () => {
    net = new Network(new Map([[toHex(signers[0]!.pk), 100]]));
    const galaxy = await galaxyHttp(net);
    close = galaxy.close;
    for (const s of signers) await net.addStar(s);
    const [a, b] = net.stars;
    await a!.chain.transfer(b!.address, 10, 'first', Date.now());
    const second = await a!.chain.transfer(b!.address, 20, 'second', Date.now());
    await until('both transfers final at the sender', () => a!.chain.balance(a!.address).final === 70);

    // an observer on no gossip bus is handed the second proposal alone: it lacks seq 1, so
    // the proposal waits as an orphan until the observer learns it is final
    const observer = await httpOnlyStar(net, 33);
    const proposal = a!.chain.engine.bytesOf(fromHex(second.id)!)!;
    await observer.chain.judgeGossip([{ bytes: encodeChainMessage({ t: 'blocks', blocks: [proposal], more: false, proofs: [] }), from: 'peer' }], Date.now());
    observer.finality.setGalaxies([galaxy.base]);
    await until('the observer to reach the block that made the transfers final', () => observer.finality.status().finalHeight >= a!.finality.status().finalHeight);
    assert.ok(observer.chain.engine.ledger.byId(second.id), 'the observer adopted the final proposal');
    await until('the observer to count both debits and both credits', () => observer.chain.balance(a!.address).final === 70 && observer.chain.balance(b!.address).final === 30, 5_000);
    observer.finality.close();
    assert.deepEqual(net.errors, []);
  });
});
