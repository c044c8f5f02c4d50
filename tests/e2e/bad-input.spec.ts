/**
 * Untrusted input: malformed and oversized gossip is rejected without harming any tab and
 * costs the sender its peer score; a wrong relay address is a visible error with retries.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { freeLoopbackPort } from '../../relay/free-port.ts';
import { encodeChainMessage } from '../../shared/chain/chain-message.ts';
import { encodeHalfBlock, signingBytes, ZERO_HASH } from '../../shared/chain/half-block.ts';
import { expect, test } from './support/fixtures.ts';
import { waitDirect, publish, received, record, waitTopicPeers, type StarTab } from './support/stars.ts';

test('malformed and oversized gossip is rejected, nobody crashes, and the sender loses peer score', async ({ stars }) => {
  const tabs = await stars.many(3);
  const [bad, ...good] = tabs as [StarTab, ...StarTab[]];
  const topic = 'bad-input';
  for (const tab of tabs) {
    await waitDirect(tab, 2);
    await record(tab, topic);
  }
  await waitTopicPeers(tabs, topic);

  const scoreOfBad = (tab: StarTab) =>
    tab.page.evaluate(async (id) => (await window.starweave.connect()).debug!.peerScore(id), bad.peerId);
  const sendRaw = (bytes: { garbage: true } | { oversized: number }) =>
    bad.page.evaluate(
      async ([t, b]) => {
        const star = await window.starweave.connect();
        const raw = 'garbage' in b ? new TextEncoder().encode('this is not an envelope') : new Uint8Array(b.oversized).fill(0x41);
        await star.debug!.publishRaw(t, raw);
      },
      [topic, bytes] as const,
    );

  // malformed: not CBOR at all
  await sendRaw({ garbage: true });
  const afterGarbage: number[] = [];
  for (const tab of good) {
    await expect.poll(() => scoreOfBad(tab), { timeout: 15_000, message: `star ${tab.index} should score the sender of garbage below zero` }).toBeLessThan(0);
    afterGarbage.push(await scoreOfBad(tab));
  }

  // oversized: 100 KiB, over the 64 KiB message limit (under gossipsub's frame limit, so it reaches the validator)
  await sendRaw({ oversized: 100 * 1024 });
  for (const [i, tab] of good.entries()) {
    await expect.poll(() => scoreOfBad(tab), { timeout: 15_000, message: `star ${tab.index} should lower the score again` }).toBeLessThan(afterGarbage[i]! - 1);
  }

  // the good Stars still work: a valid message between them arrives, and nothing bad was delivered
  await publish(good[0]!, topic, 'still alive');
  await expect.poll(() => received(good[1]!), { timeout: 15_000 }).toEqual(['still alive']);
  for (const tab of good) expect(await received(tab)).not.toContain('this is not an envelope');
});

test('invalid half-blocks are refused before they are stored or forwarded, and cost the sender peer score', async ({ stars }) => {
  const tabs = await stars.many(3);
  const [bad, ...good] = tabs as [StarTab, ...StarTab[]];
  for (const tab of tabs) await waitDirect(tab, 2);

  // an account nobody funded, signing a real transfer: the signature is fine, the balance rule is not
  const secret = ed25519.utils.randomSecretKey();
  const pk = ed25519.getPublicKey(secret);
  const unsigned = { pk, seq: 1, prev: ZERO_HASH, linkPk: ed25519.getPublicKey(ed25519.utils.randomSecretKey()), linkSeq: 0, kind: 'transfer' as const, payload: { amount: 5, memo: '' }, time: Date.now() };
  const overspend = encodeHalfBlock({ ...unsigned, sig: ed25519.sign(signingBytes(unsigned), secret) });
  const forged = encodeHalfBlock({ ...unsigned, payload: { amount: 1, memo: '' }, sig: ed25519.sign(signingBytes(unsigned), secret) });
  const message = (block: Uint8Array) => Array.from(encodeChainMessage({ t: 'blocks', blocks: [block], more: false, proofs: [] }));
  const sendChain = (bytes: number[]) => bad.page.evaluate(async (b) => (await window.starweave.connect()).debug!.publishChain([new Uint8Array(b)]), bytes);
  const scoreOfBad = (tab: StarTab) => tab.page.evaluate(async (id) => (await window.starweave.connect()).debug!.peerScore(id), bad.peerId);
  const held = (tab: StarTab) => tab.page.evaluate(async () => (await window.starweave.connect()).debug!.chainSize());
  const before = await Promise.all(good.map(held));

  await sendChain(message(overspend));
  const afterOverspend: number[] = [];
  for (const tab of good) {
    await expect.poll(() => scoreOfBad(tab), { timeout: 15_000, message: `star ${tab.index} should score an overspend below zero` }).toBeLessThan(0);
    afterOverspend.push(await scoreOfBad(tab));
  }
  // a signature over other fields than the block carries
  await sendChain(message(forged));
  for (const [i, tab] of good.entries()) {
    await expect.poll(() => scoreOfBad(tab), { timeout: 15_000, message: `star ${tab.index} should lower the score for a forged signature` }).toBeLessThan(afterOverspend[i]! - 1);
  }
  // nothing was stored
  expect(await Promise.all(good.map(held))).toEqual(before);
});

test('a wrong relay address shows an error a person can act on and retries with backoff', async ({ stars }) => {
  // a port where nothing listens: take a free one and do not use it
  const deadUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
  const tab = await stars.one(`?debug&relay=${encodeURIComponent(deadUrl)}`);
  const banner = tab.page.getByTestId('relay-error');
  await expect(banner).toContainText('Relay unreachable');
  await expect(banner).toContainText(deadUrl);
  await expect(banner).toContainText('npm start');

  const snapshot = () => tab.page.evaluate(async () => (await window.starweave.connect()).status().then((s) => s.relayInfo));
  await expect.poll(async () => (await snapshot()).attempts, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
  const info = await snapshot();
  expect(info.state === 'down' || info.state === 'connecting').toBe(true);
  expect(info.error).toMatch(/cannot reach the relay/);
  await expect(tab.page.getByTestId('relay-retry')).toContainText(/Attempt \d+/);
});
