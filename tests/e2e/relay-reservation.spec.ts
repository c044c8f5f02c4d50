/**
 * A Star is reachable by other Stars only while its relay holds a reservation for it. A relay
 * with room for a single reservation shows what happens when it holds none: the second tab
 * says it cannot be reached, keeps asking, and becomes reachable once the first tab leaves
 * (the relay frees a reservation when its Star disconnects).
 */
import { expect, test } from './support/fixtures.ts';
import { status } from './support/stars.ts';

test.use({ relayEnv: { RELAY_MAX_RESERVATIONS: '1' } });

test('a tab the relay has no reservation for says so, asks again, and is reachable once a slot frees', async ({ stars }) => {
  const first = await stars.one();
  await expect.poll(async () => (await status(first)).relayInfo.reachable, { message: 'the first tab takes the only reservation' }).toBe(true);

  const second = await stars.one();
  await expect.poll(async () => (await status(second)).relay).toBe('connected');
  // the relay refused it: after the grace period (30 s) the Star says so and reconnects to ask again
  await expect
    .poll(async () => (await status(second)).relayInfo.error ?? '', { timeout: 60_000, message: 'the second tab explains why it cannot be reached' })
    .toMatch(/holds no reservation for this Star.*asking again/);
  expect((await status(second)).relayInfo.reachable).toBe(false);
  await expect(second.page.getByTestId('relay-error')).toContainText('Other Stars cannot reach this one');
  expect((await status(first)).relayInfo.reachable).toBe(true);

  await first.context.close();
  // the next renewal comes 30–60 s after the first one
  await expect.poll(async () => (await status(second)).relayInfo.reachable, { timeout: 90_000, message: 'the second tab gets the freed reservation' }).toBe(true);
  const info = (await status(second)).relayInfo;
  expect(info.state).toBe('connected');
  expect(info.error).toBeUndefined();
  await expect(second.page.getByTestId('relay-error')).toHaveCount(0);
});
