/** The faucet in-process, on a temporary SQLite file: payouts a fresh ledger accepts, limits, restarts. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { addressFromPublicKey, publicKeyFromAddress } from '../shared/chain/address.ts';
import { decodeHalfBlock, halfBlockHash, signingBytes, ZERO_HASH, type HalfBlock } from '../shared/chain/half-block.ts';
import { Ledger } from '../shared/chain/ledger.ts';
import { testAccount } from '../shared/chain/test-signer.ts';
import { toHex } from '../shared/codec/hex.ts';
import { Ed25519Verifier } from '../shared/crypto/ed25519.ts';
import { generatePkcs8, signerFromPkcs8, type Signer } from '../shared/crypto/signer.ts';
import { StarError } from '../shared/errors.ts';
import { answerSyncRequest, EMPTY_SYNC_ANSWER } from '../shared/chain/chain-sync.ts';
import { encodeChainMessage, decodeChainMessage, STREAM_LIMITS } from '../shared/chain/chain-message.ts';
import { loadOrCreateFaucetSigner } from './faucet-key.ts';
import { FaucetStore } from './faucet-store.ts';
import { describeInterval, Faucet, FaucetUnavailableError, RateLimitedError } from './faucet.ts';
import { DEV_FAUCET_ALLOCATION, loadOrCreateGenesis } from './genesis.ts';

const T0 = 1_763_700_000_000;
const dir = mkdtempSync(join(tmpdir(), 'starweave-faucet-'));
let fileNo = 0;
const tempFile = (name: string) => join(dir, `${++fileNo}-${name}`);

const alice = addressFromPublicKey(testAccount(1).pk);
const bob = addressFromPublicKey(testAccount(2).pk);
const carol = addressFromPublicKey(testAccount(3).pk);

const open: FaucetStore[] = [];
after(() => {
  for (const s of open) s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function setUp(opts: { signer?: Signer; db?: string; genesis?: Map<string, number>; amount?: number; intervalMs?: number; now?: number } = {}) {
  const signer = opts.signer ?? (await signerFromPkcs8(await generatePkcs8()));
  const genesis = opts.genesis ?? new Map([[toHex(signer.pk), 10_000]]);
  const db = opts.db ?? tempFile('faucet.sqlite');
  const store = await FaucetStore.open(db);
  open.push(store);
  const faucet = new Faucet({ genesis, signer, store, amount: opts.amount ?? 1000, intervalMs: opts.intervalMs ?? 60_000 }, opts.now ?? T0);
  return { faucet, signer, genesis, store, db };
}

const decode = (bytes: Uint8Array): HalfBlock => {
  const d = decodeHalfBlock(bytes);
  assert.ok(d.ok, d.ok ? '' : d.reason);
  return d.value;
};

describe('faucet', () => {
  it('pays with blocks that a fresh ledger built on genesis accepts in order, signatures verified', async () => {
    const { faucet, genesis, signer } = await setUp();
    const payouts = [await faucet.pay(alice, T0), await faucet.pay(bob, T0 + 1), await faucet.pay(carol, T0 + 2)];
    assert.deepEqual(payouts.map((p) => p.seq), [1, 2, 3]);
    assert.equal(faucet.seq, 3);
    assert.equal(faucet.balance, 7_000);

    const ledger = new Ledger(genesis);
    const verifier = new Ed25519Verifier();
    const blocks = payouts.map((p) => decode(p.bytes));
    const valid = await verifier.verifyMany(blocks.map((b) => ({ pk: b.pk, message: signingBytes(b), sig: b.sig })));
    assert.deepEqual(valid, [true, true, true]);
    blocks.forEach((b, i) => {
      const r = ledger.apply(b, { signatureValid: valid[i]!, now: T0 + 10 });
      assert.ok(r.ok, r.ok ? '' : r.reason);
      assert.equal(toHex(r.hash), payouts[i]!.id, 'the id is the hash of the block');
    });
    assert.deepEqual(blocks[0]!.pk, signer.pk);
    assert.deepEqual(blocks[0]!.linkPk, publicKeyFromAddress(alice));
    assert.equal(blocks[0]!.linkSeq, 0, 'a proposal');
    assert.equal(blocks[0]!.payload.amount, 1000);
    assert.deepEqual(blocks[0]!.prev, ZERO_HASH);
    assert.equal(ledger.balance(signer.pk), 7_000);
  });

  it('pays an account once per interval and says when to come back', async () => {
    const { faucet } = await setUp({ intervalMs: 60_000 });
    await faucet.pay(alice, T0);
    await assert.rejects(faucet.pay(alice, T0 + 15_000), (err: unknown) => {
      assert.ok(err instanceof RateLimitedError);
      assert.equal(err.code, 'RATE_LIMITED');
      assert.equal(err.retryAfterMs, 45_000);
      assert.match(err.message, /less than a minute ago; try again in 45 s/);
      return true;
    });
    assert.equal(faucet.seq, 1, 'a refusal signs nothing');
    assert.equal((await faucet.pay(bob, T0 + 15_000)).seq, 2, 'other accounts are not limited');
    assert.equal((await faucet.pay(alice, T0 + 60_000)).seq, 3);
  });

  it('refuses a bad address with INVALID_ADDRESS, and its own address', async () => {
    const { faucet } = await setUp();
    for (const bad of ['', 'sw1nope', alice.slice(0, -1) + (alice.endsWith('q') ? 'p' : 'q'), faucet.address]) {
      await assert.rejects(faucet.pay(bad, T0), (err: unknown) => err instanceof StarError && err.code === 'INVALID_ADDRESS', bad);
    }
    assert.equal(faucet.seq, 0);
  });

  it('never gives two concurrent payouts the same seq', async () => {
    const { faucet } = await setUp({ amount: 10 });
    const accounts = Array.from({ length: 20 }, (_, i) => addressFromPublicKey(testAccount(10 + i).pk));
    const payouts = await Promise.all(accounts.map((a) => faucet.pay(a, T0)));
    assert.deepEqual(payouts.map((p) => p.seq).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1));
    const twice = await Promise.allSettled([faucet.pay(alice, T0), faucet.pay(alice, T0)]);
    assert.deepEqual(twice.map((r) => r.status).sort(), ['fulfilled', 'rejected'], 'the second concurrent ask for one account is limited');
  });

  it('continues its chain after a restart: next seq, right prev hash, rate limit kept', async () => {
    const first = await setUp();
    const p1 = await first.faucet.pay(alice, T0);
    const p2 = await first.faucet.pay(bob, T0 + 1);
    first.store.close();

    const second = await setUp({ signer: first.signer, genesis: first.genesis, db: first.db, now: T0 + 2 });
    assert.equal(second.faucet.seq, 2);
    assert.equal(second.faucet.balance, 8_000);
    await assert.rejects(second.faucet.pay(alice, T0 + 3), RateLimitedError);
    const p3 = await second.faucet.pay(carol, T0 + 3);
    assert.equal(p3.seq, 3);
    assert.deepEqual(decode(p3.bytes).prev, halfBlockHash(decode(p2.bytes)));
    assert.deepEqual(second.store.all().map((r) => r.seq), [1, 2, 3]);
    assert.notEqual(p1.id, p3.id);
  });

  it('refuses to start on a db that holds another key’s chain', async () => {
    const first = await setUp();
    await first.faucet.pay(alice, T0);
    first.store.close();
    const other = await signerFromPkcs8(await generatePkcs8());
    await assert.rejects(
      setUp({ signer: other, genesis: new Map([[toHex(other.pk), 10_000]]), db: first.db }),
      /holds the chain of sw1.*not of this faucet key/,
    );
  });

  it('refuses to start on a db that does not fit genesis', async () => {
    const first = await setUp({ amount: 6_000 });
    await first.faucet.pay(alice, T0);
    first.store.close();
    await assert.rejects(setUp({ signer: first.signer, genesis: new Map([[toHex(first.signer.pk), 5_000]]), db: first.db }), /does not continue the faucet's chain.*balance/);
  });

  it('is disabled, not broken, when genesis does not fund it', async () => {
    const { faucet } = await setUp({ genesis: new Map([[toHex(testAccount(1).pk), 5]]) });
    assert.equal(faucet.enabled, false);
    assert.match(faucet.disabledReason ?? '', /no allocation in this network's genesis file/);
    await assert.rejects(faucet.pay(alice, T0), FaucetUnavailableError);
  });

  it('says so when it has run dry', async () => {
    const { faucet } = await setUp({ amount: 6_000 });
    await faucet.pay(alice, T0);
    await assert.rejects(faucet.pay(bob, T0), (err: unknown) => err instanceof FaucetUnavailableError && /run dry/.test(err.message));
  });

  it('answers sync requests with the blocks the asker lacks, and garbage with nothing', async () => {
    const { faucet, signer } = await setUp();
    const payouts = [await faucet.pay(alice, T0), await faucet.pay(bob, T0)];
    const ask = (seq: number) => {
      const answer = decodeChainMessage(answerSyncRequest(encodeChainMessage({ t: 'sync', heads: [[signer.pk, seq]] }), faucet), STREAM_LIMITS);
      assert.ok(answer.ok && answer.value.t === 'blocks');
      return answer.value.blocks;
    };
    assert.deepEqual(ask(0), payouts.map((p) => p.bytes));
    assert.deepEqual(ask(1), [payouts[1]!.bytes]);
    assert.deepEqual(ask(2), []);
    assert.deepEqual(answerSyncRequest(new Uint8Array([0xff, 1, 2]), faucet), EMPTY_SYNC_ANSWER);
    const notSync = encodeChainMessage({ t: 'blocks', blocks: [payouts[0]!.bytes], more: false, proofs: [] });
    assert.deepEqual(answerSyncRequest(notSync, faucet), EMPTY_SYNC_ANSWER);
  });

  it('names the interval in words', () => {
    assert.deepEqual([60_000, 120_000, 30_000, 1000, 1500].map(describeInterval), ['a minute', '2 minutes', '30 s', 'a second', '1500 ms']);
  });
});

describe('faucet files', () => {
  it('creates the key once (mode 0600) and loads the same account after', async () => {
    const path = tempFile('faucet.key');
    const a = await loadOrCreateFaucetSigner(path);
    const b = await loadOrCreateFaucetSigner(path);
    assert.deepEqual([a.created, b.created], [true, false]);
    assert.deepEqual(a.signer.pk, b.signer.pk);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const bad = tempFile('bad.key');
    writeFileSync(bad, 'not a key');
    await assert.rejects(loadOrCreateFaucetSigner(bad), new RegExp(`${bad}.*not a PKCS#8 Ed25519 key`));
  });

  it('creates a dev genesis funding the faucet, and names the file and problem when one is bad', async () => {
    const path = tempFile('genesis.json');
    const created = await loadOrCreateGenesis(path, alice);
    assert.equal(created.created, true);
    assert.deepEqual(created.file, { network: 'starweave-dev', allocations: [{ address: alice, amount: DEV_FAUCET_ALLOCATION }] });
    assert.equal(created.balances.get(toHex(testAccount(1).pk)), DEV_FAUCET_ALLOCATION);
    const loaded = await loadOrCreateGenesis(path, bob);
    assert.equal(loaded.created, false, 'an existing file is kept');
    assert.deepEqual(loaded.file, created.file);

    const notJson = tempFile('genesis.json');
    writeFileSync(notJson, '{ network: ');
    await assert.rejects(loadOrCreateGenesis(notJson, alice), new RegExp(`genesis file ${notJson} is not JSON`));
    const badAddress = tempFile('genesis.json');
    writeFileSync(badAddress, JSON.stringify({ network: 'x', allocations: [{ address: 'sw1typo', amount: 5 }] }));
    await assert.rejects(loadOrCreateGenesis(badAddress, alice), new RegExp(`genesis file ${badAddress} is not valid: allocations\\[0\\]`));
  });

  it('lets one process at a time hold the faucet db', async () => {
    const path = tempFile('faucet.sqlite');
    const store = await FaucetStore.open(path);
    open.push(store);
    store.append(1, new Uint8Array([1]));
    assert.throws(() => store.append(1, new Uint8Array([2])), /UNIQUE/, 'a second block at one seq is refused by the db');
    // a second connection stands in for a second relay process
    await assert.rejects(FaucetStore.open(path), /another relay is using it/);
  });
});
