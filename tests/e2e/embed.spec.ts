/**
 * `/star.js` as a dApp uses it: the demo page loads the classic script, gets
 * `window.starweave`, and talks to a wallet tab; close() ends the Star for good.
 */
import { expect, test } from './support/fixtures.ts';
import { waitDirect, waitTopicPeers } from './support/stars.ts';

test('the demo dApp embeds /star.js, exchanges gossip with a wallet tab, and close() ends its Star', async ({ stars }) => {
  const wallet = await stars.one();
  const dapp = await stars.one('demo.html?debug');
  const tabs = [wallet, dapp];

  // the classic script defined the global, and the demo page connected through it
  expect(await dapp.page.evaluate(() => typeof window.starweave.connect)).toBe('function');
  await expect(dapp.page.locator('#who')).toContainText(dapp.peerId);
  await waitDirect(dapp, 1);

  // both pages subscribe to 'lobby' on load; wait until each sees the other subscribed
  await waitTopicPeers(tabs, 'lobby');

  // wallet → dApp, through the wallet's own form
  await wallet.page.getByLabel('message').fill('hello dApp');
  await wallet.page.getByRole('button', { name: 'Publish' }).click();
  await expect(dapp.page.locator('#log')).toContainText('hello dApp');

  // dApp → wallet, through the demo page's form
  await dapp.page.locator('#text').fill('hello wallet');
  await dapp.page.locator('#send button').click();
  await expect(wallet.page.getByTestId('feed')).toContainText('hello wallet');

  // close() ends the Star: using it is a clear error, and connect() starts a new one
  const after = await dapp.page.evaluate(async () => {
    const star = await window.starweave.connect();
    await star.close();
    const error = await star.publish('lobby', 'x').then(
      () => null,
      (err: { code: string; message: string }) => ({ code: err.code, message: err.message }),
    );
    const again = await window.starweave.connect();
    return { error, oldId: star.peerId, newId: again.peerId };
  });
  expect(after.error?.code).toBe('CLOSED');
  expect(after.error?.message).toMatch(/connect\(\) again/);
  expect(after.newId).not.toBe(after.oldId);
});
