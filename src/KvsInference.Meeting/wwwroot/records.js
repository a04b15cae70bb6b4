// The meeting's inference records as the master receives them (server-sent events): each record's frames placed on this
// page's clock by speech time, its latency measured and handed to the delay choice (voice-delay.js).
import { push, state } from './state.js';

// The index of the last frame with t <= time in frames (ordered by t), -1 if none.
export function lastAtOrBefore(frames, time) {
  let lo = 0, hi = frames.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (frames[mid].t <= time) lo = mid + 1; else hi = mid; }
  return lo - 1;
}

// The record frames by speech time, oldest first, go into `frames`. They are looked up, not consumed: when D is raised
// the voice's delay line replays the last D-change of speech, and speechT steps back with it, so the mouth replays the
// same frames instead of freezing until speechT catches up (avatar.js keeps them as long as D could step back, its
// maximum). Frames of a record that came late go in order among the others: frames whose moment has passed are not
// drawn. A latency that raises D is passed to setDelay (voice-line.js).
export function receiveRecords(m, frames, setDelay) {
  const events = new EventSource(`/meeting/records?stream=${encodeURIComponent(m.streamName)}&token=${encodeURIComponent(m.masterToken)}`);
  events.onmessage = e => {
    const record = JSON.parse(e.data);
    const now = Date.now();
    // The speech time of frame i on this page's clock: the fragment's producer timestamp counts from producerStart, on
    // the recording's clock. The encoder worker stamps capture times; MediaRecorder counts samples, which a capture
    // stall leaves behind the page's clock (media-clock.js).
    const clockLag = state.encoderKind === 'recorder' ? state.mediaClock.observe(record.serverTimestamp, record.producerTimestamp, now) : 0;
    const base = record.producerTimestamp + (state.recordingOffsetMs || 0) + record.startOffsetMs + clockLag;
    const step = 1000 / record.frameRate;
    const latency = now - base;
    state.stats.records++;
    push(state.stats.latencyMs, latency);
    if (record.ingestToProcessMs !== undefined && record.ingestToProcessMs !== null) push(state.stats.ingestToProcessMs, record.ingestToProcessMs);
    const raised = state.voiceDelay.observe(latency, now);
    if (raised !== null) setDelay(raised, false);
    record.frames.forEach((frame, i) => {
      const t = base + i * step;
      state.stats.frames++;
      if (t + state.delayMs < now) state.stats.lateFrames++;
      frames.splice(lastAtOrBefore(frames, t) + 1, 0, { t, frame });
    });
  };
}
