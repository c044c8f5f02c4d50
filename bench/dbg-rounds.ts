import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/support/chromium.ts';
import { startNetwork } from '../tests/e2e/support/network-process.ts';
import { openStars } from '../tests/e2e/support/stars.ts';
import { addressOf, call, fund } from '../tests/e2e/support/accounts.ts';
const n = Number(process.argv[2] ?? 16);
const network = await startNetwork({ galaxies: 1, env: { LOG_LEVEL: 'info' } });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const tabs = await openStars(browser, network.relay.url, n);
  const addrs = await Promise.all(tabs.map(addressOf));
  await fund(tabs[0]!);
  const mark = 0;
  for (let i = 0; i < 10; i++) { await call(tabs[0]!, 'transfer', addrs[1 + (i % (n - 1))]!, 1); await new Promise((r) => setTimeout(r, 1000)); }
  await new Promise((r) => setTimeout(r, 10000));
  const metrics = await (await fetch(`${network.relay.url}/metrics`)).text();
  console.log(metrics.split('\n').filter((l) => l.startsWith('starweave_relay_gossip_messages_total')).join('\n'));
  for (const t of tabs.slice(0, 3)) {
    const st = await t.page.evaluate(async () => (await window.starweave.connect()).status());
    console.log('peers', st.peers.map((p) => `${p.direct ? 'D' : 'r'}${p.score.toFixed(1)}`).join(' '));
    console.log('mesh round', await t.page.evaluate(async () => (await window.starweave.connect()).debug!.meshPeers('/starweave/round/1').length));
  }
  for (let h = 1; h <= 12; h++) {
    const r = await fetch(`${network.galaxies[0]!.url}/block/${h}`);
    if (r.status !== 200) break;
    const j = await r.json() as any;
    console.log('BLOCK', h, JSON.stringify(j.body?.checkpoints?.map((c: any) => ({ round: c.round, entries: c.entries?.length })) ?? j).slice(0, 300));
  }
  const lines = network.galaxies[0]!.logs().slice(mark).split('\n').filter((l) => l.includes('"height"'));
  for (const l of lines) { try { const j = JSON.parse(l); delete j.pid; delete j.name; delete j.level; console.log(JSON.stringify(j)); } catch {} }
} finally { await browser.close(); await network.stop(); }
