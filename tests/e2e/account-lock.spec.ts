/**
 * One account, one tab: two tabs of one browser profile share the account (its IndexedDB),
 * but only one runs it. The second says so and can take it over; the first then stops.
 */
import { expect, test } from './support/fixtures.ts';

test('a second tab of the same profile is told the account is in use, and taking over stops the first', async ({ stars, relay }) => {
  const first = await stars.one();
  const address = await first.page.evaluate(async () => (await window.starweave.connect()).address);

  const second = await first.context.newPage();
  await second.goto(new URL('?debug', relay.url + '/').href);
  const inUse = second.getByTestId('account-in-use');
  await expect(inUse).toContainText('open in another tab');
  // the embed API says the same, with a stable code
  expect(await second.evaluate(() => window.starweave.connect().then(() => 'connected', (e: { code: string }) => e.code))).toBe('ACCOUNT_IN_USE');

  await second.getByRole('button', { name: 'Use it here' }).click();
  await expect(second.getByTestId('address')).toHaveText(address);
  expect(await second.evaluate(async () => (await window.starweave.connect()).address)).toBe(address);

  // the first tab stopped and says why; its Star is closed
  await expect(first.page.getByTestId('star-closed')).toContainText('running in another tab');
  const afterwards = await first.page.evaluate(async () => {
    const star = await window.starweave.connect().catch((e: { code: string }) => e);
    return 'code' in star ? star.code : star.address;
  });
  expect(afterwards).toBe('ACCOUNT_IN_USE');
});
