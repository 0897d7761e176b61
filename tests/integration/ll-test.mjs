// dashlivesink low-latency browser test: a live pipeline (segment 2 s,
// chunk 200 ms, 30 fps, x264enc tune=zerolatency) is served by
// dashlivesink's own HTTP server (http-port); headless Debian Chromium
// (playwright-core) opens the server's player page at / (dash.js, low
// latency mode with live catch-up, latency targets from the MPD's
// ServiceDescription), the same page at /?mode=hls (hls.js in low-latency
// mode playing the LL-HLS master.m3u8), or a shaka-player page (the MPD,
// or --manifest master.m3u8), and plays for --seconds.
// Passes when playback starts, no player error, no stall after start, and
// (dash.js, hls.js) the median live latency is at most --max-p50 seconds.
// hls.js also: after a warm-up it loads parts only, never a whole segment
// (MediaMTX #997), and every part of every segment it followed, the last
// of each segment included (hls.js #5028).
// Prints one JSON line "RESULT {...}" with the latency figures.
//
// --source ffmpeg (for bench/dashlivesink-latency.sh): the same source and
// encoder (GStreamer, muxed to MPEG-TS on a pipe) go through FFmpeg's
// `-f dash -ldash 1 -streaming 1` instead, served by a small node HTTP
// server on 127.0.0.1 that sends a segment FFmpeg is still writing (its
// `.tmp` file) with chunked transfer as it grows and waits (bounded) for
// announced segments; the page uses the same dash.js settings as
// dashlivesink's player page. The latency target is not enforced there.
//
// --url BASE: no pipeline of its own; plays BASE/ (the player page of a
// dashlivesink that runs elsewhere, or of an edge cache in front of it:
// tests/integration/dashlivesink_cdn.py).  --player hlsjs plays
// BASE/master.m3u8 with hls.js (lowLatencyMode, live catch-up up to rate
// 1.04 or --catchup-rate, its latency estimate).
// --static 1 (with --url): BASE is a plain static server of the output
// directory (nginx, tests/integration/dashlivesink_static.py): dash.js
// gets the test's own page (as for --source ffmpeg), no /metrics is asked,
// no segment is expected to be streamed while written.
//
//   node ll-test.mjs --player dashjs|hlsjs|shaka [--seconds 60] [--max-p50 1.5]
//        [--url http://host:port] [--static 1]
//        [--chunk-ms 200] [--segment-ms 2000] [--source dashlivesink|ffmpeg]
//        [--manifest manifest.mpd|master.m3u8] (shaka) [--target-latency-ms N]
//        [--shaka-config '{...}'] [--stalls-ok true] [--catchup-rate R]
//
// Live latency, every player: the wall clock minus the program time of the
// frame on screen (dash.js: getCurrentLiveLatency, from the MPD's
// availabilityStartTime and the server's /time; hls.js: the page's
// Date.now() - playingDate, from EXT-X-PROGRAM-DATE-TIME, which the sink
// derives from the same availabilityStartTime), sampled every 0.5 s.
//
// Environment: GST_LAUNCH (default gst-launch-1.0), CHROMIUM
// (default /usr/bin/chromium), GST_PLUGIN_PATH_1_0 etc. from meson;
// LL_TEST_NICE (default -10 when run as root, 0 = off): the live encoder
// pipeline (and FFmpeg) run at this niceness, as a live encoder would be
// deployed. Starved of CPU by other work on a shared machine, a live
// encoder delivers late and every low-latency player stalls: with two
// competing busy loops on this 2-core machine, dash.js saw 5 stalls (p50
// 2.0 s) at niceness 0 and none (p50 1.02 s) at -10.
// Chasing a failure: LL_TEST_TRACE=1 prints the diagnostics of a failed
// run on success too; LL_TEST_FIRST=N prints the first N requests (default
// 40); LL_TEST_HLSLOG=FILE writes window.__hlslog to FILE, which a wrapper
// of hls.js given as GST_LIVESTREAM_HLSJS can fill from hls.js's debug
// logger (docs/notes-ll-stalls.md).

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, openSync, readSync, closeSync, fstatSync, readdirSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir, loadavg } from 'node:os';
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
const source = args.source || 'dashlivesink';
const ffmpegMode = source === 'ffmpeg';
const manifest = args.manifest || 'manifest.mpd';
// dashlivesink's target-latency (ms, 0 = its default): the DASH
// ServiceDescription target and the LL-HLS PART-HOLD-BACK
const targetLatencyMs = Number(args['target-latency-ms'] || 0);
// shaka: extra configuration (a JS object literal), e.g.
// "{ manifest: { hls: { sequenceMode: true } } }"
const shakaConfig = args['shaka-config'] || '';
// stalls are reported but do not fail the run: shaka-player 5.2.12 with
// LL-HLS parts (its bug #10589, fixed upstream after 5.2.12: a part that
// does not start on a keyframe is dropped when its timestamp offset moves
// by 1 ms, leaving gaps at the end of segments); the issue asks 0 errors
const stallsOk = args['stalls-ok'] === 'true';
// --catchup-rate R: the fastest live catch-up, for hls.js on the test's
// own page (maxLiveSyncPlaybackRate, else 1.04) and for dash.js on the
// element's page (liveCatchup.playbackRate.max, else the MPD's
// PlaybackRate@max).  A player joins at the start of a segment (hls.js:
// the one holding live edge - PART-HOLD-BACK), 1 to 3 s behind with 2 s
// segments whatever the server; at 1.04 it needs 30 s and more to come
// back from a late join, so its median latency over a run mostly tells
// the join phase.  A caller comparing two runs (an edge against the
// origin) sets a faster catch-up, after which the latency tells how late
// the media arrives.
const catchupRate = Number(args['catchup-rate'] || 0);
const hlsCatchupRate = catchupRate || 1.04;
const external = args.url ? args.url.replace(/\/$/, '') : null;
const staticServer = external && args.static === '1';

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
// hls.js: $HLSJS (a file path) or the pinned npm package
const hlsLib = process.env.HLSJS || join(here, 'node_modules/hls.js/dist/hls.min.js');
if (player === 'hlsjs' && !existsSync(hlsLib)) skip('hls.js not installed');

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
const niceness = Number(process.env.LL_TEST_NICE ??
  (process.getuid && process.getuid() === 0 ? -10 : 0));
// spawn(cmd, args) at the chosen niceness (nice(1) runs the command anyway,
// with a warning, when it may not raise the priority)
function spawnLive(cmd, args, opts) {
  if (!niceness) return spawn(cmd, args, opts);
  return spawn('nice', ['-n', String(niceness), cmd, ...args], opts);
}
// The audio is a sine: audiotestsrc wave=ticks (GStreamer 1.22, F32) leaves
// about 4 samples a second unwritten; under meson's MALLOC_PERTURB_ (90 of
// its 255 values) they hold values like -2e24, FFmpeg's AAC encoder refuses
// those frames ("Input contains (near) NaN/+-Inf") and avenc_aac drops ~1.7
// frames a second: the AAC track runs 3.5 % slower than the clock, its
// segments are published later and later (1 s behind the video after 30 s)
// and low-latency players stall on audio at the same moments in every
// attempt (docs/notes-ll-stalls.md).
const fps = 30;
const pipeline = [
  '-e', 'videotestsrc', 'is-live=true', 'pattern=ball', '!',
  `video/x-raw,width=640,height=360,framerate=${fps}/1,format=I420`, '!',
  'x264enc', 'tune=zerolatency', 'speed-preset=ultrafast',
  `key-int-max=${Math.round(fps * segmentMs / 1000)}`, 'bitrate=800', '!',
  'h264parse', '!',
  'dashlivesink', 'name=s', `location=${outDir}`, 'dvr-window=30000000000',
  `segment-duration=${segmentMs * 1000000}`, `chunk-duration=${chunkMs * 1000000}`,
  `http-port=${port}`, `target-latency=${targetLatencyMs * 1000000}`,
  'audiotestsrc', 'is-live=true', 'wave=sine', '!',
  'audio/x-raw,rate=48000,channels=2', '!', 'avenc_aac', '!', 'aacparse', '!', 's.audio_0',
];
let gst, ffmpeg, httpServer;
let gstOut = '';
let gstExited = false;
if (external) {
  gst = null;
} else if (!ffmpegMode) {
  gst = spawnLive(gstLaunch, pipeline, { stdio: ['ignore', 'pipe', 'pipe'] });
  gst.stdout.on('data', (d) => { gstOut += d; });
} else {
  // same source and encoder; MPEG-TS on a pipe into FFmpeg's DASH muxer
  const i = pipeline.indexOf('dashlivesink');
  const gstTs = [...pipeline.slice(0, i), 'mpegtsmux', 'name=s', '!', 'fdsink', 'fd=1',
    'audiotestsrc', 'is-live=true', 'wave=sine', '!', 'audio/x-raw,rate=48000,channels=2', '!',
    'avenc_aac', '!', 'aacparse', '!', 's.'];
  gst = spawnLive(gstLaunch, ['-q', ...gstTs], { stdio: ['ignore', 'pipe', 'pipe'] });
  ffmpeg = spawnLive(process.env.FFMPEG || 'ffmpeg', ['-hide_banner', '-loglevel', 'error',
    '-fflags', 'nobuffer', '-f', 'mpegts', '-i', 'pipe:0', '-map', '0:v', '-map', '0:a', '-c', 'copy', '-tag:v', 'avc1', '-tag:a', 'mp4a',
    '-f', 'dash', '-ldash', '1', '-streaming', '1', '-seg_duration', String(segmentMs / 1000),
    '-frag_duration', String(chunkMs / 1000), '-window_size', '5', '-extra_window_size', '5',
    '-use_template', '1', '-use_timeline', '0', '-target_latency', '1', '-min_playback_rate', '0.96',
    '-max_playback_rate', '1.04', '-utc_timing_url', `http://127.0.0.1:${port}/time`,
    join(outDir, 'manifest.mpd')], { stdio: ['pipe', 'pipe', 'pipe'] });
  gst.stdout.pipe(ffmpeg.stdin);
  ffmpeg.stdin.on('error', () => {});
  ffmpeg.stderr.on('data', (d) => { gstOut += d; });
  ffmpeg.on('exit', () => { gstExited = true; });
  httpServer = createHttpServer((req, res) => serveGrowing(req, res));
  await new Promise((r) => httpServer.listen(port, '127.0.0.1', r));
}
if (gst) {
  gst.stderr.on('data', (d) => { gstOut += d; });
  gst.on('exit', () => { gstExited = true; });
}

// static server for FFmpeg's output: complete files with Content-Length; a
// file FFmpeg is still writing (NAME.tmp, renamed when done) with chunked
// transfer as it grows (20 ms polling); a file not started yet waits up to
// 4 s; /time for UTCTiming; / the dash.js page
const ffPage = `<!doctype html><html><body>
<video id="v" muted autoplay playsinline width="640" height="360"></video>
<script src="/dash.all.min.js"></script>
<script>
const v = document.getElementById('v');
const st = window.__st = { errors: [], stalls: 0, playing: false, latency: [] };
const p = window.__p = dashjs.MediaPlayer().create();
p.updateSettings({ streaming: { liveCatchup: { enabled: true } } });
p.on(dashjs.MediaPlayer.events.ERROR, (e) => { st.errors.push(JSON.stringify(e.error || e).slice(0, 300)); });
v.addEventListener('playing', () => { st.playing = true; });
v.addEventListener('waiting', () => { if (st.playing) st.stalls++; });
p.initialize(v, '/manifest.mpd', true);
setInterval(() => { const lat = p.getCurrentLiveLatency(); if (st.playing && lat > 0) st.latency.push(lat); }, 500);
</script></body></html>`;
const ffStats = { requests: 0, growing: 0, notFound: 0 };
function serveGrowing(req, res) {
  ffStats.requests++;
  const name = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice(1));
  const cors = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-cache' };
  if (name === 'time') {
    res.writeHead(200, { ...cors, 'Content-Type': 'text/plain' });
    return res.end(new Date().toISOString());
  }
  if (name === '') {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    return res.end(ffPage);
  }
  if (name === 'dash.all.min.js') {
    res.writeHead(200, { 'Content-Type': 'text/javascript' });
    return res.end(readFileSync(join(here, 'node_modules/dashjs/dist/modern/umd/dash.all.min.js')));
  }
  if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) { res.writeHead(404, cors); return res.end(); }
  const path = join(outDir, name);
  const type = name.endsWith('.mpd') ? 'application/dash+xml' : 'video/mp4';
  const t0 = Date.now();
  let fd = null;
  let off = 0;
  const buf = Buffer.alloc(1 << 16);
  const pump = () => {
    if (fd === null) {
      if (existsSync(path)) {
        const body = readFileSync(path);
        res.writeHead(200, { ...cors, 'Content-Type': type, 'Content-Length': body.length });
        return res.end(body);
      }
      if (!name.endsWith('.mpd') && existsSync(path + '.tmp')) {
        try { fd = openSync(path + '.tmp', 'r'); } catch (e) { return setTimeout(pump, 20); }
        ffStats.growing++;
        res.writeHead(200, { ...cors, 'Content-Type': type }); // chunked
      } else if (Date.now() - t0 > 4000 || name.endsWith('.mpd')) {
        ffStats.notFound++;
        res.writeHead(404, cors);
        return res.end();
      } else {
        return setTimeout(pump, 20);
      }
    }
    const done = existsSync(path); // renamed: the open file is complete
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, off);
      if (n <= 0) break;
      off += n;
      res.write(Buffer.from(buf.subarray(0, n)));
    }
    if (done || Date.now() - t0 > 15000 || res.destroyed) {
      closeSync(fd);
      return res.end();
    }
    setTimeout(pump, 20);
  };
  pump();
}

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
${shakaConfig ? 'p.configure(' + shakaConfig + ');' : ''}
p.addEventListener('error', (e) => st.errors.push('shaka: ' + JSON.stringify(e.detail).slice(0, 300)));
p.attach(v).then(() => p.load('/${manifest}')).catch((e) => st.errors.push('shaka load: ' + (e.code || e.message)));
setInterval(() => { const l = p.getStats().liveLatency; if (st.playing && l > 0) st.latency.push(l); }, 500);
</script></body></html>`;

const hlsPage = `<!doctype html><html><body>
<video id="v" muted autoplay playsinline width="640" height="360"></video>
<script src="/__hls.js"></script>
<script>
const st = window.__st = { errors: [], stalls: 0, playing: false, latency: [] };
const v = document.getElementById('v');
v.addEventListener('playing', () => { st.playing = true; });
v.addEventListener('waiting', () => { if (st.playing) st.stalls++; });
// live catch-up like dash.js's (rate up to 1.04, --catchup-rate):
// without it hls.js keeps the latency of the moment it joined, which
// varies with the join phase by up to a segment
const p = window.__p = window.__hls = new Hls({ lowLatencyMode: true, maxLiveSyncPlaybackRate: ${hlsCatchupRate} });
p.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) st.errors.push('hls.js: ' + d.type + ' ' + d.details); });
p.loadSource('/master.m3u8');
p.attachMedia(v);
// hls.js's getCurrentLiveLatency / getBufferLength, for the trace below
p.getCurrentLiveLatency = () => p.latency;
p.getBufferLength = () => { const b = v.buffered; return b.length ? b.end(b.length - 1) - v.currentTime : 0; };
setInterval(() => { const l = p.latency; if (st.playing && l > 0) st.latency.push(l); }, 500);
</script></body></html>`;

let browser;
const failed = [];
async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (httpServer) httpServer.close();
  if (ffmpeg) ffmpeg.kill('SIGKILL');
  if (ffmpegMode) gst.kill('SIGKILL');
  if (gst && !gstExited) {
    gst.kill('SIGINT');
    await new Promise((r) => { const t = setTimeout(() => { gst.kill('SIGKILL'); r(); }, 5000); gst.on('exit', () => { clearTimeout(t); r(); }); });
  }
  rmSync(outDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
}

const result = { player, source: external ? external : source, seconds, chunkMs, segmentMs };
// CPU time the hypervisor gave to others (steal, all CPUs) during the run,
// in 1/100 s: a starved VM explains stalls that no server can prevent
function stealTicks() {
  try { return Number(readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)[8]) || 0; } catch (e) { return 0; }
}
const steal0 = stealTicks();
try {
  const base = external || `http://127.0.0.1:${port}`;
  // bounded wait for the server and the third segment
  const t0 = Date.now();
  for (;;) {
    if (gstExited) throw new Error('pipeline exited early:\n' + gstOut);
    if (Date.now() - t0 > 20000) throw new Error('no 3rd segment after 20 s:\n' + gstOut);
    if (external) {
      const r = await fetch(`${base}/manifest.mpd`).catch(() => null);
      if (r && r.status === 200 && (await r.text()).includes('<S ')) break;
    } else if (ffmpegMode ? existsSync(join(outDir, 'chunk-stream0-00003.m4s'))
      // segments are named after their start ($Time$): the third one
      : existsSync(outDir) && readdirSync(outDir).filter((n) => /^video_0-\d+\.m4s$/.test(n)).length >= 3) break;
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
  // for the log when a run fails: requests answered 404, and a trace of the
  // player's state every 2 s
  const notFound = [];
  tab.on('response', (r) => { if (r.status() === 404) notFound.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${new URL(r.url()).pathname}`); });
  const trace = [];
  // hls.js: what it requests (parts, segments, blocking reloads) and the
  // parts every playlist it got lists
  const requests = [];
  const listed = new Map();
  const hlsMode = player === 'hlsjs' || manifest.endsWith('.m3u8');
  if (hlsMode) {
    const byReq = new Map();
    tab.on('request', (r) => {
      const u = new URL(r.url());
      const e = { t: Date.now(), name: u.pathname.slice(1), query: u.search };
      requests.push(e);
      byReq.set(r, e);
    });
    // when each answer ended (a part or a blocking reload held long by a
    // server or an edge shows as a long request around a stall)
    const ended = (how) => (r) => {
      const e = byReq.get(r);
      if (!e) return;
      byReq.delete(r);
      e.done = Date.now();
      if (how) e.how = how;
    };
    tab.on('requestfinished', ended(null));
    tab.on('requestfailed', ended('failed'));
    tab.on('response', async (r) => {
      if (!new URL(r.url()).pathname.endsWith('.m3u8') || r.status() !== 200) return;
      try {
        for (const m of (await r.text()).matchAll(/#EXT-X-PART:[^\n]*URI="([\w]+)-(\d+)\.(\d+)\.m4s"/g)) {
          const key = `${m[1]}-${m[2]}`;
          listed.set(key, Math.max(listed.get(key) ?? -1, Number(m[3])));
        }
      } catch (e) {}
    });
  }
  // no favicon: a 404 in the server's log that no player caused
  await tab.route(`${base}/favicon.ico`, (r) => r.fulfill({ status: 204, body: '' }));
  if (player === 'shaka') {
    await tab.route(`${base}/__shaka.html`, (r) => r.fulfill({ contentType: 'text/html', body: shakaPage }));
    await tab.route(`${base}/__shaka.js`, (r) => r.fulfill({ contentType: 'text/javascript', body: readFileSync(shakaLib) }));
    await tab.goto(`${base}/__shaka.html`);
  } else if (ffmpegMode) {
    await tab.goto(`${base}/`);
  } else if (player === 'hlsjs' && external) {
    // through an edge or a static server: the test's own hls.js page
    // (a static server has no player page)
    await tab.route(`${base}/__hls.html`, (r) => r.fulfill({ contentType: 'text/html', body: hlsPage }));
    await tab.route(`${base}/__hls.js`, (r) => r.fulfill({ contentType: 'text/javascript', body: readFileSync(hlsLib) }));
    await tab.goto(`${base}/__hls.html`);
  } else if (player === 'hlsjs') {
    // the element's own player page, HLS side: its bundled hls.js
    await tab.goto(`${base}/?mode=hls`);
    if (!(await tab.evaluate(() => typeof Hls !== 'undefined'))) throw new Error('player page has no hls.js');
  } else if (staticServer) {
    // the page and dash.js from the test, the stream from the server
    const djs = join(here, 'node_modules/dashjs/dist/modern/umd/dash.all.min.js');
    await tab.route(`${base}/__dash.html`, (r) => r.fulfill({ contentType: 'text/html', body: ffPage }));
    await tab.route(`${base}/dash.all.min.js`, (r) => r.fulfill({ contentType: 'text/javascript', body: readFileSync(djs) }));
    await tab.goto(`${base}/__dash.html`);
  } else {
    // the element's own player page with its bundled dash.js
    await tab.goto(`${base}/`);
    if (!(await tab.evaluate(() => typeof dashjs !== 'undefined'))) throw new Error('player page has no dash.js');
    if (catchupRate) {
      // the settings win over the MPD's ServiceDescription; the slowest
      // rate stays the MPD's default (0.96)
      await tab.waitForFunction(() => window.__p && window.__p.updateSettings, null, { timeout: 10000 });
      await tab.evaluate((r) => window.__p.updateSettings({ streaming: { liveCatchup: { playbackRate: { min: -0.04, max: r - 1 } } } }), catchupRate);
    }
  }

  // every "waiting" event: when, where, and what was buffered (for the log
  // of a failed run)
  await tab.evaluate(() => {
    const v = document.getElementById('v');
    const t0 = performance.now();
    window.__waits = [];
    v.addEventListener('waiting', () => {
      const b = [];
      for (let i = 0; i < v.buffered.length; i++) b.push(v.buffered.start(i).toFixed(3) + '-' + v.buffered.end(i).toFixed(3));
      window.__waits.push(`${((performance.now() - t0) / 1000).toFixed(2)}s at ${v.currentTime.toFixed(3)} buffered ${b.join(',') || 'none'}`);
      // wall clock of the waits after playback started (the requests
      // around the first stall are logged)
      if (window.__st && window.__st.playing) (window.__waitWall = window.__waitWall || []).push(Date.now());
    });
    // a seek (dash.js's catch-up seeks to the live point past
    // Latency@max) also fires "waiting": logged with the waits
    v.addEventListener('seeking', () => {
      window.__waits.push(`${((performance.now() - t0) / 1000).toFixed(2)}s seek to ${v.currentTime.toFixed(3)}`);
    });
  });
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
    trace.push(await tab.evaluate(() => {
      const v = document.getElementById('v'), p = window.__p, st = window.__st;
      let lat = -1, buf = -1;
      try { lat = p.getCurrentLiveLatency(); buf = p.getBufferLength('video'); } catch (e) {}
      if (window.__hls) {
        lat = st.latency.length ? st.latency[st.latency.length - 1] : -1;
        buf = v.buffered.length ? v.buffered.end(v.buffered.length - 1) - v.currentTime : 0;
      }
      // shaka: what it buffered, per type
      const rr = [];
      try { const bi = p.getBufferedInfo(); for (const k of ['audio', 'video']) rr.push(k + ':' + bi[k].map((x) => x.start.toFixed(2) + '-' + x.end.toFixed(2)).join(',')); } catch (e) {}
      return `${rr.length ? 'buffered=' + rr.join(' ') + ' ' : ''}t=${v.currentTime.toFixed(1)} lat=${Number(lat).toFixed(2)} buf=${Number(buf).toFixed(2)} rate=${v.playbackRate.toFixed(2)} stalls=${st.stalls}`;
    }));
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
  if (player === 'hlsjs') {
    // hls.js's own latency figure (edge of the playlist + its age - the
    // position), for reference
    result.hlsjsLatency = Number((await tab.evaluate(() => window.__hls.latency)).toFixed(3));
    result.hlsjsWarnings = st.warnings || 0;
    result.hlsjsWarningDetails = st.warnDetails || [];
    result.liveJumps = st.liveJumps || 0;
    // after a 10 s warm-up: no whole segment, only parts (MediaMTX #997)
    const warmT = start + 10000;
    const media = requests.filter((r) => r.t >= warmT && /-\d+(\.\d+)?\.m4s$/.test(r.name));
    result.partRequests = media.filter((r) => /-\d+\.\d+\.m4s$/.test(r.name)).length;
    result.segmentRequests = media.length - result.partRequests;
    result.blockingReloads = requests.filter((r) => r.t >= warmT && r.query.includes('_HLS_msn')).length;
    result.deltaUpdates = requests.filter((r) => r.query.includes('_HLS_skip')).length;
    // every part of the segments followed, the last of each included
    // (hls.js #5028): per rendition, the parts requested after the warm-up
    // go 0, 1, ... up to the last part the playlists listed, then 0 of the
    // next segment
    const byRep = new Map();
    for (const r of media) {
      const m = r.name.match(/^(\w+)-(\d+)\.(\d+)\.m4s$/);
      if (!m) continue;
      if (!byRep.has(m[1])) byRep.set(m[1], []);
      byRep.get(m[1]).push([Number(m[2]), Number(m[3])]);
    }
    result.partGaps = [];
    for (const [rep, parts] of byRep) {
      const seen = new Set(parts.map(([n, k]) => `${n}.${k}`));
      const msns = [...new Set(parts.map(([n]) => n))].sort((a, b) => a - b);
      // the first segment may have been joined midway, the last is in progress
      for (const n of msns.slice(1, -1)) {
        const last = listed.get(`${rep}-${n}`);
        if (last === undefined) { result.partGaps.push(`${rep}-${n}: parts never listed`); continue; }
        for (let k = 0; k <= last; k++)
          if (!seen.has(`${n}.${k}`)) result.partGaps.push(`${rep}-${n}.${k}.m4s not loaded`);
      }
    }
  }
  result.errors = st.errors.length;
  result.played = Number((last - first).toFixed(2));
  result.notFound404 = notFound.length;
  if (ffmpegMode) {
    result.liveResponses = ffStats.growing;
    result.notFound = ffStats.notFound;
  } else if (staticServer) {
    result.liveResponses = null;
  } else {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const m = metrics.match(/livestream_dashlivesink_mispredicted_segments\{[^}]*\} (\d+)/);
    result.mispredicted = m ? Number(m[1]) : null;
    const lr = metrics.match(/livestream_dashlivesink_http_live_responses_total\{[^}]*\} (\d+)/);
    result.liveResponses = lr ? Number(lr[1]) : null;
  }
  result.stealTicks = stealTicks() - steal0;
  result.load1 = Number(loadavg()[0].toFixed(2));
  log(`RESULT ${JSON.stringify(result)}`);
  console.log(`RESULT ${JSON.stringify(result)}`);
  if (st.errors.length) failed.push('player errors: ' + st.errors.join(' | '));
  if (result.stalls > 0 && !stallsOk) failed.push(`${result.stalls} stalls after start`);
  if (result.played < seconds * 0.8 - 2) failed.push(`played only ${result.played} s in ${seconds} s`);
  if (!lat.length) failed.push('no live latency reported');
  // through an edge or a static server the caller compares latencies
  if ((player === 'dashjs' || (player === 'hlsjs' && !external)) && !ffmpegMode && !(result.latencyP50 <= maxP50)) failed.push(`live latency p50 ${result.latencyP50} s > ${maxP50} s`);
  // a static server has the classic files only (no parts)
  if (player === 'hlsjs' && !staticServer) {
    if (result.segmentRequests > 0) failed.push(`${result.segmentRequests} whole segments loaded after the warm-up (parts only expected)`);
    if (!(result.partRequests > 0)) failed.push('no part loaded');
    if (!(result.blockingReloads > 0)) failed.push('no blocking playlist reload');
    if (result.partGaps.length) failed.push('parts skipped: ' + result.partGaps.slice(0, 10).join(', '));
  }
  if (!hlsMode && !staticServer && !(result.liveResponses > 0)) failed.push('no segment was served while being written');
  if (consoleErrors.length) log('console errors (informational):', consoleErrors.slice(0, 5).join(' | '));
  if (failed.length || process.env.LL_TEST_TRACE) {
    // a request in the log: seconds from the test's start (+ how long its
    // answer took), path and query
    const reqRow = (r, took) => {
      const at = ((r.t - t0) / 1000).toFixed(2);
      const dur = !took ? '' : '+' + (r.done ? ((r.done - r.t) / 1000).toFixed(2) : '?') + (r.how ? ' ' + r.how : '');
      return `${at}${dur} ${r.name}${r.query}`;
    };
    log('player every 2 s: ' + trace.join(' | '));
    if (hlsMode)
      log('requests: ' + requests.slice(-150).map((r) => reqRow(r)).join(' | '));
    // the pipeline's own complaints (an encoder dropping frames, ...)
    const errs = [...new Set(gstOut.split('\n').filter((l) => /ERROR|WARN|CRITICAL/.test(l))
      .map((l) => l.replace(/^[\d:.]+\s+\d+\s+0x[0-9a-f]+\s+/, '')))];
    if (errs.length) log('pipeline errors/warnings: ' + errs.slice(0, 8).join(' | '));
    if (notFound.length) log('404: ' + notFound.slice(0, 10).join(' | '));
    // last, so that a log cut to its tail still shows how playback began
    if (hlsMode)
      log('first requests: ' + requests.slice(0, Number(process.env.LL_TEST_FIRST || 40)).map((r) => reqRow(r)).join(' | '));
    log('player every 2 s (first 8): ' + trace.slice(0, 8).join(' | '));
    if (process.env.LL_TEST_HLSLOG) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.LL_TEST_HLSLOG, (await tab.evaluate(() => window.__hlslog || [])).join('\n'));
    }
    log('waiting and seeking events: ' + (await tab.evaluate(() => window.__waits || [])).slice(0, 24).join(' | '));
    // every request from 3 s before the first stall to 3 s after: when it
    // was made and how long its answer took (seconds from the test's start)
    const waitWall = await tab.evaluate(() => window.__waitWall || []);
    if (hlsMode && waitWall.length) {
      const w = waitWall[0];
      log(`requests around the first stall (${((w - t0) / 1000).toFixed(2)}): ` + requests.filter((r) => r.t >= w - 3000 && r.t <= w + 3000)
        .map((r) => reqRow(r, true)).join(' | '));
    }
    log(`RESULT ${JSON.stringify(result)}`);
  }
} catch (e) {
  failed.push(e.message);
  result.failure = e.message.slice(0, 500);
  console.log(`RESULT ${JSON.stringify(result)}`);
}
await cleanup();
if (failed.length) {
  console.log('FAIL:\n  ' + failed.join('\n  '));
  process.exit(1);
}
console.log('PASS');
process.exit(0);
