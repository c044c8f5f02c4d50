/** The dev network's files as `npm start` prepares them: keys first, then a genesis that lists the Galaxies. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { addressFromPublicKey } from '../../shared/chain/address.ts';
import { parseGenesis } from '../../shared/chain/genesis.ts';
import { testKey } from '../../shared/finality/test-fixtures.ts';
import { prepareDevNetwork } from './launch.ts';

describe('dev network files', () => {
  const root = mkdtempSync(join(tmpdir(), 'galaxy-launch-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const paths = (name: string) => {
    const dataDir = join(root, name);
    return { dataDir, genesisFile: join(dataDir, 'genesis.json'), faucetKeyFile: join(dataDir, 'faucet.key') };
  };

  it('creates the faucet key, the Galaxy keys (0600) and a genesis funding the faucet and listing the Galaxies in seat order', async () => {
    const p = paths('new');
    const files = await prepareDevNetwork({ ...p, galaxies: 3 });
    assert.equal(files.genesisCreated, true);
    assert.deepEqual(files.warnings, []);
    assert.deepEqual(files.galaxies.map((g) => g.seat), [0, 1, 2]);
    assert.deepEqual(files.galaxies.map((g) => g.keyFile), [0, 1, 2].map((i) => join(p.dataDir, `galaxy-${i}.key`)));
    for (const g of files.galaxies) assert.equal(statSync(g.keyFile).mode & 0o777, 0o600);
    const genesis = JSON.parse(readFileSync(p.genesisFile, 'utf8')) as { galaxies: string[]; allocations: unknown[] };
    assert.deepEqual(genesis.galaxies, files.galaxies.map((g) => g.address));
    assert.equal(parseGenesis(genesis).balances.size, 1);

    // the next start runs the same network
    const again = await prepareDevNetwork(p);
    assert.equal(again.genesisCreated, false);
    assert.deepEqual(again.galaxies.map((g) => g.address), files.galaxies.map((g) => g.address));
    assert.deepEqual(again.warnings, []);
  });

  it('warns, and runs no Galaxy, on a genesis made before finality', async () => {
    const p = paths('old');
    await prepareDevNetwork({ ...p, galaxies: 0 });
    const files = await prepareDevNetwork(p);
    assert.deepEqual(files.galaxies, []);
    assert.match(files.warnings.join('\n'), /lists no galaxies .* move .* away/);
  });

  it('says which listed Galaxies cannot run here, and when that leaves no quorum', async () => {
    const p = paths('partial');
    await prepareDevNetwork({ ...p, galaxies: 4 });
    unlinkSync(join(p.dataDir, 'galaxy-3.key'));
    writeFileSync(join(p.dataDir, 'galaxy-2.key'), readFileSync(join(p.dataDir, 'galaxy-0.key')));
    const files = await prepareDevNetwork(p);
    assert.deepEqual(files.galaxies.map((g) => g.seat), [0, 1]);
    const text = files.warnings.join('\n');
    assert.match(text, /seat 3 .* has no key/);
    assert.match(text, /galaxy-2.key is not the key of Galaxy seat 2/);
    assert.match(text, /only 2 of the 4 listed Galaxies run here, fewer than the 3/);
    const fewer = await prepareDevNetwork({ ...p, galaxies: 1 });
    assert.match(fewer.warnings.join('\n'), /--galaxies 1 only applies to a new network/);
    assert.deepEqual(fewer.galaxies.map((g) => g.seat), [0]);
  });

  it('refuses a broken genesis file, naming it', async () => {
    const p = paths('broken');
    await prepareDevNetwork(p);
    writeFileSync(p.genesisFile, JSON.stringify({ network: 'x', allocations: [], galaxies: [addressFromPublicKey(testKey(1).pk), 'nope'] }));
    await assert.rejects(prepareDevNetwork(p), /genesis file .* is not valid: galaxies\[1\]/);
  });
});
