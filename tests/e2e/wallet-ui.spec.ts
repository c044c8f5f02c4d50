/**
 * The wallet page as a person uses it: test coins, sending (a typo is caught before
 * anything is signed), history with status, and an encrypted backup restored in another
 * browser profile (a wrong passphrase is a clear error).
 */
import { addressOf } from './support/accounts.ts';
import { expect, test } from './support/fixtures.ts';
import { openStar } from './support/stars.ts';

test('a person gets test coins, sends to another tab and sees it countersigned in both histories', async ({ stars }) => {
  const a = await stars.one();
  const b = await stars.one();
  const addrB = await addressOf(b);
  const account = a.page.getByRole('region', { name: 'account' });

  await account.getByRole('button', { name: 'Get test coins' }).click();
  await expect(account.getByRole('status')).toContainText('Faucet sent 1000');
  await expect(a.page.getByTestId('balance-available')).toHaveText('1000');

  const send = a.page.getByRole('form', { name: 'send' });
  const typo = addrB.slice(0, -1) + (addrB.endsWith('q') ? 'p' : 'q');
  await send.getByLabel('To address').fill(typo);
  await send.getByLabel('Amount').fill('250');
  await send.getByRole('button', { name: 'Send' }).click();
  await expect(send.getByRole('alert')).toContainText('typo');
  await expect(a.page.getByTestId('balance-available')).toHaveText('1000');

  await send.getByLabel('To address').fill(addrB);
  await send.getByLabel('Memo (optional)').fill('books');
  await send.getByRole('button', { name: 'Send' }).click();
  await expect(send.getByRole('status')).toContainText('Sent, id');
  await expect(a.page.getByTestId('balance-available')).toHaveText('750');

  const rowIn = b.page.getByRole('region', { name: 'history' }).getByTestId('transfer').filter({ hasText: 'books' });
  await expect(rowIn.getByTestId('transfer-status')).toHaveText('agreed', { timeout: 30_000 });
  await expect(rowIn.getByTestId('transfer-direction')).toHaveText('in');
  await expect(b.page.getByTestId('balance-available')).toHaveText('250');
  const rowOut = a.page.getByRole('region', { name: 'history' }).getByTestId('transfer').filter({ hasText: 'books' });
  await expect(rowOut.getByTestId('transfer-status')).toHaveText('agreed');
});

test('an encrypted backup restores the account in another profile; a wrong passphrase is refused', async ({ stars, browser, relay }) => {
  const original = await stars.one();
  const address = await addressOf(original);
  const backup = original.page.getByRole('form', { name: 'export backup' });
  await backup.getByLabel('Backup passphrase').fill('correct horse battery');
  await backup.getByLabel('Repeat passphrase').fill('correct horse battery');
  await backup.getByRole('button', { name: 'Export backup' }).click();
  const text = await original.page.getByLabel('Backup text').inputValue();
  expect(JSON.parse(text)).toMatchObject({ format: 'starweave-backup-1', address });
  await original.context.close();

  const fresh = await openStar(browser, relay.url, 9);
  try {
    expect(await addressOf(fresh)).not.toBe(address);
    fresh.page.on('dialog', (d) => void d.accept());
    const restore = fresh.page.getByRole('form', { name: 'restore backup' });
    await restore.getByLabel('Paste backup').fill(text);
    await restore.getByLabel('Passphrase of the backup').fill('wrong horse battery');
    await restore.getByRole('button', { name: 'Restore' }).click();
    await expect(restore.getByRole('alert')).toContainText('does not open this backup');

    await restore.getByLabel('Passphrase of the backup').fill('correct horse battery');
    await Promise.all([fresh.page.waitForEvent('load'), restore.getByRole('button', { name: 'Restore' }).click()]);
    await expect(fresh.page.getByTestId('address')).toHaveText(address);
  } finally {
    await fresh.context.close();
  }
});
