import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressFromPublicKey } from '../../shared/chain/address.ts';
import { StarError } from '../../shared/errors.ts';
import { formatBytes } from './format.ts';
import { checkSend } from './send-check.ts';
import { storageProblem } from './storage-advice.ts';
import { checkGet, checkNote, checkPut } from './storage-check.ts';

const bob = addressFromPublicKey(new Uint8Array(32).fill(2));
const carol = addressFromPublicKey(new Uint8Array(32).fill(3));
const typo = bob.slice(0, -1) + (bob.endsWith('q') ? 'p' : 'q');

describe('wallet storage and inbox forms', () => {
  it('a note needs a valid address (a typo is caught here) and some text', () => {
    assert.deepEqual(checkNote(` ${bob}\n`, 'hi'), { ok: true, to: bob, text: 'hi' });
    const bad = checkNote(typo, 'hi');
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.message : '', /typo/);
    assert.deepEqual(checkNote(bob, '   '), { ok: false, message: 'Write something to send.' });
    // the coin form still checks the same way
    assert.equal(checkSend(typo, '5').ok, false);
    assert.deepEqual(checkSend(bob, '5'), { ok: true, to: bob, amount: 5 });
  });

  it('a value to store: a key; readers only when private, each a valid address', () => {
    assert.deepEqual(checkPut(' notes/a ', 'x', false, typo), { ok: true, key: 'notes/a', value: 'x' });
    assert.deepEqual(checkPut('notes/a', 'x', true, ''), { ok: true, key: 'notes/a', value: 'x', readers: [] });
    assert.deepEqual(checkPut('notes/a', 'x', true, `${bob}, ${carol}\n`), { ok: true, key: 'notes/a', value: 'x', readers: [bob, carol] });
    const bad = checkPut('notes/a', 'x', true, `${bob} ${typo}`);
    assert.match(!bad.ok ? bad.message : '', /^Reader 2: .*typo/);
    assert.equal(checkPut('  ', 'x', false, '').ok, false);
  });

  it('a key to read: the owner is optional', () => {
    assert.deepEqual(checkGet('', 'notes/a'), { ok: true, key: 'notes/a' });
    assert.deepEqual(checkGet(bob, 'notes/a'), { ok: true, key: 'notes/a', owner: bob });
    assert.match((checkGet(typo, 'notes/a') as { message: string }).message, /^Owner: /);
    assert.equal(checkGet(bob, '').ok, false);
  });

  it('failures say what to do', () => {
    assert.match(storageProblem(new StarError('NO_PEERS', 'only 1 Star answered.')), /^only 1 Star answered\. .*another browser/);
    assert.match(storageProblem(new StarError('QUOTA_EXCEEDED', 'IndexedDB is full.')), /site settings/);
    assert.match(storageProblem(new StarError('NOT_A_READER', 'sealed.')), /ask the owner/);
    assert.equal(storageProblem(new StarError('INVALID_ADDRESS', 'a typo: copy it again')), 'a typo: copy it again');
    assert.equal(storageProblem(new Error('boom')), 'boom');
  });

  it('sizes for people', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(50 * 1024 * 1024), '50 MiB');
  });
});
