// Watches live players in headless Debian Chromium (playwright-core), one
// tab per --watch NAME=URL, for --seconds, and prints one JSON line per tab
// every --interval seconds:
//   {"name", "wall" (Unix s), "t" (currentTime), "playing", "stalls"
//    (playback that had started stopped for data: the page's count), "log"
//    (the page's player events since the last line), "errors" (the player's
//    error events, text), "fatal" (errors the player gave up on), "loads"
//    (page loads: more than 1 is a reload), "buffer" (s ahead of t)}
// then "DONE".  A page sets window.__st = {playing, stalls, errors, fatal};
// the player page served by dashlivesink's embedded server and the
// tests' own page (live-page.html) do.
//
//   node view-live.mjs --watch a=http://127.0.0.1:8080/ [--watch b=URL ...]
//        [--seconds 60] [--interval 1]
//
// Exit: 0 watched (the caller judges), 77 tools missing, 1 browser failed.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(resolve(here, '..', 'node_modules'), 'noop.js'));
const watch = [];
let seconds = 60, interval = 1;
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, ''), v = process.argv[i + 1];
  if (k === 'watch') {
    const eq = v.indexOf('=');
    watch.push({ name: v.slice(0, eq), url: v.slice(eq + 1) });
  } else if (k === 'seconds') {
    seconds = Number(v);
  } else if (k === 'interval') {
    interval = Number(v);
  }
}
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

let playwright;
try { playwright = require('playwright-core'); } catch (e) {
  console.log('SKIP: playwright-core not installed (scripts/install-npm-tools.sh)'); process.exit(77);
}
if (!existsSync(chromium)) { console.log(`SKIP: ${chromium} missing`); process.exit(77); }

const profile = mkdtempSync(join(tmpdir(), 'livestream-view-'));
let browser;
let code = 0;
try {
  browser = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: chromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows'],
  });
  // every load of a page counts (a reload would show as a second one)
  await browser.addInitScript(() => {
    const n = Number(sessionStorage.getItem('__loads') || '0') + 1;
    sessionStorage.setItem('__loads', String(n));
    window.__loads = n;
  });
  const tabs = [];
  for (const w of watch) {
    const tab = await browser.newPage();
    tab.on('pageerror', (e) => console.log(JSON.stringify({ name: w.name, pageerror: String(e).slice(0, 200) })));
    await tab.goto(w.url);
    tabs.push({ w, tab });
  }
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    for (const { w, tab } of tabs) {
      let s;
      try {
        s = await tab.evaluate(() => {
          const v = document.getElementById('v');
          const st = window.__st || {};
          let buffer = 0;
          if (v) {
            for (let i = 0; i < v.buffered.length; i++)
              if (v.buffered.start(i) <= v.currentTime + 0.1 && v.buffered.end(i) > v.currentTime)
                buffer = v.buffered.end(i) - v.currentTime;
          }
          return { t: v ? v.currentTime : null, playing: !!st.playing, stalls: st.stalls || 0,
            errors: (st.errors || []).slice(0, 20), fatal: st.fatal || 0, loads: window.__loads || 0,
            buffer, log: st.log ? st.log.splice(0) : [] };
        });
      } catch (e) {
        s = { evaluate_error: String(e).slice(0, 200) };
      }
      console.log(JSON.stringify(Object.assign({ name: w.name, wall: Date.now() / 1000 }, s)));
    }
    await new Promise((r) => setTimeout(r, interval * 1000));
  }
  console.log('DONE');
} catch (e) {
  console.log('browser failed: ' + e.message);
  code = 1;
}
if (browser) await browser.close().catch(() => {});
rmSync(profile, { recursive: true, force: true });
process.exit(code);
