// Plays an on-demand entry of the content server with dash.js, shaka-player
// and hls.js in headless Debian Chromium (playwright-core). The media comes
// from the content server's /api/v1/content/{hash}/... URLs (cross-origin,
// so its CORS headers are exercised); this script serves only the page and
// the player libraries.
//
//   node vod-players.mjs --base http://127.0.0.1:P/api/v1/content/HASH
//        [--players dashjs,shaka,hls] [--mode seek|live] [--seconds 20]
//        [--timeout 60]
//
// --mode seek (a complete entry): load, play, seek to the middle, play on,
//   seek to 3 s before the end, play to the end. Per player one JSON line:
//   {player, duration, startMs, mid: {to, reached}, end: {to, ended},
//    errors: [...], stalls}
// --mode live (the entry is still being packaged): load and play from the
//   start for --seconds; one JSON line per player: {player, startMs,
//   startEpoch (ms since 1970), played, advancing, errors, dynamic} (all players at once, one tab each).
//
// Exit: 0 ran (the caller judges), 77 a tool is missing, 1 browser failure.

import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const modules = resolve(here, '..', 'node_modules');
const require = createRequire(join(modules, 'noop.js'));

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const base = (args.base || '').replace(/\/$/, '');
const players = (args.players || 'dashjs,shaka,hls').split(',');
const mode = args.mode || 'seek';
const seconds = Number(args.seconds || 20);
const timeout = Number(args.timeout || 60) * 1000;
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

function out(o) { console.log(JSON.stringify(o)); }
function skip(why) { console.log(`SKIP: ${why}`); process.exit(77); }

let playwright;
try { playwright = require('playwright-core'); } catch (e) { skip('playwright-core not installed (scripts/install-npm-tools.sh)'); }
const libs = {
  dashjs: join(modules, 'dashjs/dist/modern/umd/dash.all.min.js'),
  shaka: join(modules, 'shaka-player/dist/shaka-player.compiled.js'),
  hls: join(modules, 'hls.js/dist/hls.min.js'),
};
for (const p of players) {
  if (!libs[p]) { console.log(`unknown player ${p}`); process.exit(2); }
  if (!existsSync(libs[p])) skip(`${libs[p]} missing (scripts/install-npm-tools.sh)`);
}
if (!existsSync(chromium)) skip(`${chromium} missing`);
if (!base) { console.log('--base URL needed'); process.exit(2); }

// The page: one player, its state in window.__st for the driver
function page(player) {
  const url = base + (player === 'hls' ? '/master.m3u8' : '/manifest.mpd');
  const load = {
    dashjs: `
const p = dashjs.MediaPlayer().create();
p.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING } });
p.on(dashjs.MediaPlayer.events.ERROR, (e) => st.errors.push('dashjs: ' + JSON.stringify(e.error || e).slice(0, 300)));
p.on(dashjs.MediaPlayer.events.MANIFEST_LOADED, (e) => { st.dynamic = !!(e.data && e.data.type === 'dynamic'); });
p.initialize(v, ${JSON.stringify(url)}, true);`,
    shaka: `
shaka.polyfill.installAll();
const p = new shaka.Player();
p.addEventListener('error', (e) => st.errors.push('shaka: ' + JSON.stringify(e.detail).slice(0, 300)));
p.attach(v).then(() => p.load(${JSON.stringify(url)}, ${mode === 'live' ? '0' : 'undefined'}))
  .then(() => { st.dynamic = p.isLive(); return v.play(); })
  .catch((e) => st.errors.push('shaka load: ' + (e.code || e.message)));`,
    hls: `
const h = new Hls({ startPosition: 0 });
h.on(Hls.Events.ERROR, (ev, d) => { if (d.fatal) st.errors.push('hls.js fatal: ' + d.type + ' ' + d.details);
  else st.warnings.push(d.details); });
h.on(Hls.Events.LEVEL_LOADED, (ev, d) => { st.dynamic = !!d.details.live; st.playlistType = d.details.type; });
h.loadSource(${JSON.stringify(url)});
h.attachMedia(v);
h.on(Hls.Events.MANIFEST_PARSED, () => v.play().catch((e) => st.errors.push('play: ' + e.message)));`,
  }[player];
  return `<!doctype html><html><body>
<video id="v" muted playsinline width="640" height="360"></video>
<script src="/lib.js"></script>
<script>
const st = window.__st = { errors: [], warnings: [], stalls: 0, playing: false, ended: false,
  t0: performance.now(), startMs: null, dynamic: null, seeking: false };
const v = document.getElementById('v');
v.addEventListener('playing', () => { if (st.startMs === null) { st.startMs = performance.now() - st.t0; st.startEpoch = Date.now(); } st.playing = true; });
v.addEventListener('waiting', () => { if (st.playing && !st.seeking) st.stalls++; });
v.addEventListener('seeking', () => { st.seeking = true; });
v.addEventListener('seeked', () => { st.seeking = false; });
v.addEventListener('ended', () => { st.ended = true; });
v.addEventListener('error', () => st.errors.push('video: ' + (v.error && v.error.message)));
${load}
</script></body></html>`;
}

let current = null;
const server = createServer((req, res) => {
  const u = new URL(req.url, 'http://127.0.0.1');
  const [, player, what] = u.pathname.split('/');
  if (!libs[player]) { res.writeHead(404); res.end(); return; }
  if (what === 'lib.js') {
    res.writeHead(200, { 'Content-Type': 'text/javascript', 'Content-Length': statSync(libs[player]).size });
    createReadStream(libs[player]).pipe(res);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html' });
  res.end(page(player).replace('src="/lib.js"', `src="/${player}/lib.js"`));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function state(tab) {
  return tab.evaluate(() => {
    const v = document.getElementById('v');
    return Object.assign({}, window.__st, { t: v.currentTime, duration: v.duration, paused: v.paused,
      buffered: v.buffered.length ? v.buffered.end(v.buffered.length - 1) : 0 });
  });
}
async function waitFor(tab, cond, ms) {
  const end = Date.now() + ms;
  let s;
  for (;;) {
    s = await state(tab);
    if (cond(s) || s.errors.length || Date.now() > end) return s;
    await sleep(250);
  }
}

async function seekRun(browser, player) {
  const tab = await browser.newPage();
  await tab.goto(`${origin}/${player}/`);
  const r = { player, errors: [] };
  let s = await waitFor(tab, (x) => x.startMs !== null && x.t > 0.3 && isFinite(x.duration) && x.duration > 0, timeout / 2);
  r.startMs = s.startMs === null ? null : Math.round(s.startMs);
  r.duration = s.duration;
  r.dynamic = s.dynamic;
  if (s.startMs !== null && isFinite(s.duration)) {
    const mid = s.duration / 2;
    await tab.evaluate((t) => { document.getElementById('v').currentTime = t; }, mid);
    s = await waitFor(tab, (x) => !x.seeking && x.t > mid + 1.0, timeout / 4);
    r.mid = { to: mid, reached: s.t, ok: s.t > mid + 1.0 && s.t < mid + 10 };
    const endTo = s.duration - 3;
    await tab.evaluate((t) => { document.getElementById('v').currentTime = t; }, endTo);
    s = await waitFor(tab, (x) => x.ended, timeout / 4);
    r.end = { to: endTo, reached: s.t, ended: s.ended };
  }
  r.errors = s.errors;
  r.stalls = s.stalls;
  r.warnings = s.warnings.slice(0, 10);
  await tab.close();
  return r;
}

async function liveRun(browser) {
  const tabs = [];
  for (const player of players) {
    const tab = await browser.newPage();
    await tab.goto(`${origin}/${player}/`);
    tabs.push([player, tab, Date.now()]);
  }
  const samples = new Map(players.map((p) => [p, []]));
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    await sleep(1000);
    for (const [player, tab] of tabs) samples.get(player).push(await state(tab));
  }
  for (const [player, tab] of tabs) {
    const ss = samples.get(player);
    const last = ss[ss.length - 1];
    const started = ss.filter((x) => x.startMs !== null);
    // after start, currentTime must keep moving: compare 3 s apart
    let advancing = started.length >= 4;
    for (let i = 3; i < started.length; i++) if (!(started[i].t > started[i - 3].t)) advancing = false;
    out({ player, startMs: last.startMs === null ? null : Math.round(last.startMs),
      startEpoch: last.startEpoch || null, played: last.t,
      advancing, dynamic: last.dynamic, playlistType: last.playlistType || null,
      errors: last.errors, stalls: last.stalls, warnings: last.warnings.slice(0, 10) });
    await tab.close();
  }
}

const profile = mkdtempSync(join(tmpdir(), 'livestream-chromium-'));
let browser;
let code = 0;
try {
  browser = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: chromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  if (mode === 'live') await liveRun(browser);
  else for (const p of players) out(await seekRun(browser, p));
} catch (e) {
  console.log('browser failed: ' + e.message);
  code = 1;
}
if (browser) await browser.close().catch(() => {});
server.close();
rmSync(profile, { recursive: true, force: true });
process.exit(code);
