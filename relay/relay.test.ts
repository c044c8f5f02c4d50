/** The relay as a real process: health, metrics, peer id, static files, genesis, faucet, CLI errors, restart. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addressFromPublicKey } from '../shared/chain/address.ts';
import { decodeHalfBlock, halfBlockHash, type HalfBlock } from '../shared/chain/half-block.ts';
import { testAccount } from '../shared/chain/test-signer.ts';
import { signerFromPkcs8 } from '../shared/crypto/signer.ts';
import { startRelay, type RelayProcess } from '../tests/e2e/support/relay-process.ts';

const account = (n: number) => addressFromPublicKey(testAccount(n).pk);

function askFaucet(relay: RelayProcess, body: unknown): Promise<Response> {
  return fetch(`${relay.url}/faucet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

function blockOf(answer: { block: string }): HalfBlock {
  const d = decodeHalfBlock(new Uint8Array(Buffer.from(answer.block, 'base64')));
  assert.ok(d.ok);
  return d.value;
}

describe('relay process', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await startRelay();
  });
  after(async () => {
    await relay.stop();
  });

  it('answers /health with 200 and its peer id', async () => {
    const res = await fetch(`${relay.url}/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; relay: { peerId: string } };
    assert.equal(body.status, 'ok');
    assert.match(body.relay.peerId, /^12D3KooW/);
  });

  it('serves Prometheus metrics in the text format', async () => {
    const res = await fetch(`${relay.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    for (const name of ['starweave_relay_connections', 'starweave_relay_reservations', 'starweave_relay_gossip_topics', 'starweave_relay_gossip_messages_total']) {
      assert.match(text, new RegExp(`# TYPE ${name} `), name);
    }
  });

  it('serves the wallet, /star.js and the demo dApp, and says where things are on a 404', async () => {
    for (const path of ['/', '/star.js', '/star-worker.js', '/demo.html']) {
      assert.equal((await fetch(relay.url + path)).status, 200, path);
    }
    const missing = await fetch(`${relay.url}/nope`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /star\.js/);
  });

  it('serves the genesis file it created, which funds the faucet', async () => {
    const faucet = addressFromPublicKey((await signerFromPkcs8(new Uint8Array(readFileSync(relay.faucetKeyFile)))).pk);
    const res = await fetch(`${relay.url}/genesis.json`);
    assert.equal(res.status, 200);
    const genesis = (await res.json()) as { network: string; allocations: Array<{ address: string; amount: number }> };
    assert.equal(genesis.network, 'starweave-dev');
    assert.deepEqual(genesis.allocations, [{ address: faucet, amount: 1_000_000_000_000 }]);
    assert.deepEqual(JSON.parse(readFileSync(relay.genesisFile, 'utf8')), genesis);
    assert.match(relay.logs(), new RegExp(`"address":"${faucet}".*faucet ready`));
  });

  it('pays from the faucet, then limits the account with 429 and Retry-After', async () => {
    const first = await askFaucet(relay, { address: account(1) });
    assert.equal(first.status, 200);
    const paid = (await first.json()) as { id: string; amount: number; block: string };
    assert.equal(paid.amount, 1000);
    assert.match(paid.id, /^[0-9a-f]{64}$/);
    const block = blockOf(paid);
    assert.equal(block.seq, 1);
    assert.equal(block.payload.amount, 1000);
    assert.equal(Buffer.from(halfBlockHash(block)).toString('hex'), paid.id);

    const again = await askFaucet(relay, { address: account(1) });
    assert.equal(again.status, 429);
    const retry = Number(again.headers.get('retry-after'));
    assert.ok(retry > 50 && retry <= 60, `Retry-After ${retry}`);
    const body = (await again.json()) as { code: string; message: string; retryAfterMs: number };
    assert.equal(body.code, 'RATE_LIMITED');
    assert.ok(body.retryAfterMs > 50_000 && body.retryAfterMs <= 60_000);
    assert.match(body.message, /try again in \d+ s/);
  });

  it('answers a bad faucet request with 400 and a code, and an oversized one with 413', async () => {
    const badAddress = await askFaucet(relay, { address: 'sw1notanaddress' });
    assert.equal(badAddress.status, 400);
    assert.equal(((await badAddress.json()) as { code: string }).code, 'INVALID_ADDRESS');
    for (const body of ['not json', { wallet: account(2) }, 'null']) {
      const res = await askFaucet(relay, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(((await res.json()) as { code: string }).code, 'INVALID_ARGUMENT');
    }
    const huge = await askFaucet(relay, { address: account(2), padding: 'x'.repeat(2048) });
    assert.equal(huge.status, 413);
    assert.equal((await fetch(`${relay.url}/faucet`)).status, 405);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, /starweave_faucet_payouts_total 1\b/);
    assert.match(metrics, /starweave_faucet_refusals_total\{reason="INVALID_ADDRESS"\} 1\b/);
    assert.match(metrics, /starweave_faucet_refusals_total\{reason="RATE_LIMITED"\} 1\b/);
  });

  it('keeps its peer id across a restart (key file)', async () => {
    const before = ((await (await fetch(`${relay.url}/relay.json`)).json()) as { peerId: string }).peerId;
    await relay.stop();
    await relay.restart();
    const after = ((await (await fetch(`${relay.url}/relay.json`)).json()) as { peerId: string }).peerId;
    assert.equal(after, before);
  });

  it('continues the faucet chain after a restart, and still limits the account it paid', async () => {
    // the relay was restarted by the test before
    assert.equal((await askFaucet(relay, { address: account(1) })).status, 429);
    const res = await askFaucet(relay, { address: account(3) });
    assert.equal(res.status, 200);
    assert.equal(blockOf((await res.json()) as { block: string }).seq, 2);
  });

  it('prints --help and rejects bad flags with exit code 2', () => {
    const help = spawnSync(process.execPath, ['relay/main.ts', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--max-reservations/);
    const bad = spawnSync(process.execPath, ['relay/main.ts', '--port', 'x'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not a valid port/);
  });

  it('refuses to start on a bad genesis file, naming the file and the problem (exit code 1)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'starweave-genesis-'));
    const genesis = join(dir, 'genesis.json');
    writeFileSync(genesis, JSON.stringify({ network: 'starweave-dev', allocations: [{ address: 'sw1typo', amount: 1 }] }));
    const args = ['relay/main.ts', '--port', '0', '--key-file', join(dir, 'relay.key'), '--genesis', genesis, '--faucet-key-file', join(dir, 'faucet.key'), '--faucet-db', join(dir, 'faucet.sqlite')];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`genesis file ${genesis} is not valid: allocations\\[0\\]`));
  });
});

describe('relay process with a genesis that does not fund its faucet', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await startRelay({ genesis: { network: 'elsewhere', allocations: [{ address: account(1), amount: 5 }] } });
  });
  after(async () => {
    await relay.stop();
  });

  it('starts, serves that genesis, and answers POST /faucet with 503', async () => {
    assert.equal((await fetch(`${relay.url}/health`)).status, 200);
    assert.equal(((await (await fetch(`${relay.url}/genesis.json`)).json()) as { network: string }).network, 'elsewhere');
    const res = await askFaucet(relay, { address: account(2) });
    assert.equal(res.status, 503);
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(body.code, 'FAUCET_UNAVAILABLE');
    assert.match(body.message, /no allocation/);
    assert.match(relay.logs(), /faucet disabled/);
  });
});
