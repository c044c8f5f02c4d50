/**
 * Accounts and transfers between real tabs: each Star its own browser context (its own
 * IndexedDB and account key), real libp2p gossip and streams, the real relay's faucet.
 */
import type { Transfer } from '../../shared/api.ts';
import { addressOf, attempt, available, call, fund, recordEvents, statusIn } from './support/accounts.ts';
import { expect, test } from './support/fixtures.ts';
import { reopenStar } from './support/stars.ts';

const settle = { timeout: 30_000 };

test('two tabs transfer both ways and agree on both balances', async ({ stars }) => {
  const a = await stars.one();
  const b = await stars.one();
  const [addrA, addrB] = [await addressOf(a), await addressOf(b)];
  expect(addrA).toMatch(/^sw1/);
  expect(addrA).not.toBe(addrB);
  await recordEvents(b);
  const funds = await fund(a);

  const there = await call<{ id: string }>(a, 'transfer', addrB, 300, 'for lunch');
  await expect.poll(() => statusIn(a, there.id), settle).toBe('agreed');
  await expect.poll(() => statusIn(b, there.id), settle).toBe('agreed');

  const back = await call<{ id: string }>(b, 'transfer', addrA, 100, 'change');
  await expect.poll(() => statusIn(a, back.id), settle).toBe('agreed');

  // both tabs hold both chains and compute the same balances
  await expect.poll(async () => [await available(a), await available(a, addrB)], settle).toEqual([funds - 200, 200]);
  await expect.poll(async () => [await available(b, addrA), await available(b)], settle).toEqual([funds - 200, 200]);

  // b saw the incoming transfer appear and get countersigned, and its history has both
  const events = await b.page.evaluate(() => window.__transfers.filter((t) => t.direction === 'in').map((t) => `${t.amount}:${t.status}`));
  expect(events).toContain('300:agreed');
  const history = await call<Transfer[]>(b, 'history');
  expect(history.map((t) => [t.direction, t.amount, t.memo, t.status])).toEqual([
    ['out', 100, 'change', 'agreed'],
    ['in', 300, 'for lunch', 'agreed'],
  ]);

  // mistakes are clear errors, caught before anything is signed
  const typo = addrB.slice(0, -1) + (addrB.endsWith('q') ? 'p' : 'q');
  expect(await attempt(a, 'transfer', typo, 1)).toMatchObject({ ok: false, code: 'INVALID_ADDRESS', message: expect.stringMatching(/typo/) });
  expect(await attempt(b, 'transfer', addrA, 10_000)).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
  expect(await attempt(a, 'requestFaucet')).toMatchObject({ ok: false, code: 'RATE_LIMITED', message: expect.stringMatching(/try again in \d+ s/) });
});

test('a reload keeps the account, its chain and its balance', async ({ stars }) => {
  const a = await stars.one();
  const b = await stars.one();
  const addrA = await addressOf(a);
  const funds = await fund(a);
  const { id } = await call<{ id: string }>(a, 'transfer', await addressOf(b), 40);
  await expect.poll(() => statusIn(a, id), settle).toBe('agreed');
  const before = await call<Transfer[]>(a, 'history');

  await a.page.reload();
  const again = { ...a, peerId: await a.page.evaluate(async () => (await window.starweave.connect()).peerId) };
  expect(await addressOf(again)).toBe(addrA);
  expect(await available(again)).toBe(funds - 40);
  expect(await call<Transfer[]>(again, 'history')).toEqual(before);
  expect(await statusIn(again, id)).toBe('agreed');
});

test('a transfer to a closed tab stays pending and completes when that tab comes back', async ({ stars, relay }) => {
  const a = await stars.one();
  const b = await stars.one();
  const addrB = await addressOf(b);
  await fund(a);
  await b.page.close(); // the context (and its IndexedDB) stays

  const { id } = await call<{ id: string }>(a, 'transfer', addrB, 75, 'while you were away');
  expect(await statusIn(a, id)).toBe('pending');
  expect((await call<{ pending: number }>(a, 'balance', addrB)).pending).toBe(75);

  const back = await reopenStar(b, relay.url);
  expect(await addressOf(back)).toBe(addrB);
  await expect.poll(() => statusIn(a, id), settle).toBe('agreed');
  await expect.poll(() => available(back), settle).toBe(75);
});

test('a tab that forks its own chain is caught by the others and refused', async ({ stars }) => {
  const forker = await stars.one();
  const honest = await stars.one();
  const other = await stars.one();
  const [addrF, addrH] = [await addressOf(forker), await addressOf(honest)];
  await recordEvents(honest);
  await fund(forker);

  // test-only switch: two different blocks at one (pk, seq), both published
  await forker.page.evaluate(async (to) => (await window.starweave.connect()).debug!.fork(to, 10), addrH);

  for (const tab of [honest, other]) {
    await expect.poll(() => tab.page.evaluate(async (f) => (await window.starweave.connect()).debug!.isBlocked(f), addrF), settle).toBe(true);
  }
  await expect.poll(() => honest.page.evaluate(() => window.__frauds), settle).toContain(addrF);
  // the forked transfer is refused where it was sent, even if it was countersigned first
  const toHonest = (await call<Transfer[]>(honest, 'history')).filter((t) => t.from === addrF);
  expect(toHonest.length).toBeGreaterThan(0);
  expect(toHonest.every((t) => t.status === 'rejected')).toBe(true);

  // the proof is permanent evidence: a Star that joins later learns it when it syncs
  const late = await stars.one();
  await expect.poll(() => late.page.evaluate(async (f) => (await window.starweave.connect()).debug!.isBlocked(f), addrF), settle).toBe(true);
  // and the forker itself can no longer transfer
  await expect.poll(async () => {
    const r = await attempt(forker, 'transfer', addrH, 1);
    return r.ok ? 'sent' : r.code;
  }, settle).toBe('ACCOUNT_BLOCKED');
});
