// The meeting page's 3D avatar in Debian's headless Chromium with software WebGL (SwiftShader): for each avatar case,
// the master page loads the avatar (?avatar=<url>, or the configured default head), shows it before the meeting, then
// creates a meeting; this script prints `FEED <stream>` and the .NET test publishes records of a known syllable pattern
// for that stream for 6 s. The page's own read-back of the rendered morph weights (KvsAvatar3d.state.samples) must
// follow the records' values: the mouth target correlates with the frame's vowel opening, opens past half way, rests
// once the records stop, and the eyes blink. A case with `fallback` expects the 2D face and that message instead.
// Usage: node avatar3d-e2e.js <page url> <mic.wav> <out dir> '<cases JSON>'
//   cases: [{ "name", "avatar" (url or ""), "convention", "mouth" (morph name), "blink" (morph name) } | { "name", "avatar", "fallback" }]
// Prints one JSON line `RESULT {...}` and exits 0 when every check passed, 1 otherwise.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { log, runBrowserTest, waitFor, SOFTWARE_WEBGL } = require('./browser');
const { pearson, std } = require('./stats');

const [url, wav, outDir, casesJson] = process.argv.slice(2);
if (!url || !wav || !outDir || !casesJson) {
  console.error("usage: node avatar3d-e2e.js <page url> <mic.wav> <out dir> '<cases JSON>'");
  process.exit(2);
}
const cases = JSON.parse(casesJson);
const FEED_SECONDS = 6;

// The share of canvas pixels that are not the background: the avatar was drawn.
async function drawnShare(page) {
  return page.evaluate(() => {
    const c = document.getElementById('face');
    const g = document.createElement('canvas');
    g.width = c.width; g.height = c.height;
    const x = g.getContext('2d');
    x.drawImage(c, 0, 0);
    const px = x.getImageData(0, 0, g.width, g.height).data;
    let other = 0;
    for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - 0x2B) + Math.abs(px[i + 1] - 0x3A) + Math.abs(px[i + 2] - 0x55) > 30) other++;
    return other / (px.length / 4);
  });
}

async function runCase(context, c, failures, result) {
  const fail = msg => failures.push(`${c.name}: ${msg}`);
  const page = await context.newPage();
  page.on('pageerror', e => fail('page error: ' + e.message));
  const out = result[c.name] = {};
  try {
    await page.goto(url + (c.avatar ? '?avatar=' + encodeURIComponent(c.avatar) : ''));
    await waitFor(page, () => window.KvsAvatar3d && window.KvsAvatar3d.state.status !== 'loading', 'the avatar to load or fail', 60000);
    const st = await page.evaluate(() => ({ ...window.KvsAvatar3d.state, samples: undefined, shown: document.getElementById('avatar3dStatus').textContent }));
    out.status = st.status; out.convention = st.convention; out.shown = st.shown;
    log(c.name, 'status', st.status, '-', st.shown);
    if (c.fallback) {
      if (st.status !== 'fallback') fail(`expected the 2D face, got status ${st.status}`);
      if (!st.shown.includes(c.fallback)) fail(`the page does not say '${c.fallback}': '${st.shown}'`);
      await page.screenshot({ path: path.join(outDir, `avatar3d-${c.name}.png`) });
      return;
    }
    if (st.status !== 'ready') { fail(`the avatar did not load: ${st.shown}`); return; }
    if (st.convention !== c.convention) fail(`mapped as ${st.convention}, expected ${c.convention}`);
    out.drawnShareAtRest = +(await drawnShare(page)).toFixed(3);
    if (!(out.drawnShareAtRest > 0.1)) fail(`the canvas shows almost only background before the meeting (${out.drawnShareAtRest} of the pixels)`);

    const created = Date.now();
    await page.click('#create');
    await waitFor(page, () => window.kvsMeeting.meeting && window.kvsMeeting.meeting.streamName, 'the meeting', 20000);
    const stream = await page.evaluate(() => window.kvsMeeting.meeting.streamName);
    console.log(`FEED ${stream}`);
    await waitFor(page, () => window.kvsMeeting.stats.records >= 10, 'records on the page', 30000);
    // Mid-speech: the picture for the README and CI (the frames shown are a delay behind the records).
    // The canvas is read in the same task that sees an open mouth drawn, so the picture is that frame.
    const png = await page.evaluate(async m => {
      for (const until = Date.now() + 20000; Date.now() < until;) {
        const s = window.KvsAvatar3d.state.samples;
        if (s.length > 0 && s[s.length - 1].weights[m] > 0.6) return document.getElementById('face').toDataURL('image/png');
        await new Promise(r => setTimeout(r, 5));
      }
      return null;
    }, c.mouth);
    if (!png) fail('the mouth was never drawn open within 20 s');
    else fs.writeFileSync(path.join(outDir, `avatar3d-${c.name}.png`), Buffer.from(png.split(',')[1], 'base64'));
    // The feed lasts FEED_SECONDS; then the page shows the last frames (its delay) and rests 250 ms after them.
    await waitFor(page, n => window.kvsMeeting.stats.records >= n, 'every fed record', 30000, FEED_SECONDS * 5 - 2);
    await page.waitForTimeout(Math.max(2500, await page.evaluate(() => window.kvsMeeting.delayMs + 1000)));

    const samples = (await page.evaluate(() => window.KvsAvatar3d.state.samples)).filter(s => s.t >= created);
    const expected = samples.map(s => Math.min(1, Math.max(0, s.frame.aa || 0)) * (0.3 + 0.7 * Math.min(1, Math.max(0, s.frame.jawOpen || 0))));
    const mouth = samples.map(s => s.weights[c.mouth] ?? NaN);
    const blink = samples.map(s => s.weights[c.blink] ?? NaN);
    out.samples = samples.length;
    out.expectedStd = +std(expected).toFixed(3);
    out.mouthMax = +Math.max(...mouth).toFixed(3);
    out.blinkMax = +Math.max(...blink).toFixed(3);
    out.mouthVsRecords = +pearson(expected, mouth).toFixed(3);
    out.mouthAtEnd = +Math.max(...mouth.slice(-10)).toFixed(3);
    const drawMs = samples.map(s => s.drawMs).sort((a, b) => a - b);
    out.drawMs = { median: +drawMs[drawMs.length >> 1].toFixed(1), p90: +drawMs[Math.floor(drawMs.length * 0.9)].toFixed(1) };
    log(c.name, JSON.stringify(out));
    if (samples.length < 50) fail(`only ${samples.length} frames drawn`);
    if (mouth.some(Number.isNaN)) fail(`the model has no morph ${c.mouth}`);
    if (!(out.expectedStd > 0.15)) fail(`the records did not reach the drawn frames (expected opening std ${out.expectedStd})`);
    if (!(out.mouthVsRecords > 0.9)) fail(`the ${c.mouth} weight does not follow the records (r ${out.mouthVsRecords})`);
    if (!(out.mouthMax > 0.5)) fail(`the mouth never opens past half (${c.mouth} max ${out.mouthMax})`);
    if (!(out.mouthAtEnd < 0.05)) fail(`the mouth does not rest after the records stop (${c.mouth} ${out.mouthAtEnd})`);
    if (!(out.blinkMax > 0.05)) fail(`the eyes never blink (${c.blink} max ${out.blinkMax})`);
  } catch (e) {
    fail(String(e && e.stack || e));
  } finally {
    await page.close().catch(() => {});
  }
}

runBrowserTest({ outDir, wav, profile: 'avatar3d-e2e-', launch: { extraArgs: SOFTWARE_WEBGL } }, async (context, failures, result) => {
  for (const c of cases) await runCase(context, c, failures, result);
});
