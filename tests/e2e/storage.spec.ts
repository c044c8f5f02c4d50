/**
 * Storage shards between 8 real tabs over real WebRTC and the relay, in real IndexedDB:
 * quorum writes and reads, replicas that survive two holders closing and converge when they
 * come back, private values only their readers open, and an inbox message that waits for a
 * closed tab.
 *
 * Which tabs hold a key is computed here, in Node, with the same ring code the Stars run
 * (shared/storage/ring.ts over the 8 accounts, one capacity unit each, N = 3), and checked
 * against what each tab says it holds (`debug.storageHeld`).
 */
import type { GetResult } from '../../shared/api.ts';
import { publicKeyFromAddress } from '../../shared/chain/address.ts';
import { toHex } from '../../shared/codec/hex.ts';
import { Ring } from '../../shared/storage/ring.ts';
import { addressOf, attempt, call, fund, statusIn, type Outcome } from './support/accounts.ts';
import { expect, test } from './support/fixtures.ts';
import { reopenStar, type StarTab } from './support/stars.ts';

const TABS = 8;
const KEYS = 1_000;
const N = 3;
/** membership follows presence: a closed tab leaves the ring when its record expires (60 s) */
const converge = { timeout: 150_000, intervals: [1_000, 2_000, 5_000] };

const pkHex = (address: string): string => toHex(publicKeyFromAddress(address));
const keyName = (i: number): string => `doc/${String(i).padStart(4, '0')}`;
const valueOf = (i: number): string => `value ${i} ${'x'.repeat(i % 97)}`;

/**
 * Writes keys `from…to-1` from one tab, `parallel` puts in flight at a time. A put that
 * fails with NO_PEERS (fewer than W Stars stored it in time, which a loaded machine can
 * cause) is retried as its message tells the caller to, at most MAX_PUT_ATTEMPTS times;
 * returns how many retries there were, so the test can report them.
 */
const MAX_PUT_ATTEMPTS = 3;
function putRange(tab: StarTab, from: number, to: number, parallel = 50): Promise<number> {
  return tab.page.evaluate(
    async ([a, b, p, attempts]) => {
      const star = await window.starweave.connect();
      const name = (i: number) => `doc/${String(i).padStart(4, '0')}`;
      const value = (i: number) => `value ${i} ${'x'.repeat(i % 97)}`;
      let retries = 0;
      const put = async (i: number): Promise<void> => {
        for (let attempt = 1; ; attempt++) {
          try {
            await star.put(name(i), value(i));
            return;
          } catch (err) {
            if ((err as { code?: string }).code !== 'NO_PEERS' || attempt === attempts) throw err;
            retries++;
          }
        }
      };
      for (let i = a; i < b; i += p) await Promise.all(Array.from({ length: Math.min(p, b - i) }, (_, k) => put(i + k)));
      return retries;
    },
    [from, to, parallel, MAX_PUT_ATTEMPTS] as const,
  );
}

/**
 * One read as the API tells a person to make it: a NO_PEERS answer (fewer than R Stars
 * answered in time, which a loaded machine can cause) is asked again, at most
 * MAX_READ_ATTEMPTS times; any other answer, a value or another error, is the outcome.
 * Retries are noted on the test's report.
 */
const MAX_READ_ATTEMPTS = 3;
async function readAsAsked(tab: StarTab, key: string, owner: string): Promise<Outcome<GetResult>> {
  for (let n = 1; ; n++) {
    const got = await attempt<GetResult>(tab, 'get', key, owner);
    if (got.ok || got.code !== 'NO_PEERS' || n === MAX_READ_ATTEMPTS) return got;
    test.info().annotations.push({ type: 'read retried', description: `star ${tab.index}, ${key}: ${got.message}` });
  }
}

/** Reads every key of `owner` from one tab; returns the indices that did not read back right. */
function unreadable(tab: StarTab, owner: string, count: number, parallel = 50): Promise<number[]> {
  return tab.page.evaluate(
    async ([o, n, p]) => {
      const star = await window.starweave.connect();
      const name = (i: number) => `doc/${String(i).padStart(4, '0')}`;
      const value = (i: number) => `value ${i} ${'x'.repeat(i % 97)}`;
      const bad: number[] = [];
      for (let i = 0; i < n; i += p) {
        await Promise.all(
          Array.from({ length: Math.min(p, n - i) }, async (_, k) => {
            const got = await star.get(name(i + k), o).catch(() => undefined);
            if (got?.versions.length !== 1 || got.versions[0]!.value !== value(i + k)) bad.push(i + k);
          }),
        );
      }
      return bad.sort((x, y) => x - y);
    },
    [owner, count, parallel] as const,
  );
}

/** The key names of `owner` this tab holds in its own shard (hints not counted). */
function held(tab: StarTab, owner: string): Promise<string[]> {
  return tab.page.evaluate(async (o) => (await window.starweave.connect()).debug!.storageHeld(o), owner);
}

/** The accounts this tab's ring is built from. */
function members(tab: StarTab): Promise<string[]> {
  return tab.page.evaluate(async () => (await window.starweave.connect()).debug!.storageMembers());
}

test('8 tabs: 1,000 keys stay readable with two replica holders closed, and replicas converge when they return', async ({ stars, relay }) => {
  test.setTimeout(480_000);
  let tabs = await stars.many(TABS);
  const addresses = await Promise.all(tabs.map(addressOf));
  for (const tab of tabs) await expect.poll(async () => (await members(tab)).length, { ...converge, message: `star ${tab.index} should see all ${TABS} Stars in its ring` }).toBe(TABS);

  const writer = tabs[0]!;
  const owner = addresses[0]!;
  const retries = await putRange(writer, 0, KEYS);
  test.info().annotations.push({ type: 'put retries', description: `${retries} of ${KEYS} puts were retried after NO_PEERS` });

  // where every key lives, by the ring every Star computes
  const ring = new Ring(addresses.map((a) => ({ id: pkHex(a), capacity: 1 })));
  const holders = (names: readonly string[]) => names.map((name) => ring.preferenceList({ owner: pkHex(owner), name }, N));
  const names = Array.from({ length: KEYS }, (_, i) => keyName(i));
  const lists = holders(names);
  const expectedHeld = (i: number) => names.filter((_, k) => lists[k]!.includes(pkHex(addresses[i]!))).sort();
  // every replica wrote its copy (W = 2 acked the put; the third follows)
  for (const [i, tab] of tabs.entries()) {
    await expect.poll(async () => (await held(tab, owner)).sort(), { ...converge, message: `star ${i} should hold its ${expectedHeld(i).length} keys` }).toEqual(expectedHeld(i));
  }

  // close the two non-writer tabs that hold the most keys together
  const pairs: Array<[number, number, number]> = [];
  for (let a = 1; a < TABS; a++) for (let b = a + 1; b < TABS; b++) pairs.push([a, b, lists.filter((l) => l.includes(pkHex(addresses[a]!)) && l.includes(pkHex(addresses[b]!))).length]);
  const [ca, cb, shared] = pairs.sort((x, y) => y[2] - x[2])[0]!;
  expect(shared).toBeGreaterThan(0);
  await tabs[ca]!.page.close();
  await tabs[cb]!.page.close();

  // every key is still read, and read right, from a tab that is neither writer nor closed
  const reader = tabs.find((t) => t.index !== 0 && t.index !== ca && t.index !== cb)!;
  await expect.poll(() => unreadable(reader, owner, KEYS), { ...converge, message: `star ${reader.index} should read all ${KEYS} keys with stars ${ca} and ${cb} gone` }).toEqual([]);

  // they come back on their own IndexedDB: every replica ends where the ring says
  tabs = await Promise.all(tabs.map((t) => (t.index === ca || t.index === cb ? reopenStar(t, relay.url) : Promise.resolve(t))));
  for (const [i, tab] of tabs.entries()) {
    await expect.poll(async () => (await held(tab, owner)).sort(), { ...converge, message: `star ${i} should converge to its ${expectedHeld(i).length} keys` }).toEqual(expectedHeld(i));
  }
  expect(await unreadable(tabs[ca]!, owner, KEYS)).toEqual([]);
});

test('a private value opens for its reader only, and an inbox message waits for a closed tab', async ({ stars, relay }) => {
  test.setTimeout(240_000);
  const tabs = await stars.many(4);
  const [alice, bob, carol, dave] = tabs as [StarTab, StarTab, StarTab, StarTab];
  const [aliceAddr, bobAddr, , daveAddr] = await Promise.all(tabs.map(addressOf));
  for (const tab of tabs) await expect.poll(async () => (await members(tab)).length, { ...converge, message: `star ${tab.index} should see all 4 Stars` }).toBe(4);

  await call(alice, 'put', 'letter', 'for bob only', { readers: [bobAddr] });
  const forBob = await readAsAsked(bob, 'letter', aliceAddr!);
  expect(forBob.ok ? forBob.value.versions.map((v) => [v.value, v.private, v.writer]) : forBob).toEqual([['for bob only', true, aliceAddr]]);
  const forCarol = await readAsAsked(carol, 'letter', aliceAddr!);
  expect(forCarol.ok ? 'read' : `${forCarol.code}: ${forCarol.message}`).toMatch(/^NOT_A_READER: /);
  // the storage Stars hold ciphertext: the plain text is in no version any of them holds
  const raw = await Promise.all(tabs.map((t) => t.page.evaluate(async (o) => (await window.starweave.connect()).debug!.storageRaw(o, 'letter'), aliceAddr!)));
  expect(raw.flat().length).toBeGreaterThan(0);
  for (const bytes of raw.flat()) expect(Buffer.from(bytes).includes(Buffer.from('for bob only'))).toBe(false);

  // dave closes; a message to him is kept in his inbox keys and reaches him when he returns
  await dave.page.close();
  await call(alice, 'send', daveAddr, 'see you later');
  const back = await reopenStar(dave, relay.url);
  await expect(back.page.getByText('see you later')).toBeVisible({ timeout: converge.timeout });
  // once: the delivered message is gone from the inbox
  await expect.poll(() => call<string[]>(back, 'list', 'inbox/'), converge).toEqual([]);
});

test('a transfer to a closed tab waits in its inbox and is countersigned when it returns, after the sender has closed too', async ({ stars, relay }) => {
  test.setTimeout(240_000);
  const tabs = await stars.many(4);
  const [alice, , , dave] = tabs as [StarTab, StarTab, StarTab, StarTab];
  const daveAddr = await addressOf(dave);
  for (const tab of tabs) await expect.poll(async () => (await members(tab)).length, { ...converge, message: `star ${tab.index} should see all 4 Stars` }).toBe(4);
  await fund(alice);

  await dave.page.close();
  // dave's presence has to expire before alice treats him as away
  await expect.poll(async () => (await members(alice)).length, { ...converge, message: 'alice should see dave leave' }).toBe(3);
  const { id } = await call<{ id: string }>(alice, 'transfer', daveAddr, 7, 'while you were away');
  await expect.poll(async () => (await call<string[]>(alice, 'list', 'inbox/', daveAddr)).length, { ...converge, message: "the proposal should be stored in dave's inbox" }).toBe(1);
  // the sender is gone too: only the inbox can bring the proposal to dave
  await alice.page.close();

  const back = await reopenStar(dave, relay.url);
  await expect.poll(() => statusIn(back, id), { ...converge, message: 'dave should countersign the proposal from his inbox' }).toBe('agreed');
  await expect.poll(() => call<string[]>(back, 'list', 'inbox/'), converge).toEqual([]);
});
