// dashlivesink low-latency browser test: a live pipeline (segment 2 s,
// chunk 200 ms, 30 fps, x264enc tune=zerolatency) is served by
// dashlivesink's own HTTP server (http-port); headless Debian Chromium
// (playwright-core) opens the server's player page at / (dash.js, low
// latency mode with live catch-up, latency targets from the MPD's
// ServiceDescription) or a shaka-player page, and plays for --seconds.
// Passes when playback starts, no player error, no stall after start, and
// (dash.js) the median live latency is at most --max-p50 seconds.
// Prints one JSON line "RESULT {...}" with the latency figures.
//
//   node ll-test.mjs --player dashjs|shaka [--seconds 60] [--max-p50 1.5]
//        [--chunk-ms 200] [--segment-ms 2000]
//
// Environment: GST_LAUNCH (default gst-launch-1.0), CHROMIUM
// (default /usr/bin/chromium), GST_PLUGIN_PATH_1_0 etc. from meson.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const player = args.player || 'dashjs';
const seconds = Number(args.seconds || 60);
const maxP50 = Number(args['max-p50'] || 1.5);
const chunkMs = Number(args['chunk-ms'] || 200);
const segmentMs = Number(args['segment-ms'] || 2000);
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

function log(...a) { console.log(`[ll-${player}]`, ...a); }
function skip(why) { console.log(`SKIP: ${why}`); process.exit(77); }

let playwright;
try {
  playwright = require('playwright-core');
} catch (e) {
  skip('playwright-core not installed (scripts/install-npm-tools.sh)');
}
if (!existsSync(chromium)) skip(`${chromium} not found`);
const shakaLib = join(here, 'node_modules/shaka-player/dist/shaka-player.compiled.js');
if (player === 'shaka' && !existsSync(shakaLib)) skip('shaka-player not installed');

async function freePort() {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function quantile(xs, q) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
}

const port = await freePort();
const outDir = mkdtempSync(join(tmpdir(), 'dashll-'));
const profileDir = mkdtempSync(join(tmpdir(), 'dashll-chromium-'));
const gstLaunch = process.env.GST_LAUNCH || 'gst-launch-1.0';
const fps = 30;
const pipeline = [
  '-e', 'videotestsrc', 'is-live=true', 'pattern=ball', '!',
  `video/x-raw,width=640,height=360,framerate=${fps}/1,format=I420`, '!',
  'x264enc', 'tune=zerolatency', 'speed-preset=ultrafast',
  `key-int-max=${Math.round(fps * segmentMs / 1000)}`, 'bitrate=800', '!',
  'h264parse', '!',
  'dashlivesink', 'name=s', `location=${outDir}`, 'dvr-window=30',
  `segment-duration=${segmentMs * 1000000}`, `chunk-duration=${chunkMs * 1000000}`,
  `http-port=${port}`,
  'audiotestsrc', 'is-live=true', 'wave=ticks', '!',
  'audio/x-raw,rate=48000,channels=2', '!', 'avenc_aac', '!', 'aacparse', '!', 's.audio_0',
];
const gst = spawn(gstLaunch, pipeline, { stdio: ['ignore', 'pipe', 'pipe'] });
let gstOut = '';
gst.stdout.on('data', (d) => { gstOut += d; });
gst.stderr.on('data', (d) => { gstOut += d; });
let gstExited = false;
gst.on('exit', () => { gstExited = true; });

const shakaPage = `<!doctype html><html><body>
<video id="v" muted autoplay playsinline width="640" height="360"></video>
<script src="/__shaka.js"></script>
<script>
const st = window.__st = { errors: [], stalls: 0, playing: false, latency: [] };
const v = document.getElementById('v');
v.addEventListener('playing', () => { st.playing = true; });
v.addEventListener('waiting', () => { if (st.playing) st.stalls++; });
shaka.polyfill.installAll();
const p = window.__p = new shaka.Player();
p.configure({ streaming: { lowLatencyMode: true } });
p.addEventListener('error', (e) => st.errors.push('shaka: ' + JSON.stringify(e.detail).slice(0, 300)));
p.attach(v).then(() => p.load('/manifest.mpd')).catch((e) => st.errors.push('shaka load: ' + (e.code || e.message)));
setInterval(() => { const l = p.getStats().liveLatency; if (st.playing && l > 0) st.latency.push(l); }, 500);
</script></body></html>`;

let browser;
const failed = [];
async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (!gstExited) {
    gst.kill('SIGINT');
    await new Promise((r) => { const t = setTimeout(() => { gst.kill('SIGKILL'); r(); }, 5000); gst.on('exit', () => { clearTimeout(t); r(); }); });
  }
  rmSync(outDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
}

const result = { player, seconds, chunkMs, segmentMs };
try {
  const base = `http://127.0.0.1:${port}`;
  // bounded wait for the server and the third segment
  const t0 = Date.now();
  for (;;) {
    if (gstExited) throw new Error('pipeline exited early:\n' + gstOut);
    if (Date.now() - t0 > 20000) throw new Error('no 3rd segment after 20 s:\n' + gstOut);
    if (existsSync(join(outDir, 'video_0-3.m4s'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  browser = await playwright.chromium.launchPersistentContext(profileDir, {
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required'],
  });
  const tab = browser.pages()[0] || await browser.newPage();
  const consoleErrors = [];
  tab.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  tab.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
  if (player === 'shaka') {
    await tab.route(`${base}/__shaka.html`, (r) => r.fulfill({ contentType: 'text/html', body: shakaPage }));
    await tab.route(`${base}/__shaka.js`, (r) => r.fulfill({ contentType: 'text/javascript', body: readFileSync(shakaLib) }));
    await tab.goto(`${base}/__shaka.html`);
  } else {
    // the element's own player page with its bundled dash.js
    await tab.goto(`${base}/`);
    if (!(await tab.evaluate(() => typeof dashjs !== 'undefined'))) throw new Error('player page has no dash.js');
  }

  const start = Date.now();
  while (!(await tab.evaluate(() => window.__st.playing))) {
    if (Date.now() - start > 20000) throw new Error('playback did not start in 20 s: ' + JSON.stringify(await tab.evaluate(() => window.__st)));
    await new Promise((r) => setTimeout(r, 100));
  }
  result.startMs = Date.now() - start;
  log(`playing after ${result.startMs} ms`);
  const stallsAtStart = await tab.evaluate(() => window.__st.stalls);

  let last = await tab.evaluate(() => document.getElementById('v').currentTime);
  const first = last;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 2000));
    const t = await tab.evaluate(() => document.getElementById('v').currentTime);
    if (!(t > last)) failed.push(`currentTime did not advance: ${last} -> ${t}`);
    last = t;
    if (gstExited) throw new Error('pipeline died:\n' + gstOut);
  }
  const st = await tab.evaluate(() => window.__st);
  // latency after a 10 s warm-up (catch-up from the start position)
  const warm = Math.min(20, Math.floor(st.latency.length / 3));
  const lat = st.latency.slice(warm);
  result.latencyP50 = Number(quantile(lat, 0.5).toFixed(3));
  result.latencyP95 = Number(quantile(lat, 0.95).toFixed(3));
  result.latencyMax = Number(Math.max(...lat).toFixed(3));
  result.stalls = st.stalls - stallsAtStart;
  result.errors = st.errors.length;
  result.played = Number((last - first).toFixed(2));
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const m = metrics.match(/livestream_dashlivesink_mispredicted_segments\{[^}]*\} (\d+)/);
  result.mispredicted = m ? Number(m[1]) : null;
  const lr = metrics.match(/livestream_dashlivesink_http_live_responses_total\{[^}]*\} (\d+)/);
  result.liveResponses = lr ? Number(lr[1]) : null;
  log(`RESULT ${JSON.stringify(result)}`);
  console.log(`RESULT ${JSON.stringify(result)}`);
  if (st.errors.length) failed.push('player errors: ' + st.errors.join(' | '));
  if (result.stalls > 0) failed.push(`${result.stalls} stalls after start`);
  if (result.played < seconds * 0.8 - 2) failed.push(`played only ${result.played} s in ${seconds} s`);
  if (!lat.length) failed.push('no live latency reported');
  if (player === 'dashjs' && !(result.latencyP50 <= maxP50)) failed.push(`live latency p50 ${result.latencyP50} s > ${maxP50} s`);
  if (!(result.liveResponses > 0)) failed.push('no segment was served while being written');
  if (consoleErrors.length) log('console errors (informational):', consoleErrors.slice(0, 5).join(' | '));
} catch (e) {
  failed.push(e.message);
}
await cleanup();
if (failed.length) {
  console.log('FAIL:\n  ' + failed.join('\n  '));
  process.exit(1);
}
console.log('PASS');
process.exit(0);
