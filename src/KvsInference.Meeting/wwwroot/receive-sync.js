// Receive-side lip sync. The master aligns mouth and voice as they leave it; here each receiver's jitter buffer adds
// its own delay, and on a CPU-starved machine the audio buffer grows (~160 ms was seen against ~30 ms for video).
// Chromium re-aligns the tracks of one MediaStream itself from the RTCP sender reports, but by only ~20-25 ms a
// second, so a jump leaves voice and mouth apart for seconds. Every second this reads from getStats how long each
// receiver needs to hold its media and holds the faster one as long as the slower (RTCRtpReceiver.jitterBufferTarget;
// playoutDelayHint where that is missing), never above 1 s: raised at once, lowered only after some seconds below so
// that it does not follow every swing of the audio buffer. Video is released sooner (after 1 s) than audio (5 s): video held
// too long puts the voice ahead of the mouth, which ITU-R BT.1359 tolerates up to 45 ms, audio held too long puts it
// behind, tolerated up to 125 ms. After a stall NetEq drains its raised audio buffer over several seconds; a video
// released only after 2 s (to the higher of two intervals) trailed that by 200-300 ms for 4 s (+200 ms over the test).
// A receiver's need is what its jitter buffer held minus what was added on purpose (by our target or by Chromium's
// sync: jitterBufferTargetDelay - jitterBufferMinimumDelay), else the two would feed each other and only ever grow.
// ?sync=off on the viewer's link measures without setting anything, for comparison.
import { params, state } from './state.js';

// The receiver of a kind that carries media: a renewed audio receiver leaves a stopped transceiver behind.
const liveReceiver = (pc, kind) => pc.getTransceivers().find(t => !t.stopped && t.currentDirection !== 'stopped' && t.receiver.track.kind === kind)?.receiver;
// inbound-rtp of the live audio and video receivers, by kind.
async function receiverStats(pc) {
  const out = {};
  for (const kind of ['audio', 'video']) {
    const receiver = liveReceiver(pc, kind);
    if (receiver) (await receiver.getStats()).forEach(s => { if (s.type === 'inbound-rtp') out[kind] = s; });
  }
  return out;
}

// A fresh audio receiver on the same connection: the viewer stops its audio transceiver and offers a new one; the
// master answers on the same connection (masterMessage), so the video goes on undisturbed. The new receiver's NetEq
// starts at its start delay (80 ms) with an empty history.
async function renewAudio(pc) {
  const old = pc.getTransceivers().find(t => !t.stopped && t.receiver.track.kind === 'audio');
  if (!old || pc.signalingState !== 'stable' || !state.signaling.open) return false;
  old.stop();
  pc.addTransceiver('audio', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  return state.signaling.send('SDP_OFFER', pc.localDescription.toJSON());
}

// The viewer's audio buffer after a stall. When packets stop for longer than the buffer holds (a CPU stall of the
// machine or of either page), Chromium's audio jitter buffer (NetEq) raises its own target delay to the gap's length.
// In the first minute of a connection its delay histogram weighs each new 500 ms interval heavily, so one gap keeps
// the target up for seconds to tens of seconds: measured 40 -> 240 ms after a 175 ms gap and 268 -> 520 ms after a
// 260 ms gap, held to the end of the test (6-8 s), 80 -> 520 ms for 5 s after a 500 ms network stall; the voice is
// heard that much later for as long. jitterBufferTarget can only raise that target, never lower it. So when NetEq's own target
// (jitterBufferMinimumDelay: without our target and Chromium's A/V sync) stayed riseMs above the lowest this receiver
// had for heldIntervals seconds in a row, and the received voice has been silent for silenceMs, the audio receiver is
// renewed (renewAudio): the dropped buffer then holds silence, which nobody hears. At most once per everyMs, so that
// a machine that keeps stalling is not renewed in a loop. ?renew=off on the viewer's link keeps the receiver.
const RENEW = { riseMs: 80, heldIntervals: 2, silenceMs: 300, silenceRms: 0.004, everyMs: 10000 };

const SYNC = { intervalMs: 1000, engageMs: 20, stepMs: 10, releaseIntervals: { audio: 5, video: 1 }, maxMs: 1000, maxHistory: 600 };
export function alignReceivers(pc) {
  const proto = RTCRtpReceiver.prototype;
  const api = 'jitterBufferTarget' in proto ? 'jitterBufferTarget' : 'playoutDelayHint' in proto ? 'playoutDelayHint' : 'none';
  const sync = state.sync = {
    api, enabled: api !== 'none' && params.get('sync') !== 'off',
    audioMs: null, videoMs: null,         // what each receiver held over the last interval (video: buffer + decode)
    audioNeedMs: null, videoNeedMs: null, // what each would hold without our target and Chromium's sync
    targetAudioMs: null, targetVideoMs: null, adjustments: 0, errors: [], history: [],
    // Chromium's own estimate, for checking: the sender-clock time of the audio being played minus that of the video
    // (estimatedPlayoutTimestamp; positive: the voice ahead of the mouth). null until RTCP sender reports came.
    playoutSkewMs: null,
  };
  const lower = { audio: [], video: [] }; // wanted targets below the current one, one per interval, for the release
  // renewAudio's bookkeeping: NetEq's own target over this receiver's life, intervals in a row above its lowest.
  const renew = sync.renew = { enabled: params.get('renew') !== 'off', receiver: null, lowestMs: null, above: 0, lastMs: 0, count: 0, log: [] };
  const watchAudio = (ownMs, receiverId) => {
    if (ownMs === null || !renew.enabled) return;
    if (renew.receiver !== receiverId) Object.assign(renew, { receiver: receiverId, lowestMs: ownMs, above: 0 });
    renew.lowestMs = Math.min(renew.lowestMs, ownMs);
    renew.above = ownMs >= renew.lowestMs + RENEW.riseMs ? renew.above + 1 : 0;
    const now = Date.now();
    const heard = state.samples.filter(x => x.t >= now - RENEW.silenceMs);
    const silent = heard.length >= RENEW.silenceMs / 40 && heard.every(x => x.rms < RENEW.silenceRms);
    if (renew.above < RENEW.heldIntervals || !silent || now - renew.lastMs < RENEW.everyMs) return;
    renew.lastMs = now;
    renew.count++;
    renew.log.push({ t: now, ownMs: Math.round(ownMs), lowestMs: Math.round(renew.lowestMs) });
    renewAudio(pc).then(sent => {
      if (!sent) return;
      // The new receiver has no target of ours; the video, held to the old audio's delay, is let go at once.
      sync.targetAudioMs = null;
      lower.audio = []; lower.video = [];
      if (sync.enabled) set('video', null);
    }).catch(e => { if (sync.errors.length < 10) sync.errors.push('renew audio: ' + e); });
  };
  const set = (kind, ms) => {
    const receiver = liveReceiver(pc, kind);
    try {
      if (api === 'jitterBufferTarget') receiver.jitterBufferTarget = ms;
      else receiver.playoutDelayHint = ms === null ? null : ms / 1000;
      sync[kind === 'audio' ? 'targetAudioMs' : 'targetVideoMs'] = ms;
      sync.adjustments++;
    } catch (e) {
      if (sync.errors.length < 10) sync.errors.push(`${kind} ${ms}: ${e}`);
    }
  };
  let last = null;
  const timer = setInterval(async () => {
    if (pc !== state.pc || pc.signalingState === 'closed') { clearInterval(timer); return; } // replaced after a lost connection, or left
    const now = await receiverStats(pc);
    const prev = last;
    if (now.audio && now.video) last = now;
    // Across a renewed audio receiver the counters start again: no interval to compare.
    if (!prev || !now.audio || !now.video || prev.audio.id !== now.audio.id) return;
    // Per-unit means over the interval: audio per sample, video per frame.
    const perUnit = (kind, field, count) => {
      const n = now[kind][count] - prev[kind][count];
      return n > 0 && now[kind][field] !== undefined ? 1000 * (now[kind][field] - prev[kind][field]) / n : null;
    };
    const held = kind => perUnit(kind, 'jitterBufferDelay', 'jitterBufferEmittedCount');
    // Added on purpose is target - minimum delay; what the buffer held beyond its target (a late reader) counts.
    const need = kind => {
      const target = perUnit(kind, 'jitterBufferTargetDelay', 'jitterBufferEmittedCount');
      const minimum = perUnit(kind, 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount');
      return target === null || minimum === null ? held(kind) : Math.max(minimum, held(kind) - Math.max(0, target - minimum));
    };
    const decodeMs = perUnit('video', 'totalDecodeTime', 'framesDecoded') ?? 0;
    if (held('audio') === null || held('video') === null) return; // nothing came out of a buffer in this interval
    sync.audioMs = held('audio');
    sync.videoMs = held('video') + decodeMs;
    sync.audioNeedMs = need('audio');
    sync.videoNeedMs = need('video') + decodeMs;
    const played = kind => now[kind].estimatedPlayoutTimestamp;
    sync.playoutSkewMs = played('audio') && played('video') ? played('audio') - played('video') : null;
    watchAudio(perUnit('audio', 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount'), now.audio.id);
    if (sync.enabled) {
      const slowest = Math.min(SYNC.maxMs, Math.max(sync.audioNeedMs, sync.videoNeedMs));
      adjust('audio', slowest - sync.audioNeedMs, slowest);
      adjust('video', slowest - sync.videoNeedMs, slowest - decodeMs); // the target is for the buffer, not the decoder
    }
    const { audioMs, videoMs, audioNeedMs, videoNeedMs, targetAudioMs, targetVideoMs, playoutSkewMs } = sync;
    sync.history.push({ t: Date.now(), audioMs, videoMs, audioNeedMs, videoNeedMs, targetAudioMs, targetVideoMs, playoutSkewMs });
    if (sync.history.length > SYNC.maxHistory) sync.history.shift();
  }, SYNC.intervalMs);

  // One receiver, needing gapMs less than the slowest: its buffer is held to bufferMs (in stepMs steps) once the gap
  // reaches engageMs, and stays held until the gap falls below half of that. A null target is the browser's own.
  function adjust(kind, gapMs, bufferMs) {
    const current = sync[kind === 'audio' ? 'targetAudioMs' : 'targetVideoMs'];
    const engaged = gapMs >= (current === null ? SYNC.engageMs : SYNC.engageMs / 2);
    const wanted = engaged && bufferMs > 0 ? Math.ceil(bufferMs / SYNC.stepMs) * SYNC.stepMs : null;
    if ((wanted ?? 0) >= (current ?? 0)) { // raised at once; both are whole steps, so equal means unchanged
      lower[kind] = [];
      if (wanted !== current) set(kind, wanted);
      return;
    }
    // Below the current target: lowered only after releaseIntervals in a row, to the highest wanted among them, so
    // that a dip of one interval is not followed.
    lower[kind].push(wanted ?? 0);
    if (lower[kind].length < SYNC.releaseIntervals[kind]) return;
    const highest = Math.max(...lower[kind]);
    lower[kind] = [];
    set(kind, highest === 0 ? null : highest);
  }
}

// The viewer's lines of the diagnostics.
export function syncStatus() {
  const s = state.sync;
  if (!s || s.audioMs === null) return 'sync: waiting for media';
  const ms = v => v === null ? '-' : Math.round(v) + ' ms';
  return `sync ${s.enabled ? 'by ' + s.api : 'off'}: audio held ${ms(s.audioMs)} (needs ${ms(s.audioNeedMs)}), ` +
    `video ${ms(s.videoMs)} (needs ${ms(s.videoNeedMs)})\n` +
    `targets: audio ${ms(s.targetAudioMs)}, video ${ms(s.targetVideoMs)}, ${s.adjustments} adjustments\n` +
    `voice ahead of the mouth by ${ms(s.playoutSkewMs)} (Chromium's estimate)`;
}
