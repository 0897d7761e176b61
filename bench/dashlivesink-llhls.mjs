// LL-HLS against LL-DASH on the same stream, at the same time: one live
// pipeline (videotestsrc is-live 640x360 30 fps -> x264enc tune=zerolatency
// speed-preset=ultrafast key-int-max=60 bitrate=800, audiotestsrc ->
// avenc_aac; dashlivesink segment 2 s, chunk 200 ms, http-port) played by
// two tabs of one headless Debian Chromium for --seconds: the server's
// player page at /?mode=dash (dash.js, low-latency mode, catch-up on,
// targets from the MPD's ServiceDescription) and at /?mode=hls (hls.js in
// low-latency mode on master.m3u8, catch-up up to 1.04x).
//
// Live latency, both players the same way: the page's wall clock
// (synchronised with the server's /time) minus the program time of the
// frame on screen — dash.js getCurrentLiveLatency() (availabilityStartTime
// + position), hls.js playingDate (EXT-X-PROGRAM-DATE-TIME, which the sink
// derives from the same availabilityStartTime) — sampled every 0.5 s after
// a 10 s warm-up.  Prints one line "RESULT {...}".
//
//   node bench/dashlivesink-llhls.mjs [--seconds 60] [--target-latency-ms N]
//
// Environment as tests/integration/ll-test.mjs (GST_LAUNCH, CHROMIUM,
// LL_TEST_NICE: the pipeline runs at niceness -10 when run as root).

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../tests/integration/package.json'));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const seconds = Number(args.seconds || 60);
const targetLatencyMs = Number(args['target-latency-ms'] || 0);
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const playwright = require('playwright-core');

function quantile(xs, q) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
}
async function freePort() {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}
function stealTicks() {
  try { return Number(readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)[8]) || 0; } catch (e) { return 0; }
}

const port = await freePort();
const outDir = mkdtempSync(join(tmpdir(), 'llhls-bench-'));
const profileDir = mkdtempSync(join(tmpdir(), 'llhls-bench-chromium-'));
const niceness = Number(process.env.LL_TEST_NICE ?? (process.getuid && process.getuid() === 0 ? -10 : 0));
const pipeline = [
  '-e', 'videotestsrc', 'is-live=true', 'pattern=ball', '!',
  'video/x-raw,width=640,height=360,framerate=30/1,format=I420', '!',
  'x264enc', 'tune=zerolatency', 'speed-preset=ultrafast', 'key-int-max=60', 'bitrate=800', '!',
  'h264parse', '!',
  'dashlivesink', 'name=s', `location=${outDir}`, 'dvr-window=30000000000',
  'segment-duration=2000000000', 'chunk-duration=200000000', `http-port=${port}`,
  `target-latency=${targetLatencyMs * 1000000}`,
  'audiotestsrc', 'is-live=true', 'wave=ticks', '!',
  'audio/x-raw,rate=48000,channels=2', '!', 'avenc_aac', '!', 'aacparse', '!', 's.audio_0',
];
const gstLaunch = process.env.GST_LAUNCH || 'gst-launch-1.0';
const gst = niceness ? spawn('nice', ['-n', String(niceness), gstLaunch, ...pipeline], { stdio: ['ignore', 'pipe', 'pipe'] })
  : spawn(gstLaunch, pipeline, { stdio: ['ignore', 'pipe', 'pipe'] });
let gstOut = '';
let gstExited = false;
gst.stdout.on('data', (d) => { gstOut += d; });
gst.stderr.on('data', (d) => { gstOut += d; });
gst.on('exit', () => { gstExited = true; });

const result = { seconds, targetLatencyMs };
let browser;
const steal0 = stealTicks();
const load = [];
try {
  const t0 = Date.now();
  // segments are named after their start ($Time$): wait for the third
  while (!existsSync(outDir) || readdirSync(outDir).filter((n) => /^video_0-\d+\.m4s$/.test(n)).length < 3) {
    if (gstExited || Date.now() - t0 > 20000) throw new Error('no 3rd segment:\n' + gstOut);
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await playwright.chromium.launchPersistentContext(profileDir, {
    executablePath: chromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      // two tabs play at once: neither may be throttled as a background tab
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows'],
  });
  const tabs = {};
  const requests = { dash: [], hls: [] };
  for (const mode of ['dash', 'hls']) {
    const tab = await browser.newPage();
    tab.on('request', (r) => requests[mode].push({ t: Date.now(), name: new URL(r.url()).pathname.slice(1), q: new URL(r.url()).search }));
    tab.on('response', (r) => { if (r.status() >= 400) (result.httpErrors ??= []).push(`${mode} ${r.status()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`); });
    await tab.goto(`http://127.0.0.1:${port}/?mode=${mode}`);
    tabs[mode] = tab;
  }
  const start = Date.now();
  for (const mode of ['dash', 'hls']) {
    while (!(await tabs[mode].evaluate(() => window.__st.playing))) {
      if (Date.now() - start > 20000) throw new Error(`${mode} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const stalls0 = {};
  for (const mode of ['dash', 'hls']) stalls0[mode] = await tabs[mode].evaluate(() => window.__st.stalls);
  const end = Date.now() + seconds * 1000;
  const trace = { dash: [], hls: [] };
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 2000));
    load.push(loadavg()[0]);
    if (gstExited) throw new Error('pipeline died:\n' + gstOut);
    for (const mode of ['dash', 'hls'])
      trace[mode].push(await tabs[mode].evaluate(() => {
        const v = document.getElementById('v'), st = window.__st;
        const b = v.buffered.length ? v.buffered.end(v.buffered.length - 1) - v.currentTime : 0;
        const l = st.latency.length ? st.latency[st.latency.length - 1] : -1;
        return `${v.currentTime.toFixed(1)}:${l.toFixed(2)}/${b.toFixed(2)}/${v.playbackRate.toFixed(2)}/${st.stalls}`;
      }));
  }
  result.trace = trace;
  for (const mode of ['dash', 'hls']) {
    const st = await tabs[mode].evaluate(() => window.__st);
    const warm = Math.min(20, Math.floor(st.latency.length / 3));
    const lat = st.latency.slice(warm);
    const r = result[mode] = {
      p50: Number(quantile(lat, 0.5).toFixed(3)),
      p95: Number(quantile(lat, 0.95).toFixed(3)),
      max: Number(Math.max(...lat).toFixed(3)),
      stalls: st.stalls - stalls0[mode],
      errors: st.errors.length,
      warnings: st.warnings || 0,
      liveJumps: st.liveJumps || 0,
      warnDetails: st.warnDetails || [],
    };
    const warmT = start + 10000;
    const media = requests[mode].filter((x) => x.t >= warmT && /\.m4s$/.test(x.name));
    r.parts = media.filter((x) => /-\d+\.\d+\.m4s$/.test(x.name)).length;
    r.segments = media.length - r.parts;
    r.playlistRequests = requests[mode].filter((x) => x.t >= warmT && /\.(m3u8|mpd)$/.test(x.name)).length;
  }
  result.hls.hlsjsLatency = Number((await tabs.hls.evaluate(() => window.__hls.latency)).toFixed(3));
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = (name) => { const x = metrics.match(new RegExp(`livestream_dashlivesink_${name}\\{[^}]*\\} (\\S+)`)); return x ? Number(x[1]) : null; };
  result.partHoldBack = m('hls_part_hold_back') / 1e9;
  result.partTarget = m('hls_part_target') / 1e9;
  result.liveResponses = m('http_live_responses_total');
  result.partsServed = m('http_hls_parts_served_total');
  result.playlistTimeouts = m('http_hls_playlist_timeouts_total');
} catch (e) {
  result.failure = e.message.slice(0, 400);
}
result.load1Mean = load.length ? Number((load.reduce((a, b) => a + b, 0) / load.length).toFixed(2)) : null;
result.load1Max = load.length ? Number(Math.max(...load).toFixed(2)) : null;
result.stealTicks = stealTicks() - steal0;
if (browser) await browser.close().catch(() => {});
if (!gstExited) {
  gst.kill('SIGINT');
  await new Promise((r) => { const t = setTimeout(() => { gst.kill('SIGKILL'); r(); }, 5000); gst.on('exit', () => { clearTimeout(t); r(); }); });
}
rmSync(outDir, { recursive: true, force: true });
rmSync(profileDir, { recursive: true, force: true });
console.log('RESULT ' + JSON.stringify(result));
process.exit(result.failure ? 1 : 0);
