/**
 * Finality benchmark: N tabs (each its own browser context) on a real relay and Galaxy.
 * Funded tabs send transfers to random other tabs at a steady pace; each transfer is timed
 * in the sender's tab from just before `star.transfer()` to the `transfer` event that says
 * it is `final` (both halves under a quorum-signed Blackhole block, checked by that tab).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/support/chromium.ts';
import { startNetwork } from '../tests/e2e/support/network-process.ts';
import { openStars, waitReachable, type StarTab } from '../tests/e2e/support/stars.ts';
import { addressOf, attempt, call, fund } from '../tests/e2e/support/accounts.ts';
import { decodeStoredBlackholeList } from '../shared/finality/galaxy-core.ts';
import { printRoundSteps } from './round-steps.ts';
import { percentile } from './stats.ts';

export interface FinalityResult {
  tabs: number;
  transfers: number;
  finalised_ratio: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  galaxies: number;
  /** Blackhole blocks made while transfers were timed, and how many carried a checkpoint */
  blocks: number;
  blocks_with_checkpoint: number;
  block_interval_p50_ms: number;
}

declare global {
  interface Window {
    __finalAt: Record<string, number>;
    /** when this tab first saw each transfer in each status */
    __statusAt: Record<string, Record<string, number>>;
  }
}

/** Polls `check` every 250 ms until it holds; throws after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Sends one transfer and returns its id and the sender-side submit time. */
function submit(tab: StarTab, to: string, amount: number): Promise<{ id: string; at: number }> {
  return tab.page.evaluate(
    async ([t, a]) => {
      const star = await window.starweave.connect();
      const at = Date.now();
      const { id } = await star.transfer(t, a, 'bench');
      return { id, at };
    },
    [to, amount] as const,
  );
}

export async function benchFinality(opts: { tabs: number; transfers: number; intervalMs: number; galaxies: number; roundTimeoutMs?: number; logsDir?: string }): Promise<FinalityResult> {
  const network = await startNetwork({ galaxies: opts.galaxies, env: { LOG_LEVEL: 'warn' }, ...(opts.roundTimeoutMs ? { roundTimeoutMs: opts.roundTimeoutMs } : {}) });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const tabs = await openStars(browser, network.relay.url, opts.tabs);
    const reachable = await waitReachable(tabs, 120_000);
    console.error(`finality: every tab reachable through the relay; after opening the last: ${reachable.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s`);
    const addresses = await Promise.all(tabs.map(addressOf));
    for (const tab of tabs) {
      await tab.page.evaluate(async () => {
        window.__finalAt = {};
        window.__statusAt = {};
        const star = await window.starweave.connect();
        star.on('transfer', (t) => {
          const seen = (window.__statusAt[t.id] ??= {});
          seen[t.status] ??= Date.now();
          if (t.status === 'final' && window.__finalAt[t.id] === undefined) window.__finalAt[t.id] = Date.now();
        });
      });
    }
    const senders = tabs.slice(0, Math.max(1, Math.floor(opts.tabs / 2)));
    for (const s of senders) await fund(s);
    // start measuring once the network is finalising (the faucet payouts are final)
    await until('the faucet payouts to be final', async () => {
      const b = await Promise.all(senders.map((s) => call<{ final: number }>(s, 'balance')));
      return b.every((x) => x.final > 0);
    }, 120_000);

    const galaxyUrl = network.galaxies[0]!.url;
    const head = () => galaxyHead(galaxyUrl);
    const firstHeight = (await head()) + 1;
    const sent: Sent[] = [];
    for (let i = 0; i < opts.transfers; i++) {
      const from = senders[i % senders.length]!;
      let to = Math.floor(Math.random() * tabs.length);
      if (to === from.index) to = (to + 1) % tabs.length;
      const { id, at } = await submit(from, addresses[to]!, 1);
      sent.push({ tab: from, to: tabs[to]!, id, at });
      await new Promise((r) => setTimeout(r, opts.intervalMs));
    }
    const finalAt = async (s: { tab: StarTab; id: string }) => s.tab.page.evaluate((id) => window.__finalAt[id], s.id);
    let lastReport = Date.now();
    await until(
      'every transfer to be final',
      async () => {
        const done = (await Promise.all(sent.map(finalAt))).filter((t) => t !== undefined).length;
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          const f = await tabs[0]!.page.evaluate(async () => (await window.starweave.connect()).debug!.finality());
          const statuses = await Promise.all(sent.slice(0, 5).map((x) => call<string>(x.tab, 'transferStatus', x.id)));
          console.error(`finality: ${done}/${sent.length} final; star 0 at height ${f.finalHeight}; first statuses ${statuses.join(', ')}`);
        }
        return done === sent.length;
      },
      120_000,
    ).catch(() => undefined);
    /** every transfer's submit → final time (Infinity: never final) */
    const timed: Timed[] = [];
    for (const s of sent) timed.push({ s, ms: ((await finalAt(s)) ?? Infinity) - s.at });
    const latencies = timed.flatMap((t) => (Number.isFinite(t.ms) ? [t.ms] : []));
    const unfinal = timed.flatMap((t) => (Number.isFinite(t.ms) ? [] : [t.s]));
    // what the ends of a transfer that never became final know of it (`pending` at the
    // receiver: it has the proposal but did not countersign; UNKNOWN_TRANSFER: it never got it)
    for (const s of unfinal.slice(0, 10)) {
      const [atSender, atReceiver] = await Promise.all([s.tab, s.to].map((t) => attempt<string>(t, 'transferStatus', s.id).then((r) => (r.ok ? r.value : r.code))));
      console.error(`finality: not final: ${s.id.slice(0, 12)}… star ${s.tab.index} → star ${s.to.index}: ${atSender} at the sender, ${atReceiver} at the receiver`);
    }
    latencies.sort((a, b) => a - b);
    await printStages(timed);
    await explainTail(timed, galaxyUrl, percentile(latencies, 50));
    if (opts.logsDir) writeTabLogs(opts.logsDir, tabs, sent);
    const lastHeight = await head();
    await printRoundSteps('finality', tabs, await blackholeBlocks(galaxyUrl, firstHeight, lastHeight));
    const rounds = await roundStats(galaxyUrl, firstHeight, lastHeight);
    return {
      tabs: opts.tabs,
      transfers: sent.length,
      finalised_ratio: Number((latencies.length / sent.length).toFixed(3)),
      p50_ms: Math.round(percentile(latencies, 50)),
      p99_ms: Math.round(percentile(latencies, 99)),
      max_ms: Math.round(latencies[latencies.length - 1] ?? NaN),
      galaxies: opts.galaxies,
      ...rounds,
    };
  } finally {
    await browser?.close();
    await network.stop();
  }
}

/**
 * Where the slowest transfers spent their time: when each end first saw each status (ms
 * after submit), and at which height the Galaxy made the proposal final, so a tail can be
 * told apart (a late countersignature, a late checkpoint, or a late last half).
 */
/** A transfer the benchmark sent: from, to, its id and when it was submitted. */
interface Sent {
  tab: StarTab;
  to: StarTab;
  id: string;
  at: number;
}

interface Timed {
  s: Sent;
  ms: number;
}

/** When `tab` first saw transfer `id` in each status (ms since epoch). */
function statusTimes(tab: StarTab, id: string): Promise<Record<string, number>> {
  return tab.page.evaluate((i) => window.__statusAt[i] ?? {}, id);
}

/**
 * Where a typical transfer spends its time: for the final ones, when the receiver first saw
 * the proposal and countersigned it, when the sender saw it checkpointed, and final (ms
 * after submit, p50 and p90 of each), so a change can be aimed at the stage that dominates.
 */
async function printStages(timed: readonly Timed[]): Promise<void> {
  const stages: Record<string, number[]> = { 'receiver has it': [], 'receiver agreed': [], checkpointed: [], final: [] };
  for (const { s, ms } of timed) {
    if (!Number.isFinite(ms)) continue;
    const [sender, receiver] = await Promise.all([s.tab, s.to].map((t) => statusTimes(t, s.id)));
    const push = (stage: string, at: number | undefined) => at !== undefined && stages[stage]!.push(at - s.at);
    push('receiver has it', receiver!.pending ?? receiver!.agreed);
    push('receiver agreed', receiver!.agreed);
    push('checkpointed', sender!.checkpointed);
    push('final', sender!.final);
  }
  const row = ([stage, ms]: [string, number[]]) => `${stage} p50 ${Math.round(percentile(ms, 50))} ms, p90 ${Math.round(percentile(ms, 90))} ms (${ms.length})`;
  console.error(`finality: stages after submit: ${Object.entries(stages).map(row).join('; ')}`);
}

/** Each tab's console (its worker's too; first line: its peer id) and the transfers sent, for reading a slow run afterwards. */
function writeTabLogs(dir: string, tabs: readonly StarTab[], sent: readonly Sent[]): void {
  mkdirSync(dir, { recursive: true });
  for (const t of tabs) writeFileSync(join(dir, `star-${t.index}.log`), [t.peerId, ...t.console].join('\n'));
  writeFileSync(join(dir, 'sent.json'), JSON.stringify(sent.map((s) => ({ from: s.tab.index, to: s.to.index, id: s.id, at: s.at }))));
  console.error(`finality: tab logs written to ${dir}`);
}

async function explainTail(timed: readonly Timed[], galaxyUrl: string, median: number): Promise<void> {
  const slow = timed.filter((t) => t.ms > 3 * median).sort((a, b) => b.ms - a.ms).slice(0, 5);
  for (const { s, ms } of slow) {
    const seen = async (tab: StarTab) => {
      const at = await statusTimes(tab, s.id);
      return Object.entries(at).sort((a, b) => a[1] - b[1]).map(([status, t]) => `${status} +${((t - s.at) / 1000).toFixed(1)} s`).join(', ') || 'nothing';
    };
    // the two ends' connections now (a snapshot at the end, not at the time)
    const links = (tab: StarTab) =>
      tab.page.evaluate(async () => {
        const star = await window.starweave.connect();
        const st = await star.status();
        // the relay forwards every message a tab without direct peers gets: a low score there cuts it off
        const relayScore = st.relayInfo.peerId && star.debug ? star.debug.peerScore(st.relayInfo.peerId) : Number.NaN;
        return { relay: st.relay, relayScore, peers: st.peers.length, direct: st.peers.filter((p) => p.direct).length, addresses: st.peers.flatMap((p) => (p.address ? [p.address] : [])) };
      });
    const [fromLinks, toLinks, toAddress] = await Promise.all([links(s.tab), links(s.to), addressOf(s.to)]);
    const proof = await fetch(`${galaxyUrl}/proof/${s.id}`, { headers: { accept: 'application/json' } });
    const height = proof.ok ? ((await proof.json()) as { header: { height: number; time: number } }).header : undefined;
    console.error(
      `finality: slow ${s.id.slice(0, 12)}… star ${s.tab.index} → star ${s.to.index}, ${Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'never final'}: ` +
        `sender saw ${await seen(s.tab)}; receiver saw ${await seen(s.to)}; ` +
        `proposal ${height ? `final at height ${height.height}, +${((height.time - s.at) / 1000).toFixed(1)} s` : 'not final at the Galaxy'}; ` +
        `now the sender has ${fromLinks.peers} peers (${fromLinks.direct} direct, ${fromLinks.addresses.includes(toAddress) ? 'the receiver among them' : 'not the receiver'}), ` +
        `the receiver ${toLinks.peers} (${toLinks.direct} direct), relay ${toLinks.relay}; gossip score of the relay: sender ${fromLinks.relayScore.toFixed(1)}, receiver ${toLinks.relayScore.toFixed(1)}`,
    );
  }
}

/** The height of the Galaxy's newest Blackhole block. */
export async function galaxyHead(galaxyUrl: string): Promise<number> {
  return ((await (await fetch(`${galaxyUrl}/head`)).json()) as { height: number }).height;
}

export interface BlackholeBlockInfo {
  height: number;
  /** the block's time (the Galaxies' median clock), ms since epoch */
  time: number;
  checkpoints: number;
  /** half-blocks in its checkpoints (their entries) and those it made final */
  entries: number;
  accepted: number;
}

/** The Galaxy's Blackhole blocks at heights `from`..`to` (both included). */
export async function blackholeBlocks(galaxyUrl: string, from: number, to: number): Promise<BlackholeBlockInfo[]> {
  const out: BlackholeBlockInfo[] = [];
  for (let h = from; h <= to; ) {
    const res = await fetch(`${galaxyUrl}/blocks?from=${h}&limit=64`);
    const decoded = decodeStoredBlackholeList(new Uint8Array(await res.arrayBuffer()), 64);
    if (!decoded.ok) throw new Error(`the Galaxy's /blocks answer did not decode: ${decoded.reason}`);
    const page = decoded.value;
    if (page.length === 0) break;
    for (const { block } of page) {
      if (block.header.height > to) break;
      const entries = block.body.checkpoints.reduce((n, c) => n + c.entries.length, 0);
      out.push({ height: block.header.height, time: block.header.time, checkpoints: block.body.checkpoints.length, entries, accepted: block.body.accepted.length });
    }
    h = page[page.length - 1]!.block.header.height + 1;
  }
  return out;
}

/** What the Galaxy made while we measured: how often a round produced a checkpoint in time. */
export async function roundStats(galaxyUrl: string, from: number, to: number): Promise<Pick<FinalityResult, 'blocks' | 'blocks_with_checkpoint' | 'block_interval_p50_ms'>> {
  const blocks = await blackholeBlocks(galaxyUrl, from, to);
  const gaps = blocks.slice(1).map((b, i) => b.time - blocks[i]!.time);
  return { blocks: blocks.length, blocks_with_checkpoint: blocks.filter((b) => b.checkpoints > 0).length, block_interval_p50_ms: Math.round(percentile(gaps, 50)) };
}
