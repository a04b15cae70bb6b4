// Checks the meeting page's choice of the avatar/voice delay (src/KvsInference.Meeting/wwwroot/voice-delay.js)
// from injected record latencies and microphone levels, on a simulated clock: it follows p95 + margin, rises at once
// for a late record, and falls only after the target stayed lower for a while and only across silence (in steps when
// the pauses are shorter than the fall).
// Usage: node voice-delay.test.js [path of voice-delay.js]. Prints `RESULT {...}`; exits 0 when every check passed.
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');

const modulePath = process.argv[2] || path.join(__dirname, '../../src/KvsInference.Meeting/wwwroot/voice-delay.js');
const VoiceDelay = require(modulePath);

// A simulated meeting: records every 60 ms with latencies from `latencyAt(t)`, the microphone sampled every 20 ms
// (speech where `speaking(t)`), the page's tick every 50 ms. Returns the delay over time.
function simulate(delay, { fromMs, toMs, latencyAt, speaking, levels }) {
  const trace = [];
  for (let t = fromMs; t < toMs; t += 10) {
    if (t % 20 === 0) levels.push({ t, rms: speaking(t) ? 0.08 : 0.0005 });
    if (t % 60 === 0) {
      const raised = delay.observe(latencyAt(t), t);
      if (raised !== null) trace.push({ t, delayMs: raised, why: 'raise' });
    }
    if (t % 50 === 0) {
      const lowered = delay.tick(t, levels);
      if (lowered !== null) trace.push({ t, delayMs: lowered, why: 'lower' });
    }
  }
  return trace;
}

const checks = [];
function check(name, fn) {
  try { fn(); checks.push({ name, ok: true }); } catch (e) { checks.push({ name, ok: false, error: e.message }); }
}

// Speech 3 s, silence 1 s, repeated (as a person talks; the browser test's fake microphone does the same).
const talk = t => (t % 4000) < 3000;
// Latencies spread 120..200 ms: p95 ~196 ms, so the target is 240 ms (p95 + 40, rounded up to 10).
const spread = t => 120 + ((t * 7919) % 81);

check('starts at the initial delay and follows p95 + margin down, only in silence', () => {
  const d = new VoiceDelay();
  assert.equal(d.delayMs, 600);
  const levels = [];
  const trace = simulate(d, { fromMs: 0, toMs: 20000, latencyAt: spread, speaking: talk, levels });
  assert.equal(d.target(), 240);
  assert.equal(d.delayMs, 240, JSON.stringify(trace));
  const lowers = trace.filter(x => x.why === 'lower');
  assert.ok(lowers.length >= 1);
  for (const x of lowers) {
    // The span of voice the lowering dropped was silent at the microphone.
    const before = trace.filter(y => y.t < x.t).map(y => y.delayMs).pop() ?? 600;
    for (let s = x.t - before; s <= x.t - x.delayMs; s += 20) assert.ok(!talk(s), `lowered at ${x.t} across speech at ${s}`);
  }
});

check('the initial delay falls in the first pause after enough records, without the settling wait', () => {
  // Speech with a pause at 1.0-2.2 s of every 6 s: the pause comes before lowerAfterMs could have passed.
  const early = t => !((t % 6000) >= 1000 && (t % 6000) < 2200);
  const d = new VoiceDelay();
  const trace = simulate(d, { fromMs: 0, toMs: 3000, latencyAt: spread, speaking: early, levels: [] });
  assert.equal(d.delayMs, 240, JSON.stringify(trace));
});

check('never lowered while the dropped span holds speech', () => {
  const d = new VoiceDelay();
  const levels = [];
  // Speech all the time: the target is lower, but no silence to drop.
  simulate(d, { fromMs: 0, toMs: 15000, latencyAt: spread, speaking: () => true, levels });
  assert.equal(d.delayMs, 600);
  assert.equal(d.lowerings, 0);
});

check('one late record does not raise it; a slow spell does within a few records', () => {
  const d = new VoiceDelay();
  const levels = [];
  simulate(d, { fromMs: 0, toMs: 12000, latencyAt: spread, speaking: talk, levels });
  assert.equal(d.delayMs, 240);
  // One record of 500 ms among ~160 in the window: p95 unchanged.
  assert.equal(d.observe(500, 12000), null);
  assert.equal(d.delayMs, 240);
  // Records of 500 ms from then on: the p95 passes D after about 5 % of the window, and D follows at once.
  let raisedAfter = null;
  for (let i = 1; i <= 40 && raisedAfter === null; i++) if (d.observe(500, 12000 + i * 60) !== null) raisedAfter = i;
  // The run of late records raises it after 3 (the record before counts as the first), to the highest + margin.
  assert.equal(raisedAfter, 2);
  assert.equal(d.delayMs, 540);
});

check('late records that are not in a row leave it to the percentile', () => {
  const d = new VoiceDelay();
  const levels = [];
  simulate(d, { fromMs: 0, toMs: 12000, latencyAt: spread, speaking: talk, levels });
  assert.equal(d.delayMs, 240);
  for (let i = 0; i < 6; i++) {
    assert.equal(d.observe(i % 2 === 0 ? 400 : 150, 12000 + i * 60), null);
  }
  assert.equal(d.delayMs, 240);
});

check('after a slow spell the delay comes down again once the path is faster', () => {
  const d = new VoiceDelay();
  const levels = [];
  // 10 s slow (400-480 ms), then fast (120-200 ms).
  const latency = t => t < 10000 ? 400 + ((t * 7919) % 81) : spread(t);
  simulate(d, { fromMs: 0, toMs: 10000, latencyAt: latency, speaking: talk, levels });
  assert.equal(d.delayMs, 520);
  simulate(d, { fromMs: 10000, toMs: 40000, latencyAt: latency, speaking: talk, levels });
  assert.equal(d.delayMs, 240);
});

check('a fall longer than the pauses comes in steps, each across silence', () => {
  const d = new VoiceDelay();
  const levels = [];
  // 10 s slow (900-980 ms), then fast (120-200 ms); speech 2 s, pause 0.5 s: no pause is as long as the whole fall.
  const latency = t => t < 10000 ? 900 + ((t * 7919) % 81) : spread(t);
  const chat = t => (t % 2500) < 2000;
  const trace = simulate(d, { fromMs: 0, toMs: 45000, latencyAt: latency, speaking: chat, levels });
  const lowers = trace.filter(x => x.why === 'lower');
  assert.equal(d.delayMs, 240, JSON.stringify(trace));
  assert.ok(lowers.length >= 3, JSON.stringify(trace));
  for (const x of lowers) {
    const before = trace.filter(y => y.t < x.t).map(y => y.delayMs).pop();
    assert.ok(before - x.delayMs <= 500, `a step of ${before - x.delayMs} ms in a 500 ms pause`);
    for (let s = x.t - before; s <= x.t - x.delayMs; s += 20) assert.ok(!chat(s), `lowered at ${x.t} across speech at ${s}`);
  }
});

check('the first records of a meeting (the worker catching up) do not raise it', () => {
  const d = new VoiceDelay();
  for (let i = 0; i < 10; i++) assert.equal(d.observe(950 - i * 80, 1000 + i * 60), null);
  assert.equal(d.delayMs, 600);
  assert.equal(d.p95(), null); // not counted
  // From the 11th record on they count; with 10 counted the p95 (here the highest) may raise it.
  for (let i = 0; i < 10; i++) assert.equal(d.observe(150, 1700 + i * 60), null);
  assert.equal(d.observe(700, 2400), 740);
});

check('too few records: no lowering', () => {
  const d = new VoiceDelay();
  const levels = [];
  for (let t = 0; t < 5000; t += 20) levels.push({ t, rms: 0 });
  for (let i = 0; i < 15; i++) d.observe(100, 1000 + i * 100); // 10 not counted, 5 counted
  assert.equal(d.tick(4000, levels), null);
  assert.equal(d.delayMs, 600);
});

check('a gap in the microphone levels is not taken as silence', () => {
  const d = new VoiceDelay();
  const levels = [{ t: 0, rms: 0 }, { t: 5000, rms: 0 }];
  assert.equal(d.silent(levels, 1000, 2000), false);
  const sparse = [];
  for (let t = 0; t <= 5000; t += 150) sparse.push({ t, rms: 0 }); // a starved page's timer: still covered
  assert.equal(d.silent(sparse, 1000, 2000), true);
  const full = [];
  for (let t = 0; t <= 5000; t += 20) full.push({ t, rms: 0 });
  assert.equal(d.silent(full, 1000, 2000), true);
  full[60].rms = 0.05; // t = 1200: speech
  assert.equal(d.silent(full, 1000, 2000), false);
});

check('a fixed delay (?delay=MS) never moves', () => {
  const d = new VoiceDelay({}, 800);
  const levels = [];
  simulate(d, { fromMs: 0, toMs: 15000, latencyAt: t => (t < 5000 ? 900 : 150), speaking: talk, levels });
  assert.equal(d.delayMs, 800);
});

const failed = checks.filter(c => !c.ok);
console.log('RESULT ' + JSON.stringify({ passed: checks.length - failed.length, failed }));
process.exit(failed.length === 0 ? 0 : 1);
