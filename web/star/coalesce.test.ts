import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { coalesce } from './coalesce.ts';

describe('coalesce', () => {
  it('runs at once, then once more for any number of triggers within the window', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let runs = 0;
      const c = coalesce(() => runs++, 250);
      c.trigger();
      assert.equal(runs, 1);
      for (let i = 0; i < 300; i++) c.trigger();
      assert.equal(runs, 1);
      mock.timers.tick(250);
      assert.equal(runs, 2, 'the triggers of the window ran it once, at its end');
      mock.timers.tick(250);
      assert.equal(runs, 2, 'nothing new: no run');
      mock.timers.tick(1_000);
      c.trigger();
      assert.equal(runs, 3, 'after a quiet window a trigger runs at once again');
    } finally {
      mock.timers.reset();
    }
  });

  it('runs nothing after cancel', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let runs = 0;
      const c = coalesce(() => runs++, 250);
      c.trigger();
      c.trigger();
      c.cancel();
      mock.timers.tick(1_000);
      assert.equal(runs, 1);
    } finally {
      mock.timers.reset();
    }
  });
});
