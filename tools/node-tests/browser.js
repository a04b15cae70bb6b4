// What the browser tests share: Debian's headless Chromium with a WAV file as its microphone, the log line format, and
// waiting on a page condition with the page's state in the error.
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
// the context closes. With `ask`, the microphone is not granted by itself: headless Chromium then denies it until the
// test grants it (context.grantPermissions), as a person who blocked it. extraArgs go to Chromium after the common ones.
async function launchWithFakeMic(wav, profilePrefix, { ask = false, extraArgs = [] } = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), profilePrefix));
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

async function waitFor(page, fn, what, timeoutMs, arg = null) {
  try {
    await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });
  } catch (e) {
    const state = await page.evaluate(() => JSON.stringify({ error: window.kvsMeeting?.error, problem: window.kvsMeeting?.problem, connection: window.kvsMeeting?.connection, ingest: window.kvsMeeting?.ingest, stats: window.kvsMeeting?.stats })).catch(() => '?');
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; page state ${state}`);
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

module.exports = { createMeeting, finish, launchWithFakeMic, log, waitFor, SOFTWARE_WEBGL };
