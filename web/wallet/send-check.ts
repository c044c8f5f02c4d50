/** Checks the send form before anything is signed. */
import { isAddress, publicKeyFromAddress } from '../../shared/chain/address.ts';
import { errorMessage } from './format.ts';

export type SendCheck = { ok: true; to: string; amount: number } | { ok: false; message: string };

export function checkSend(toText: string, amountText: string): SendCheck {
  const to = toText.trim();
  if (!isAddress(to)) {
    // the same words the Star would use: a typo is caught here, before anything is signed
    try {
      publicKeyFromAddress(to);
    } catch (err) {
      return { ok: false, message: errorMessage(err) };
    }
    return { ok: false, message: `"${to}" is not a valid address` };
  }
  const amountTrimmed = amountText.trim();
  const amount = Number(amountTrimmed);
  if (!/^\d+$/.test(amountTrimmed) || !Number.isSafeInteger(amount) || amount <= 0) {
    return { ok: false, message: 'The amount must be a positive whole number of coins, like 5.' };
  }
  return { ok: true, to, amount };
}
