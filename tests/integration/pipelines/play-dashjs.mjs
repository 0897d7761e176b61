// Plays a DASH presentation that a pipeline wrote (a finalised, static MPD)
// with dash.js in headless Debian Chromium (playwright-core), served from a
// small HTTP server on 127.0.0.1, at --rate times normal speed. Prints one
// JSON line: {duration, played, ended, errors, stalls, representations}.
//
//   node play-dashjs.mjs --dir DIR [--manifest manifest.mpd] [--rate 4]
//                        [--timeout 90]
//   node play-dashjs.mjs --url http://HOST/PATH/manifest.mpd [...]
//        (the MPD and its segments from another server, e.g. an origin;
//        it must send CORS headers)
//
// Exit: 0 played (the caller judges the figures), 77 tools missing
// (scripts/install-npm-tools.sh installs dash.js and playwright-core into
// tests/integration/node_modules), 1 the page or browser failed.

import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname, normalize, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const modules = resolve(here, '..', 'node_modules');
const require = createRequire(join(modules, 'noop.js'));

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const dir = args.dir;
const url = args.url;
const manifest = args.manifest || 'manifest.mpd';
const rate = Number(args.rate || 4);
const timeout = Number(args.timeout || 90) * 1000;
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

function out(o) { console.log(JSON.stringify(o)); }
let playwright;
try { playwright = require('playwright-core'); } catch (e) {
  console.log('SKIP: playwright-core not installed (scripts/install-npm-tools.sh)'); process.exit(77);
}
const lib = join(modules, 'dashjs/dist/modern/umd/dash.all.min.js');
if (!existsSync(lib)) { console.log(`SKIP: ${lib} missing`); process.exit(77); }
if (!existsSync(chromium)) { console.log(`SKIP: ${chromium} missing`); process.exit(77); }
if (!url && (!dir || !existsSync(join(dir, manifest)))) { console.log(`no ${manifest} in ${dir}`); process.exit(1); }

const page = `<!doctype html><html><body>
<video id="v" muted playsinline width="640" height="360"></video>
<script src="/lib.js"></script>
<script>
const st = window.__st = { errors: [], stalls: 0, playing: false, ended: false, reps: [] };
const v = document.getElementById('v');
v.addEventListener('playing', () => { st.playing = true; });
v.addEventListener('waiting', () => { if (st.playing) st.stalls++; });
v.addEventListener('ended', () => { st.ended = true; });
v.addEventListener('error', () => st.errors.push('video: ' + (v.error && v.error.message)));
const p = window.__p = dashjs.MediaPlayer().create();
p.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING } });
p.on(dashjs.MediaPlayer.events.ERROR, (e) => st.errors.push('dashjs: ' + JSON.stringify(e.error || e).slice(0, 300)));
p.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, () => {
  try {
    const r = p.getRepresentationsByType ? p.getRepresentationsByType('video')
      : p.getBitrateInfoListFor('video');
    st.reps = r.map((b) => b.height);
  } catch (e) {}
  v.playbackRate = ${rate};
  v.play().catch((e) => st.errors.push('play: ' + e.message));
});
p.initialize(v, ${JSON.stringify(url || '/out/' + manifest)}, false);
</script></body></html>`;

const types = { '.mpd': 'application/dash+xml', '.m4s': 'video/iso.segment', '.mp4': 'video/mp4' };
const server = createServer((req, res) => {
  const u = new URL(req.url, 'http://127.0.0.1');
  let file = null;
  if (u.pathname === '/') { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end(page); return; }
  if (u.pathname === '/lib.js') file = lib;
  else if (u.pathname.startsWith('/out/')) file = join(dir, normalize(u.pathname.slice(5)).replace(/^(\.\.[/\\])+/, ''));
  if (!file || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Type': types[extname(file)] || 'application/octet-stream',
    'Content-Length': statSync(file).size });
  createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const profile = mkdtempSync(join(tmpdir(), 'livestream-chromium-'));
let browser;
let code = 0;
try {
  browser = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: chromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  const tab = browser.pages()[0] || await browser.newPage();
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  const t0 = Date.now();
  let s;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    s = await tab.evaluate(() => {
      const v = document.getElementById('v');
      return Object.assign({}, window.__st, { t: v.currentTime, duration: v.duration });
    });
    if (s.ended || s.errors.length || Date.now() - t0 > timeout) break;
  }
  out({ duration: s.duration, played: s.t, ended: s.ended, errors: s.errors, stalls: s.stalls,
    representations: s.reps, seconds: (Date.now() - t0) / 1000 });
} catch (e) {
  console.log('browser failed: ' + e.message);
  code = 1;
}
if (browser) await browser.close().catch(() => {});
server.close();
rmSync(profile, { recursive: true, force: true });
process.exit(code);
