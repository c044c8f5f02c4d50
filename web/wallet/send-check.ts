/** Checks the send forms (coins, inbox messages) before anything is signed. */
import { isAddress, publicKeyFromAddress } from '../../shared/chain/address.ts';
import { errorMessage } from './format.ts';

export type AddressCheck = { ok: true; to: string } | { ok: false; message: string };
export type SendCheck = { ok: true; to: string; amount: number } | { ok: false; message: string };

/** An account address as typed or pasted; a typo is caught by its checksum, here. */
export function checkAddressText(toText: string): AddressCheck {
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
  return { ok: true, to };
}

export function checkSend(toText: string, amountText: string): SendCheck {
  const address = checkAddressText(toText);
  if (!address.ok) return address;
  const amountTrimmed = amountText.trim();
  const amount = Number(amountTrimmed);
  if (!/^\d+$/.test(amountTrimmed) || !Number.isSafeInteger(amount) || amount <= 0) {
    return { ok: false, message: 'The amount must be a positive whole number of coins, like 5.' };
  }
  return { ok: true, to: address.to, amount };
}
