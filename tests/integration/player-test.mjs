// dashlivesink browser test: a live pipeline writes DASH/HLS into a
// temporary directory, a small static HTTP server on 127.0.0.1 serves it,
// and dash.js or shaka-player in headless Debian Chromium (driven by
// playwright-core) plays it.  Passes when playback starts, currentTime keeps
// advancing for the whole run, no player error is reported and no stall
// (waiting) happens after playback started.
//
//   node player-test.mjs --player dashjs|shaka [--seconds 30]
//        [--manifest manifest.mpd] [--chunk-ms 0] [--abr true]
// (--abr true: two video representations, 640x360 and 320x180, from one
// tee with identical GOPs)
//
// Environment: GST_LAUNCH (default gst-launch-1.0), CHROMIUM
// (default /usr/bin/chromium), GST_PLUGIN_PATH_1_0 etc. from meson.

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const player = args.player || 'dashjs';
const seconds = Number(args.seconds || 30);
const manifest = args.manifest || 'manifest.mpd';
const chunkMs = Number(args['chunk-ms'] || 0);
const abr = args.abr === 'true';
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

function log(...a) { console.log(`[${player}]`, ...a); }

function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}

let playwright;
try {
  playwright = require('playwright-core');
} catch (e) {
  skip('playwright-core not installed (scripts/install-npm-tools.sh)');
}
if (!existsSync(chromium)) skip(`${chromium} not found`);

const libs = {
  dashjs: join(here, 'node_modules/dashjs/dist/modern/umd/dash.all.min.js'),
  shaka: join(here, 'node_modules/shaka-player/dist/shaka-player.compiled.js'),
};
if (!existsSync(libs[player])) skip(`${libs[player]} missing`);

const outDir = mkdtempSync(join(tmpdir(), 'dashlive-'));
const profileDir = mkdtempSync(join(tmpdir(), 'dashlive-chromium-'));

const types = {
  '.mpd': 'application/dash+xml', '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment', '.mp4': 'video/mp4', '.js': 'text/javascript',
  '.html': 'text/html',
};

const page = `<!doctype html><html><body>
<video id="v" muted autoplay playsinline width="640" height="360"></video>
<script src="/lib.js"></script>
<script>
const st = window.__st = { errors: [], waiting: 0, waitingAfterPlay: 0, playing: false,
  firstPlayAt: null, log: [] };
const v = document.getElementById('v');
v.addEventListener('playing', () => { if (!st.playing) st.firstPlayAt = performance.now(); st.playing = true; });
v.addEventListener('waiting', () => { st.waiting++; if (st.playing) { st.waitingAfterPlay++; st.log.push('waiting at ' + v.currentTime); } });
v.addEventListener('error', () => st.errors.push('video element: ' + (v.error && v.error.message)));
const url = '/out/${manifest}';
if ('${player}' === 'dashjs') {
  const p = window.__p = dashjs.MediaPlayer().create();
  p.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING } });
  p.on(dashjs.MediaPlayer.events.ERROR, (e) => st.errors.push('dashjs: ' + JSON.stringify(e.error || e).slice(0, 300)));
  for (const ev of ['PLAYBACK_SEEKING', 'BUFFER_EMPTY', 'GAP_CAUSED_SEEK', 'PLAYBACK_RATE_CHANGED', 'PLAYBACK_STALLED'])
    if (dashjs.MediaPlayer.events[ev]) p.on(dashjs.MediaPlayer.events[ev], (e) => st.log.push(ev + ' ' + v.currentTime.toFixed(2) + ' ' + (e.mediaType || '') + ' rate=' + v.playbackRate));
  p.initialize(v, url, true);
} else {
  shaka.polyfill.installAll();
  const p = window.__p = new shaka.Player();
  p.addEventListener('error', (e) => st.errors.push('shaka: ' + JSON.stringify(e.detail).slice(0, 300)));
  p.attach(v).then(() => p.load(url)).catch((e) => st.errors.push('shaka load: ' + (e.code || e.message)));
}
</script></body></html>`;

const notFound = [];
const serverStart = Date.now();
const server = createServer((req, res) => {
  const u = new URL(req.url, 'http://127.0.0.1');
  if (u.pathname === '/time') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache' });
    res.end(new Date().toISOString());
    return;
  }
  if (u.pathname === '/favicon.ico') {
    res.writeHead(204);
    res.end();
    return;
  }
  if (u.pathname === '/' || u.pathname === '/index.html') {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(page);
    return;
  }
  let file;
  if (u.pathname === '/lib.js') file = libs[player];
  else if (u.pathname.startsWith('/out/')) file = join(outDir, normalize(u.pathname.slice(5)).replace(/^(\.\.[/\\])+/, ''));
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    notFound.push(`${((Date.now() - serverStart) / 1000).toFixed(2)}s ${u.pathname}`);
    res.writeHead(404, { 'Access-Control-Allow-Origin': '*' });
    res.end();
    return;
  }
  const manifestType = /\.(mpd|m3u8)$/.test(file);
  res.writeHead(200, {
    'Content-Type': types[extname(file)] || 'application/octet-stream',
    'Content-Length': statSync(file).size,
    'Cache-Control': manifestType ? 'no-cache' : 'max-age=60',
    'Access-Control-Allow-Origin': '*',
  });
  createReadStream(file).pipe(res);
});

await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
log(`serving ${outDir} on 127.0.0.1:${port}`);

const gstLaunch = process.env.GST_LAUNCH || 'gst-launch-1.0';
const pipeline = [
  '-e', 'videotestsrc', 'is-live=true', 'pattern=ball', '!',
  'video/x-raw,width=640,height=360,framerate=30/1,format=I420', '!',
  ...(abr ? ['tee', 'name=t', 't.', '!', 'queue', '!'] : []),
  'x264enc', 'tune=zerolatency', 'speed-preset=ultrafast', 'key-int-max=60', 'bitrate=800', '!',
  'h264parse', '!',
  'dashlivesink', 'name=s', `location=${outDir}`, 'dvr-window=60000000000',
  `chunk-duration=${chunkMs * 1000000}`,
  `utc-timing-url=http://127.0.0.1:${port}/time`,
  ...(abr ? ['t.', '!', 'queue', '!', 'videoscale', '!', 'video/x-raw,width=320,height=180', '!',
    'x264enc', 'tune=zerolatency', 'speed-preset=ultrafast', 'key-int-max=60', 'bitrate=250', '!',
    'h264parse', '!', 's.video_1'] : []),
  // a sine, not wave=ticks: see ll-test.mjs (under meson's MALLOC_PERTURB_
  // ticks make avenc_aac drop frames and the audio fall behind the clock)
  'audiotestsrc', 'is-live=true', 'wave=sine', '!',
  'audio/x-raw,rate=48000,channels=2', '!', 'avenc_aac', '!', 'aacparse', '!', 's.audio_0',
];
const gst = spawn(gstLaunch, pipeline, { stdio: ['ignore', 'pipe', 'pipe'] });
let gstOut = '';
gst.stdout.on('data', (d) => { gstOut += d; });
gst.stderr.on('data', (d) => { gstOut += d; });
let gstExited = false;
gst.on('exit', () => { gstExited = true; });

let browser;
let failed = [];
async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (!gstExited) {
    gst.kill('SIGINT');
    await new Promise((r) => { const t = setTimeout(() => { gst.kill('SIGKILL'); r(); }, 5000); gst.on('exit', () => { clearTimeout(t); r(); }); });
  }
  server.close();
  rmSync(outDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
}

try {
  // wait (bounded) for the first manifest
  const t0 = Date.now();
  // a viewer joins a running stream: wait until the DVR window holds more
  // than the suggested presentation delay (3 segments) so that the player
  // can start behind the live edge
  // segments are named after their start ($Time$): wait for the fifth
  while (!existsSync(join(outDir, manifest)) ||
      readdirSync(outDir).filter((n) => /^video_0-\d+\.m4s$/.test(n)).length < 5) {
    if (gstExited) throw new Error('pipeline exited early:\n' + gstOut);
    if (Date.now() - t0 > 20000) throw new Error('no 5th segment after 20 s:\n' + gstOut);
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`manifest after ${Date.now() - t0} ms`);

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
  await tab.goto(`http://127.0.0.1:${port}/`);

  const support = await tab.evaluate(() => MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001e"'));
  if (!support) { await cleanup(); skip('this Chromium has no H.264 in MSE'); }

  // playback must start within 20 s
  const start = Date.now();
  while (!(await tab.evaluate(() => window.__st.playing))) {
    if (Date.now() - start > 20000) throw new Error('playback did not start in 20 s: ' + JSON.stringify(await tab.evaluate(() => window.__st)));
    await new Promise((r) => setTimeout(r, 250));
  }
  log(`playing after ${Date.now() - start} ms`);
  if (abr) {
    const reps = await tab.evaluate(() => {
      const p = window.__p;
      if (p.getRepresentationsByType) return p.getRepresentationsByType('video').length;
      if (p.getVariantTracks) return new Set(p.getVariantTracks().map((t) => t.height)).size;
      return -1;
    });
    log(`video representations seen by the player: ${reps}`);
    if (reps !== 2) failed.push(`expected 2 video representations, player has ${reps}`);
  }

  let last = await tab.evaluate(() => document.getElementById('v').currentTime);
  const samples = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 2000));
    const now = await tab.evaluate(() => {
      const v = document.getElementById('v');
      let latency = null;
      if (window.__p && window.__p.getCurrentLiveLatency) latency = window.__p.getCurrentLiveLatency();
      else if (window.__p && window.__p.getStats) latency = window.__p.getStats().liveLatency;
      const b = v.buffered;
      const ranges = [];
      for (let i = 0; i < b.length; i++) ranges.push(b.start(i).toFixed(2) + '-' + b.end(i).toFixed(2));
      return { t: v.currentTime, latency, ranges: ranges.join(' ') };
    });
    samples.push(now);
    if (process.env.VERBOSE) log(`t=${now.t.toFixed(2)} latency=${now.latency} buffered=${now.ranges}`);
    if (!(now.t > last)) failed.push(`currentTime did not advance: ${last} -> ${now.t}`);
    last = now.t;
    if (gstExited) throw new Error('pipeline died:\n' + gstOut);
  }
  const st = await tab.evaluate(() => window.__st);
  const lat = samples.map((s) => s.latency).filter((x) => typeof x === 'number' && x > 0);
  log(`currentTime ${samples[0]?.t.toFixed(2)} -> ${last.toFixed(2)} over ${seconds} s, errors ${st.errors.length}, ` +
      `waiting after start ${st.waitingAfterPlay}, live latency ${lat.length ? (lat.reduce((a, b) => a + b, 0) / lat.length).toFixed(2) : 'n/a'} s`);
  if (st.errors.length) failed.push('player errors: ' + st.errors.join(' | '));
  if (st.waitingAfterPlay > 0) failed.push('stalls after start: ' + st.log.join(', '));
  if (last - samples[0].t < seconds * 0.8 - 2) failed.push(`played only ${(last - samples[0].t).toFixed(1)} s in ${seconds} s`);
  if (notFound.length) log(`404s: ${notFound.length}: ${notFound.slice(0, 8).join(', ')}`);
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
