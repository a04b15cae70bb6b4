// Checks the meeting page's estimate of how far the recording's clock has fallen behind the page's
// (src/KvsInference.Meeting/wwwroot/media-clock.js) from injected record timestamps on a simulated clock: no correction
// while the upload path only jitters or stalls for a moment, the lost time once the recording's clock stays behind.
// Usage: node media-clock.test.js [path of media-clock.js]. Prints `RESULT {...}`; exits 0 when every check passed.
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');

const modulePath = process.argv[2] || path.join(__dirname, '../../src/KvsInference.Meeting/wwwroot/media-clock.js');
const MediaClock = require(modulePath);

// Records every 60 ms from page time fromMs to toMs; the recording's clock is `behind(t)` behind the page's, and the
// fragment reaches the store `path(t)` after it was spoken. Returns the corrections by page time.
function simulate(clock, { fromMs, toMs, behind, path: pathMs }) {
  const trace = [];
  for (let t = fromMs; t < toMs; t += 60) {
    const spokenAt = t - 200;                      // the record comes ~200 ms after the speech it animates
    const producer = 1_000_000 + spokenAt - behind(spokenAt);
    const server = 1_000_000 + spokenAt + pathMs(spokenAt);
    trace.push({ t, correctionMs: clock.observe(server, producer, t) });
  }
  return trace;
}

const checks = [];
function check(name, fn) {
  try { fn(); checks.push({ name, ok: true }); } catch (e) { checks.push({ name, ok: false, error: e.message }); }
}
const jitter = t => 150 + (((t * 7919) % 61) + 61) % 61; // 150..210 ms

check('a jittering path gives no correction', () => {
  const trace = simulate(new MediaClock(), { fromMs: 0, toMs: 30000, behind: () => 0, path: jitter });
  assert.ok(trace.every(s => s.correctionMs === 0), JSON.stringify(trace.find(s => s.correctionMs !== 0)));
});

check('a one-second upload stall gives no correction', () => {
  const stall = t => jitter(t) + (t >= 10000 && t < 11000 ? 11000 - t : 0);
  const trace = simulate(new MediaClock(), { fromMs: 0, toMs: 30000, behind: () => 0, path: stall });
  assert.ok(trace.every(s => s.correctionMs === 0), JSON.stringify(trace.find(s => s.correctionMs !== 0)));
});

check('a capture stall that loses 1060 ms is corrected within the window, and stays corrected', () => {
  const lost = t => (t >= 8000 ? 1060 : 0);
  const clock = new MediaClock();
  const trace = simulate(clock, { fromMs: 0, toMs: 30000, behind: lost, path: jitter });
  assert.ok(trace.filter(s => s.t < 8200).every(s => s.correctionMs === 0));
  const after = trace.filter(s => s.t >= 8200 + MediaClock.DEFAULTS.windowMs + 100);
  assert.ok(after.length > 100);
  // The floor of the jitter may differ by a few ms between windows: within the step, the correction is the loss.
  assert.ok(after.every(s => Math.abs(s.correctionMs - 1060) <= MediaClock.DEFAULTS.stepMs), JSON.stringify(after.find(s => Math.abs(s.correctionMs - 1060) > MediaClock.DEFAULTS.stepMs)));
  assert.equal(clock.changes.length, 1);
});

check('a loss under the jitter threshold changes nothing', () => {
  const trace = simulate(new MediaClock(), { fromMs: 0, toMs: 20000, behind: t => (t >= 5000 ? 50 : 0), path: jitter });
  assert.ok(trace.every(s => s.correctionMs === 0));
});

check('records without timestamps keep the correction; reset starts a new recording', () => {
  const clock = new MediaClock();
  simulate(clock, { fromMs: 0, toMs: 12000, behind: t => (t >= 2000 ? 500 : 0), path: jitter });
  assert.ok(Math.abs(clock.correctionMs - 500) <= MediaClock.DEFAULTS.stepMs, String(clock.correctionMs));
  assert.equal(clock.observe(undefined, 5, 12100), clock.correctionMs);
  assert.equal(clock.observe(10, null, 12160), clock.correctionMs);
  clock.reset();
  assert.equal(clock.correctionMs, 0);
  const trace = simulate(clock, { fromMs: 12200, toMs: 20000, behind: () => 500, path: jitter });
  assert.ok(trace.every(s => s.correctionMs === 0), 'a new recording starts with its own lowest floor');
});

const failed = checks.filter(c => !c.ok);
console.log('RESULT ' + JSON.stringify({ passed: checks.length - failed.length, failed }));
process.exit(failed.length === 0 ? 0 : 1);
