// How far the recording's clock has fallen behind this page's clock since the meeting began. A record places its frames
// by the recording's own clock (producerTimestamp: producerStart + the WebM timecodes), and Chromium's recorder counts
// that clock in the samples it captured. When the capture stalls on a starved machine and samples are lost, the count
// falls behind the page's clock for good: every later record's speech would be placed that much too early (the mouth a
// second ahead of the voice, seen in MeetingEndToEndTests with one core kept busy) and its latency would look that much
// higher. Each record also carries the fragment's server timestamp, taken when the fragment reached the store on a clock
// that does not stall with the page: the floor of (server - producer) over the last few seconds is the upload path's
// own delay plus the recording clock's lag, and its rise above the lowest such floor of the meeting is the lag gathered
// since. Speech times move later by it. Rises under minShiftMs are the path's jitter and change nothing; a path that
// stays slower for longer than the window (a congested uplink in AWS mode) is taken for such a lag too.
// Plain logic without the DOM, so that node can test it (tools/node-tests/media-clock.test.js).
'use strict';
(function (global) {
  const DEFAULTS = {
    windowMs: 3000,   // the floor is the lowest (server - producer) of the records that arrived in the last 3 s
    minSamples: 10,   // a floor of fewer records is not compared (it would stand higher than a full window's)
    minShiftMs: 80,   // a smaller rise of the floor is the upload path's jitter
    stepMs: 40,       // the correction changes only by at least this much, so it does not flutter
  };

  function MediaClock(options) {
    this.o = Object.assign({}, DEFAULTS, options || {});
    this.reset();
  }

  // A new recording (the upload started again): its clock starts anew.
  MediaClock.prototype.reset = function () {
    this.samples = [];   // { t, lagMs } by arrival on this page
    this.lowestMs = Infinity;
    this.correctionMs = 0;
    this.changes = [];   // { t, correctionMs, floorMs, lowestMs }, the last 20
  };

  // A record arrived at page time now. Returns the correction to add to its speech times (ms, 0 or more).
  MediaClock.prototype.observe = function (serverTimestamp, producerTimestamp, now) {
    if (!Number.isFinite(serverTimestamp) || !Number.isFinite(producerTimestamp)) return this.correctionMs;
    const lagMs = serverTimestamp - producerTimestamp;
    this.samples.push({ t: now, lagMs });
    while (this.samples.length > 0 && this.samples[0].t < now - this.o.windowMs) this.samples.shift();
    if (this.samples.length < this.o.minSamples) return this.correctionMs;
    let floorMs = Infinity;
    for (const s of this.samples) floorMs = Math.min(floorMs, s.lagMs);
    // Floors compare with floors (a window's lowest, not the lowest single record ever), so the path's jitter cancels.
    this.lowestMs = Math.min(this.lowestMs, floorMs);
    const shift = floorMs - this.lowestMs;
    const next = shift >= this.o.minShiftMs ? shift : 0;
    if (Math.abs(next - this.correctionMs) >= this.o.stepMs) {
      this.correctionMs = next;
      this.changes.push({ t: now, correctionMs: next, floorMs, lowestMs: this.lowestMs });
      if (this.changes.length > 20) this.changes.shift();
    }
    return this.correctionMs;
  };

  MediaClock.DEFAULTS = DEFAULTS;
  if (typeof module !== 'undefined' && module.exports) module.exports = MediaClock;
  else global.KvsMediaClock = MediaClock;
})(typeof window !== 'undefined' ? window : globalThis);
