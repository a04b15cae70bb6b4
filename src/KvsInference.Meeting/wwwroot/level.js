// The loudness of audio as the page measures it: the microphone's level on the master, the received voice on the viewer.
export function rms(analyser, buffer) {
  analyser.getFloatTimeDomainData(buffer);
  let sum = 0;
  for (const v of buffer) sum += v * v;
  return Math.sqrt(sum / buffer.length);
}

// Meter scale: -60 dBFS (silence) to 0 dBFS; speech sits around 0.5-0.8.
export const meterLevel = r => Math.max(0, Math.min(1, (20 * Math.log10(r + 1e-9) + 60) / 60));
