// Browser end to end of the meeting web app in Debian's headless Chromium (playwright-core, no browser download):
// a master creates a meeting with a fake microphone playing an espeak-ng WAV and draws the 3D avatar (software WebGL;
// or without WebGL the 2D face, saying why), a viewer joins with the link; checks that
// the viewer receives audio and the avatar video (inbound-rtp packets), that records arrive for the meeting's stream,
// that the avatar's mouth moves while speech plays and rests in silence, and measures the lip-sync offset the viewer
// sees (cross-correlation of received audio loudness and received mouth opening) against ITU-R BT.1359, with the
// viewer's receive-side buffer skew before and after the page compensates it. Saves screenshots.
// Usage: node meeting-e2e.js <page url> <speech.wav> <out dir> [measure seconds] [2d|3d]
// Prints one JSON line `RESULT {...}` and exits 0 when every check passed, 1 otherwise.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createMeeting, finish, launchWithFakeMic, log, waitFor, SOFTWARE_WEBGL } = require('./browser');

const [url, wav, outDir, secondsArg, avatarArg] = process.argv.slice(2);
if (!url || !wav || !outDir || !['2d', '3d', undefined].includes(avatarArg)) {
  console.error('usage: node meeting-e2e.js <page url> <speech.wav> <out dir> [measure seconds] [2d|3d]');
  process.exit(2);
}
// 3d: software WebGL, the master draws the 3D avatar. 2d (default): no WebGL, so the page must fall back to the 2D face
// and say why.
const avatar3d = avatarArg === '3d';
const measureSeconds = Number(secondsArg ?? '14');


const mean = a => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
const std = a => { const m = mean(a); return Math.sqrt(mean(a.map(v => (v - m) ** 2))); };

// Pearson correlation of x[i] with y[i + lag] for each lag (in samples); returns the best lag and its correlation.
function bestLag(x, y, maxLag) {
  let best = { lag: 0, r: -2 };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const xs = [], ys = [];
    for (let i = 0; i < x.length; i++) { const j = i + lag; if (j >= 0 && j < y.length) { xs.push(x[i]); ys.push(y[j]); } }
    const mx = mean(xs), my = mean(ys);
    let sxy = 0, sxx = 0, syy = 0;
    for (let i = 0; i < xs.length; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; syy += (ys[i] - my) ** 2; }
    const r = sxy / Math.sqrt(sxx * syy || 1);
    if (r > best.r) best = { lag, r };
  }
  return best;
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const failures = [];
  const result = {};
  let context;
  try {
    context = await launchWithFakeMic(wav, 'meeting-e2e-', { extraArgs: avatar3d ? SOFTWARE_WEBGL : [] });
    const { master, join } = await createMeeting(context, url, failures, '?join=', 15000);

    // With WebGL the master draws the 3D avatar (avatar3d.js), so that is what the viewer receives; without, the 2D face.
    await waitFor(master, () => window.KvsAvatar3d && window.KvsAvatar3d.state.status !== 'loading', 'the 3D avatar or its fallback', 60000);
    result.avatar3d = await master.evaluate(() => ({ status: window.KvsAvatar3d.state.status, reason: window.KvsAvatar3d.state.reason }));
    if (avatar3d && result.avatar3d.status !== 'ready') failures.push('the master shows no 3D avatar: ' + result.avatar3d.reason);
    if (!avatar3d && !(result.avatar3d.status === 'fallback' && /WebGL/.test(result.avatar3d.reason))) {
      failures.push('without WebGL the page should draw the 2D face and say so: ' + JSON.stringify(result.avatar3d));
    }

    const viewer = await context.newPage();
    viewer.on('pageerror', e => failures.push('viewer page error: ' + e.message));
    await viewer.goto(join);
    await viewer.click('#join');
    await waitFor(viewer, () => window.kvsMeeting?.pc?.connectionState === 'connected', 'the viewer peer connection', 20000);
    log('viewer connected');
    const speakingSince = Date.now();
    await waitFor(master, () => window.kvsMeeting.stats.records > 0, 'the first inference record', 30000);
    result.firstRecordAfterMs = Date.now() - speakingSince;
    log('first record after', result.firstRecordAfterMs, 'ms');

    await master.waitForTimeout(measureSeconds * 1000);
    const measureStart = Date.now() - measureSeconds * 1000;

    const m = await master.evaluate(() => ({ stats: window.kvsMeeting.stats, samples: window.kvsMeeting.samples, mic: window.kvsMeeting.micLevels, delayMs: window.kvsMeeting.delayMs, streamName: window.kvsMeeting.meeting.streamName,
      voiceDelay: { changes: window.kvsMeeting.voiceDelay.changes, p95: window.kvsMeeting.voiceDelay.p95(), recent: window.kvsMeeting.voiceDelay.samples.map(x => x.latencyMs) }, chunkMs: window.kvsMeeting.chunkMs, audioLagMs: window.kvsMeeting.audioLagMs }));
    const v = await viewer.evaluate(async () => {
      const stats = await window.kvsMeeting.pc.getStats();
      const inbound = {};
      stats.forEach(s => { if (s.type === 'inbound-rtp') inbound[s.kind] = { packets: s.packetsReceived, bytes: s.bytesReceived, frames: s.framesDecoded, jitterBufferDelay: s.jitterBufferDelay, emitted: s.jitterBufferEmittedCount }; });
      return { inbound, samples: window.kvsMeeting.samples, sync: window.kvsMeeting.sync };
    });
    await master.screenshot({ path: path.join(outDir, 'meeting-master.png') });
    await viewer.screenshot({ path: path.join(outDir, 'meeting-viewer.png') });
    result.screenshots = [path.join(outDir, 'meeting-master.png'), path.join(outDir, 'meeting-viewer.png')];

    result.streamName = m.streamName;
    result.records = m.stats.records;
    result.persistedFragments = m.stats.persisted;
    result.ingestErrors = m.stats.ingestErrors;
    result.avatarDelayMs = Math.round(m.delayMs);
    const lat = m.stats.latencyMs.slice(Math.min(5, m.stats.latencyMs.length - 1)).sort((a, b) => a - b);
    result.avatarLatencyMs = { min: Math.round(lat[0]), median: Math.round(lat[lat.length >> 1]), p95: Math.round(lat[Math.floor(lat.length * 0.95)]), max: Math.round(lat[lat.length - 1]) };
    // The last 10 s (what the page's delay follows): the steady state, without the worker's catch-up at the start.
    const recent = m.voiceDelay.recent.slice().sort((a, b) => a - b);
    if (recent.length > 0) {
      result.recentLatencyMs = { records: recent.length, median: Math.round(recent[recent.length >> 1]), p95: Math.round(recent[Math.min(recent.length - 1, Math.ceil(recent.length * 0.95) - 1)]), max: Math.round(recent[recent.length - 1]) };
    }
    result.avatarDelayChanges = m.voiceDelay.changes;
    // The worker's share (store -> record made, the record's own ingestToProcessMs): the rest is the browser and the push.
    const worker = m.stats.ingestToProcessMs.slice(Math.min(5, m.stats.ingestToProcessMs.length - 1)).sort((a, b) => a - b);
    if (worker.length > 0) result.workerIngestToProcessMs = { median: Math.round(worker[worker.length >> 1]), p95: Math.round(worker[Math.min(worker.length - 1, Math.ceil(worker.length * 0.95) - 1)]), max: Math.round(worker[worker.length - 1]) };
    result.chunkMs = m.chunkMs;
    if (avatar3d) {
      // What the 3D drawing cost over the measurement: per frame (render + read back onto the page canvas), the interval
      // between drawn frames, the render scale it settled at and the lookahead the page drew with.
      const d = await master.evaluate(since => ({ samples: window.KvsAvatar3d.state.samples.filter(s => s.t >= since).map(s => ({ t: s.t, drawMs: s.drawMs, scale: s.scale })),
        renderScale: window.KvsAvatar3d.state.renderScale, lookaheadMs: window.KvsAvatar3d.lookaheadMs() }), measureStart);
      const dist = a => { const s = a.slice().sort((x, y) => x - y); return s.length ? { median: Math.round(s[s.length >> 1]), p95: Math.round(s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]) } : null; };
      result.draw3d = { frames: d.samples.length, drawMs: dist(d.samples.map(s => s.drawMs)), intervalMs: dist(d.samples.slice(1).map((s, i) => s.t - d.samples[i].t)),
        renderScale: d.renderScale, scales: [...new Set(d.samples.map(s => s.scale))], lookaheadMs: Math.round(d.lookaheadMs) };
      log('3D drawing', JSON.stringify(result.draw3d));
    }
    {
      // What the master sent to the viewer: frames from the canvas and frames encoded, and what limited them.
      result.masterVideo = await master.evaluate(async () => {
        const out = { startEventLateMs: window.kvsMeeting.startEventLateMs };
        for (const peer of window.kvsMeeting.peers.values()) {
          (await peer.pc.getStats()).forEach(s => {
            if (s.type === 'media-source' && s.kind === 'video') Object.assign(out, { sourceFrames: s.frames, sourceFps: s.framesPerSecond });
            if (s.type === 'outbound-rtp' && s.kind === 'video') Object.assign(out, { framesEncoded: s.framesEncoded, framesSent: s.framesSent, fps: s.framesPerSecond, width: s.frameWidth,
              encodeMsPerFrame: s.framesEncoded ? Math.round(1000 * s.totalEncodeTime / s.framesEncoded) : null, limitation: s.qualityLimitationReason, limitationDurations: s.qualityLimitationDurations,
              targetBitrate: s.targetBitrate, contentType: s.contentType });
          });
        }
        return out;
      });
      log('master video', JSON.stringify(result.masterVideo));
    }
    result.lateFrames = m.stats.lateFrames;
    result.frames = m.stats.frames;
    result.inbound = v.inbound;
    if (!(v.inbound.audio?.packets > 0)) failures.push('the viewer received no audio packets');
    if (!(v.inbound.video?.packets > 0)) failures.push('the viewer received no video packets');
    if (m.stats.ingestErrors.length > 0) failures.push('ingest errors: ' + JSON.stringify(m.stats.ingestErrors));
    if (m.stats.persisted === 0) failures.push('no fragment was persisted');

    // Mouth vs speech on the master: each rendered frame shows the speech of time speechT; the microphone level at that
    // time says whether speech was playing (with a margin around the edges of speech).
    const mic = m.mic;
    const levelAround = (t, radius) => { const near = mic.filter(p => Math.abs(p.t - t) <= radius).map(p => p.rms); return near.length ? near : null; };
    const speechJaw = [], silenceJaw = [];
    for (const s of m.samples) {
      if (s.speechT < measureStart - m.delayMs) continue;
      const near = levelAround(s.speechT, 150);
      if (!near) continue;
      if (Math.min(...near) > 0.01) speechJaw.push(s.jawOpen);
      else if (Math.max(...near) < 0.002) silenceJaw.push(s.jawOpen);
    }
    result.mouth = {
      speechFrames: speechJaw.length, speechJawMean: +mean(speechJaw).toFixed(3), speechJawStd: +std(speechJaw).toFixed(3),
      silenceFrames: silenceJaw.length, silenceJawMean: +mean(silenceJaw).toFixed(3), silenceJawMax: +Math.max(0, ...silenceJaw).toFixed(3),
    };
    if (speechJaw.length < 20) failures.push(`too few rendered frames during speech (${speechJaw.length})`);
    if (silenceJaw.length < 20) failures.push(`too few rendered frames during silence (${silenceJaw.length})`);
    if (!(std(speechJaw) > 0.08)) failures.push(`the mouth does not move during speech (jawOpen std ${std(speechJaw).toFixed(3)})`);
    if (!(mean(silenceJaw) < 0.05)) failures.push(`the mouth does not rest in silence (jawOpen mean ${mean(silenceJaw).toFixed(3)})`);

    // Alignment on the master's own clock (no video transport): microphone loudness at time t vs the jaw drawn for t.
    const grid = [], micGrid = [], jawGrid = [];
    // In speech-time order: when the avatar delay changes, speechT jumps.
    const rendered = m.samples.filter(s => s.speechT >= measureStart - m.delayMs).sort((a, b) => a.speechT - b.speechT);
    if (rendered.length > 100) {
      for (let t = rendered[0].speechT; t < rendered[rendered.length - 1].speechT; t += 20) grid.push(t);
      let ri = 0, mi = 0;
      for (const t of grid) {
        while (ri + 1 < rendered.length && Math.abs(rendered[ri + 1].speechT - t) <= Math.abs(rendered[ri].speechT - t)) ri++;
        while (mi + 1 < mic.length && Math.abs(mic[mi + 1].t - t) <= Math.abs(mic[mi].t - t)) mi++;
        jawGrid.push(rendered[ri].jawOpen); micGrid.push(mic[mi].rms);
      }
      const best = bestLag(micGrid, jawGrid, 40);
      result.masterLipSync = { offsetMs: best.lag * 20, correlation: +best.r.toFixed(3), note: 'model + scheduling only; positive = mouth after audio' };
    }

    // The viewer's receive-side buffers over the measurement, one entry a second (meeting.js alignReceivers): the skew
    // before compensation is what the audio and video buffers needed (without the page's targets and Chromium's own
    // A/V sync), the skew after it is what they held. Positive: audio held longer.
    const history = (v.sync?.history ?? []).filter(h => h.t >= measureStart);
    const range = values => values.length ? { mean: Math.round(mean(values)), min: Math.round(Math.min(...values)), max: Math.round(Math.max(...values)) } : null;
    const targets = kind => [...new Set(history.map(h => h[kind]))].map(t => t ?? '-').join(',');
    const b = result.viewerBuffers = {
      api: v.sync?.api, seconds: history.length, adjustments: v.sync?.adjustments, errors: v.sync?.errors,
      audioNeedMs: range(history.map(h => h.audioNeedMs)), videoNeedMs: range(history.map(h => h.videoNeedMs)),
      skewBeforeMs: range(history.map(h => h.audioNeedMs - h.videoNeedMs)),
      audioHeldMs: range(history.map(h => h.audioMs)), videoHeldMs: range(history.map(h => h.videoMs)),
      skewAfterMs: range(history.map(h => h.audioMs - h.videoMs)),
      // Chromium's estimate of the voice's lead over the mouth at playout (sender clock), for comparison with the offset.
      playoutSkewMs: range(history.map(h => h.playoutSkewMs).filter(x => x !== null)),
      targetAudioMs: targets('targetAudioMs'), targetVideoMs: targets('targetVideoMs'),
    };
    if (b.api !== 'jitterBufferTarget') failures.push(`the viewer page cannot set RTCRtpReceiver.jitterBufferTarget (api ${b.api})`);
    if (b.seconds < measureSeconds / 2) failures.push(`the viewer measured its buffers only ${b.seconds} times in ${measureSeconds} s`);
    if (b.errors?.length) failures.push('setting a receiver target failed: ' + b.errors.join('; '));
    if (b.skewBeforeMs) {
      log(`viewer buffers: skew before compensation ${b.skewBeforeMs.mean} ms (${b.skewBeforeMs.min}..${b.skewBeforeMs.max}), ` +
        `after ${b.skewAfterMs.mean} ms (${b.skewAfterMs.min}..${b.skewAfterMs.max}); targets audio ${b.targetAudioMs}, ` +
        `video ${b.targetVideoMs}; ${b.adjustments} adjustments; Chromium's estimate of the voice's lead at playout ` +
        (b.playoutSkewMs ? `${b.playoutSkewMs.mean} ms (${b.playoutSkewMs.min}..${b.playoutSkewMs.max})` : 'none'));
    }

    // The delay viewers hear: the viewer's received loudness against the master's microphone, both sampled every 20 ms on
    // this machine's clock (one browser), best-correlated lag over 0..2 s. It is the avatar delay + the audio lag + WebRTC.
    // Over the last 6 s: the delay may have changed earlier in the measurement.
    const heard = v.samples.filter(s => s.t >= Date.now() - 6000);
    if (heard.length > 100 && mic.length > 100) {
      const micAt = [], heardAt = [];
      let mi = 0;
      for (const s of heard) {
        while (mi + 1 < mic.length && Math.abs(mic[mi + 1].t - s.t) <= Math.abs(mic[mi].t - s.t)) mi++;
        micAt.push(mic[mi].rms); heardAt.push(s.rms);
      }
      let best = { lag: 0, r: -2 };
      for (let lag = 0; lag <= 100; lag++) {
        const r = bestLag(micAt.slice(0, micAt.length - lag), heardAt.slice(lag), 0).r;
        if (r > best.r) best = { lag, r };
      }
      result.viewerVoiceDelayMs = { ms: best.lag * 20, correlation: +best.r.toFixed(3), avatarDelayMs: Math.round(m.delayMs), audioLagMs: m.audioLagMs, overLastMs: 6000 };
      log(`viewers hear the voice ${best.lag * 20} ms after it was spoken (r ${best.r.toFixed(3)}; avatar delay ${Math.round(m.delayMs)} ms + audio lag ${m.audioLagMs} ms + WebRTC)`);
    }

    // Lip sync as the viewer sees it: received audio loudness vs received mouth opening, sampled together every 20 ms.
    const vs = v.samples.filter(s => s.t >= measureStart && s.mouth >= 0);
    const video = vs.map(s => s.mouth), audio = vs.map(s => s.rms);
    result.viewerMouth = { samples: vs.length, pixelsStd: +std(video).toFixed(1), max: Math.max(0, ...video) };
    if (!(std(video) > 20)) failures.push(`the avatar's mouth does not move in the viewer's video (pixel std ${std(video).toFixed(1)})`);
    if (vs.length > 100) {
      const best = bestLag(audio, video, 40); // +-800 ms in 20 ms steps; positive: the mouth comes after the sound
      result.viewerLipSync = { offsetMs: best.lag * 20, correlation: +best.r.toFixed(3), note: 'positive = mouth after audio' };
      log(`viewer lip-sync offset ${best.lag * 20} ms (r ${best.r.toFixed(3)}; positive: audio ahead of the mouth)`);
      // ITU-R BT.1359: sound at most 45 ms before the picture, at most 125 ms after it. Always judged: the page
      // compensates the receive-side buffering (viewerBuffers says by how much).
      if (!(best.r > 0.4)) failures.push(`received audio and mouth do not correlate (r ${best.r.toFixed(3)})`);
      else if (best.lag * 20 > 45 || best.lag * 20 < -125) {
        failures.push(`lip-sync offset ${best.lag * 20} ms is outside -125..+45 ms (positive: audio ahead); viewer buffers ${JSON.stringify(b)}`);
      }
    } else {
      failures.push(`too few viewer samples (${vs.length})`);
    }
  } catch (e) {
    failures.push(String(e && e.stack || e));
  }
  await finish(context, result, failures);
}

main();
