/**
 * What to do about a failed storage or inbox call. The Star's message says what went
 * wrong; for the failures whose remedy lies outside the Star, the wallet adds how. (An
 * address typo, INVALID_ADDRESS, already says to copy the address again.)
 */
import { errorCode, errorMessage } from './format.ts';

const ADVICE: Record<string, string> = {
  NO_PEERS:
    'A value is kept by 3 Stars and 2 of them must confirm it, so other Stars have to be online. Open the wallet in another browser (or a private window), wait until it shows under Peers, then try again.',
  QUOTA_EXCEEDED: 'This browser refused to store more for this site. Free some disk space, or allow this site to store data in the browser’s site settings, then try again.',
  NOT_A_READER: 'Its owner sealed it for other accounts: ask the owner to store it again with your address among its readers.',
};

/** The Star's message, then, for failures a person can act on, what to do. */
export function storageProblem(err: unknown): string {
  const message = errorMessage(err);
  const advice = ADVICE[errorCode(err) ?? ''];
  return advice ? `${message} ${advice}` : message;
}
