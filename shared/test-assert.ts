/** Test-only assertions shared by the unit tests. */
import assert from 'node:assert/strict';
import { StarError, type StarErrorCode } from './errors.ts';

/** Awaits `promise` and asserts it rejected with a StarError of `code`; returns that error. */
export async function rejectsWith(promise: Promise<unknown>, code: StarErrorCode): Promise<StarError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof StarError, `expected a StarError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but it resolved`);
}
