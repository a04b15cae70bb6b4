// What the browser tests share: Debian's headless Chromium with a WAV file as its microphone, the log line format,
// waiting on a page condition with the condition's last value and the page's state in the error, and the frame of a
// test (its failures, its RESULT line). The .NET side of every browser test is tests/KvsInference.TestSupport/BrowserScript.cs.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const log = (...a) => console.log(new Date().toISOString().slice(11, 23), ...a);

// Software WebGL (SwiftShader through ANGLE) for the 3D avatar: headless Chromium here has no GPU. A test that does not
// ask for it gets no WebGL at all (--disable-3d-apis), so the page draws the 2D face, as those tests were written for.
const SOFTWARE_WEBGL = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

// A persistent context (fake media devices need one) in a fresh profile directory named after the test, removed when
// the context closes. The profile is made under KVSI_BROWSER_PROFILES when it is set (BrowserScript sets it, and after
// the test ends every Chromium whose command line names that directory), else in the system's temp directory. With `ask`, the microphone is not granted by itself: headless Chromium then denies it until the
// test grants it (context.grantPermissions), as a person who blocked it. extraArgs go to Chromium after the common ones.
async function launchWithFakeMic(wav, profilePrefix, { ask = false, extraArgs = [] } = {}) {
  const userDataDir = fs.mkdtempSync(path.join(process.env.KVSI_BROWSER_PROFILES || os.tmpdir(), profilePrefix));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 760, height: 820 },
    args: [
      '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--use-fake-device-for-media-stream', ...(ask ? [] : ['--use-fake-ui-for-media-stream']),
      `--use-file-for-fake-audio-capture=${path.resolve(wav)}`, '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required', '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows',
      ...(extraArgs.includes(SOFTWARE_WEBGL[0]) ? [] : ['--disable-3d-apis']), ...extraArgs,
    ],
  });
  context.on('close', () => {
    // Chromium may still be writing its profile as it exits; a profile left behind in /tmp is no failure.
    try { fs.rmSync(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }); } catch { }
  });
  return context;
}

// Waits until fn(arg), run in the page every 100 ms, is truthy. The error names `what`, the condition (its source) and
// its last value, and the meeting page's state.
async function waitFor(page, fn, what, timeoutMs, arg = null) {
  try {
    await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });
  } catch (e) {
    const last = await page.evaluate(fn, arg).then(v => JSON.stringify(v) ?? String(v), err => 'unreadable (' + err.message.split('\n')[0] + ')');
    const state = await page.evaluate(() => JSON.stringify({ error: window.kvsMeeting?.error, problem: window.kvsMeeting?.problem, connection: window.kvsMeeting?.connection, ingest: window.kvsMeeting?.ingest, stats: window.kvsMeeting?.stats })).catch(() => '?');
    const why = e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : `failed (${e.message.split('\n')[0]})`;
    throw new Error(`${why} waiting for ${what} (${String(fn)}): its last value ${last}; page state ${state}`);
  }
}

// The master page creates a meeting; returns the page and the join link once it shows (it contains `linkMark`).
async function createMeeting(context, url, failures, linkMark, timeoutMs) {
  const master = context.pages()[0] ?? await context.newPage();
  master.on('pageerror', e => failures.push('master page error: ' + e.message));
  await master.goto(url);
  await master.click('#create');
  await waitFor(master, mark => document.getElementById('joinLink').value.includes(mark), `the join link (${linkMark})`, timeoutMs, linkMark);
  const join = await master.inputValue('#joinLink');
  log('meeting created; join link', join.slice(0, 100) + '...');
  return { master, join };
}

// The end of every test: the browser closed, one RESULT line (with the failures) for the .NET test to parse, the exit code.
async function finish(context, result, failures) {
  if (context) await context.close().catch(() => {});
  result.failures = failures;
  console.log('RESULT ' + JSON.stringify(result));
  process.exit(failures.length === 0 ? 0 : 1);
}

// The frame of a browser test: its output folder made, Chromium started (launchWithFakeMic(wav, profile, launch)),
// body(context, failures, result) run, an exception counted as a failure, and finish() whatever happened; `after` runs
// before the browser closes (what the test opened besides it).
async function runBrowserTest({ outDir, wav, profile, launch = {}, after = () => {} }, body) {
  fs.mkdirSync(outDir, { recursive: true });
  const failures = [];
  const result = {};
  let context;
  try {
    context = await launchWithFakeMic(wav, profile, launch);
    await body(context, failures, result);
  } catch (e) {
    failures.push(String(e && e.stack || e));
  }
  await after();
  await finish(context, result, failures);
}

module.exports = { createMeeting, finish, launchWithFakeMic, log, runBrowserTest, waitFor, SOFTWARE_WEBGL };
