// The avatar delay D of the meeting page, chosen from measurement. The master draws the mouth for the speech of
// `now - D` and holds its voice back by D (+ the fixed audio lag), so D must cover the time a record takes to reach the
// page (speaking -> record), or frames come too late to be drawn. D follows the 95th percentile of the recent record
// latencies plus a margin, so that about 1 record in 20 may come after its moment (its frames are skipped; the mouth
// goes on from the next one):
// - raised at once when a new latency lifts that target above D (one slow record among many does not, a slow spell
//   does within a few records), or when lateRun records in a row came late: then to the highest of them + the margin,
//   without waiting for the percentile to move (a stalled machine makes whole runs of records late); the first 10 records of a meeting are not counted: they may be the worker catching up
//   with audio sent before it began reading the new stream (up to a fragment, ~1 s), which says nothing about the path;
// - lowered only after the target stayed below D for a while (not for the initial guess: it falls in the first pause once
//   enough records have come), and only when what the lowering drops from the voice
//   is silence: shortening the voice's delay line by X ms skips the X ms of voice it held, which is inaudible only if
//   the microphone was silent then. So viewers never hear a cut, and the delay shrinks in the pauses of speech: in a
//   pause shorter than the whole fall, by as much as the pause allows (a long fall then takes several pauses instead of
//   waiting for one as long as itself).
// Plain logic without the DOM, so that node can test it (tools/node-tests/voice-delay.test.js).
'use strict';
(function (global) {
  const DEFAULTS = {
    initialMs: 600,      // before any record: enough for the local path on a loaded machine
    marginMs: 40,        // over the p95: covers the spread between measurements
    minMs: 60,
    maxMs: 9000,
    windowMs: 10000,     // latencies of the last 10 s make the percentile
    minSamples: 10,      // no lowering on fewer records than this
    lateRun: 3,          // this many late records in a row raise D at once
    lowerAfterMs: 2000,  // the target must stay below D this long before D is lowered
    hysteresisMs: 20,    // smaller improvements are not worth a change
    silenceRms: 0.004,   // microphone RMS below this is silence (speech is ~0.02-0.2)
    silenceGuardMs: 60,  // the silence must extend this far on both sides of the dropped span
  };

  function percentile(sorted, p) {
    if (sorted.length === 0) return null;
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
    return sorted[i];
  }

  // options: DEFAULTS overrides. fixedMs: a fixed delay (?delay=MS), never changed.
  function VoiceDelay(options, fixedMs) {
    this.o = Object.assign({}, DEFAULTS, options || {});
    this.fixed = Number(fixedMs) > 0;
    this.delayMs = this.fixed ? Number(fixedMs) : this.o.initialMs;
    this.samples = [];     // { t, latencyMs }
    this.seen = 0;
    this.late = [];        // latencies of the late records in a row so far
    this.belowSince = null;
    this.raises = 0;
    this.lowerings = 0;
    this.changes = [];     // { t, delayMs, latencyMs (raises) or p95Ms (lowerings) }, the last 50
  }

  VoiceDelay.prototype.record = function (change) {
    this.changes.push(change);
    if (this.changes.length > 50) this.changes.shift();
  };

  // The delay the measurements ask for: p95 of the recent latencies + margin, within min..max; null with no data.
  VoiceDelay.prototype.target = function () {
    if (this.samples.length === 0) return null;
    const sorted = this.samples.map(s => s.latencyMs).sort((a, b) => a - b);
    const p95 = percentile(sorted, 0.95);
    return Math.min(this.o.maxMs, Math.max(this.o.minMs, Math.ceil((p95 + this.o.marginMs) / 10) * 10));
  };

  VoiceDelay.prototype.p95 = function () {
    return percentile(this.samples.map(s => s.latencyMs).sort((a, b) => a - b), 0.95);
  };

  // A record arrived latencyMs after its speech (at page time now). Returns the new delay when it rises now, else null.
  VoiceDelay.prototype.observe = function (latencyMs, now) {
    if (!Number.isFinite(latencyMs)) return null;
    // The first records of a meeting are not counted at all (see the top).
    if (++this.seen <= this.o.minSamples) return null;
    this.samples.push({ t: now, latencyMs });
    while (this.samples.length > 0 && this.samples[0].t < now - this.o.windowMs) this.samples.shift();
    if (this.fixed || this.samples.length <= this.o.minSamples) return null;
    this.late = latencyMs > this.delayMs ? [...this.late, latencyMs] : [];
    let needed = this.target();
    if (this.late.length >= this.o.lateRun) {
      needed = Math.max(needed, Math.min(this.o.maxMs, Math.ceil((Math.max(...this.late) + this.o.marginMs) / 10) * 10));
      this.late = [];
    }
    if (needed > this.delayMs) {
      this.delayMs = needed;
      this.belowSince = null;
      this.raises++;
      this.record({ t: now, delayMs: needed, latencyMs });
      return needed;
    }
    return null;
  };

  // Called regularly (every 50-100 ms). micLevels: [{ t, rms }] of the microphone as spoken, oldest first, on the page
  // clock. Returns the new delay when it is lowered now, else null.
  VoiceDelay.prototype.tick = function (now, micLevels) {
    if (this.fixed || this.samples.length < this.o.minSamples) { this.belowSince = null; return null; }
    const target = this.target();
    if (target === null || target > this.delayMs - this.o.hysteresisMs) { this.belowSince = null; return null; }
    if (this.belowSince === null) this.belowSince = now;
    // The wait guards a delay the measurements chose against their own wobble; the initial guess has nothing to guard,
    // so it falls in the first pause once enough records have come (else a talker's first pause could pass unused).
    const measured = this.raises > 0 || this.lowerings > 0;
    if (measured && now - this.belowSince < this.o.lowerAfterMs) return null;
    // Lowering from D to D' drops the voice spoken in (now - D, now - D']: it must all have been silence. D' is the
    // target, or as near to it as the silence that began before now - D reaches.
    const until = this.silentUntil(micLevels, now - this.delayMs - this.o.silenceGuardMs);
    if (until === null) return null;
    const next = Math.max(target, Math.ceil((now - until + this.o.silenceGuardMs) / 10) * 10);
    if (next > this.delayMs - this.o.hysteresisMs) return null;
    this.delayMs = next;
    this.belowSince = null;
    this.lowerings++;
    this.record({ t: now, delayMs: next, p95Ms: this.p95() });
    return next;
  };

  // Whether the microphone was silent over [from, to]: levels (sampled every ~20 ms, later when the page is starved of
  // CPU) cover the span without a gap of more than 200 ms, and none is at or above the silence threshold.
  VoiceDelay.prototype.silent = function (micLevels, from, to) {
    const until = this.silentUntil(micLevels, from);
    return until !== null && until >= to;
  };

  // The latest `to` for which silent(micLevels, from, to) holds, or null when not even from itself is covered: the
  // levels from from - 100 on must start by from + 100 and run quiet without a gap of more than 200 ms; `to` stays
  // 100 ms before the first loud level and within 100 ms after the last quiet one.
  VoiceDelay.prototype.silentUntil = function (micLevels, from) {
    let first = null, last = null;
    for (const level of micLevels) {
      if (level.t < from - 100) continue;
      if (first === null) {
        if (level.t > from + 100) return null;
        first = level.t;
      }
      if (level.rms >= this.o.silenceRms) return last === null || level.t - 100 <= from ? null : Math.min(last + 100, level.t - 101);
      if (last !== null && level.t - last > 200) break;
      last = level.t;
    }
    return last === null ? null : last + 100;
  };

  VoiceDelay.DEFAULTS = DEFAULTS;
  if (typeof module !== 'undefined' && module.exports) module.exports = VoiceDelay;
  else global.KvsVoiceDelay = VoiceDelay;
})(typeof window !== 'undefined' ? window : globalThis);
