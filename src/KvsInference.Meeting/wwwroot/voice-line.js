// What viewers hear from the master: the microphone's bus delayed by the avatar's delay D (+ the fixed audio lag), so
// that the voice meets the mouth drawn for it. D is chosen by voice-delay.js from the record latencies (records.js
// raises it) and lowered here, every 50 ms, only across silence.
import { state } from './state.js';

// Returns the delayed voice (a MediaStreamAudioDestinationNode) and setDelay(ms, overSilence).
export function startVoiceLine(ctx, bus) {
  const delay = ctx.createDelay(10);
  state.delayMs = state.voiceDelay.delayMs;
  delay.delayTime.value = (state.delayMs + state.audioLagMs) / 1000;
  bus.connect(delay);
  const out = ctx.createMediaStreamDestination();
  delay.connect(out);
  state.voiceLine = { ctx, delay }; // for diagnostics and the browser test: the delay line's actual value, the context's latency
  // A rise is glided (a late record must not wait); a lowering comes only across silence (voice-delay.js), where
  // jumping the delay line's read position skips silence and is not heard.
  const setDelay = (ms, overSilence) => {
    state.delayMs = ms;
    if (overSilence) delay.delayTime.setValueAtTime((ms + state.audioLagMs) / 1000, ctx.currentTime);
    else delay.delayTime.setTargetAtTime((ms + state.audioLagMs) / 1000, ctx.currentTime, 0.05);
  };
  setInterval(() => {
    const lowered = state.voiceDelay.tick(Date.now(), state.micLevels);
    if (lowered !== null) setDelay(lowered, true);
  }, 50);
  return { out, setDelay };
}
