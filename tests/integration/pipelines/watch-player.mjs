// Opens dashlivesink's player page (the URL the demo prints) in headless
// Debian Chromium (playwright-core) and watches the live stream: waits at
// most 30 s for playback, then samples for --seconds. Prints one JSON line:
// {started_after, played, seconds, latency: {p50, p95, max, n}, stalls,
//  errors, representation}.
//
//   node watch-player.mjs --url http://127.0.0.1:8080/ [--seconds 30]
//
// Exit: 0 watched (the caller judges), 77 tools missing, 1 no playback.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(resolve(here, '..', 'node_modules'), 'noop.js'));
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const url = args.url;
const seconds = Number(args.seconds || 30);
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

let playwright;
try { playwright = require('playwright-core'); } catch (e) {
  console.log('SKIP: playwright-core not installed (scripts/install-npm-tools.sh)'); process.exit(77);
}
if (!existsSync(chromium)) { console.log(`SKIP: ${chromium} missing`); process.exit(77); }

const profile = mkdtempSync(join(tmpdir(), 'livestream-watch-'));
let browser;
let code = 0;
const q = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null);
try {
  browser = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: chromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  const tab = browser.pages()[0] || await browser.newPage();
  const t0 = Date.now();
  await tab.goto(url);
  let st;
  for (;;) {
    st = await tab.evaluate(() => window.__st ? Object.assign({}, window.__st,
      { err: (document.getElementById('err') || {}).textContent || '' }) : null);
    if (st && st.playing) break;
    if (st && st.err && /not installed/.test(st.err)) { console.log('SKIP: ' + st.err); code = 77; break; }
    if (Date.now() - t0 > 30000) { console.log('no playback within 30 s: ' + JSON.stringify(st)); code = 1; break; }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (code === 0) {
    const startedAfter = (Date.now() - t0) / 1000;
    const t1 = await tab.evaluate(() => document.getElementById('v').currentTime);
    const n0 = st.latency.length;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const s = await tab.evaluate(() => Object.assign({}, window.__st, {
      t: document.getElementById('v').currentTime,
      rep: (document.getElementById('rep') || {}).textContent || '' }));
    const lat = s.latency.slice(n0).sort((a, b) => a - b);
    console.log(JSON.stringify({ started_after: startedAfter, played: s.t - t1, seconds,
      latency: { p50: q(lat, 0.5), p95: q(lat, 0.95), max: lat[lat.length - 1] || null, n: lat.length },
      stalls: s.stalls, errors: s.errors, representation: s.rep }));
  }
} catch (e) {
  console.log('browser failed: ' + e.message);
  code = 1;
}
if (browser) await browser.close().catch(() => {});
rmSync(profile, { recursive: true, force: true });
process.exit(code);
