// What the viewer gets, sampled together every 20 ms: the loudness of the received audio and how open the received
// avatar's mouth is (dark mouth-interior pixels in the mouth region), for lip-sync measurement. Returns a function that
// moves the loudness to another audio track (a renewed receiver's).
import { rms } from './level.js';
import { push, state } from './state.js';

export function measureViewer(track, video, pc) {
  const ctx = state.measureContext = new AudioContext();
  ctx.resume();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  let source = null;
  const listen = t => {
    if (source) source.disconnect();
    source = ctx.createMediaStreamSource(new MediaStream([t]));
    source.connect(analyser);
  };
  listen(track);
  const buffer = new Float32Array(analyser.fftSize);
  const grab = document.createElement('canvas');
  grab.width = 640; grab.height = 480;
  const g = grab.getContext('2d', { willReadFrequently: true });
  const timer = setInterval(() => {
    if (pc !== state.pc) { clearInterval(timer); ctx.close(); return; }
    let mouth = -1;
    if (video.videoWidth > 0) {
      g.drawImage(video, 0, 0, 640, 480);
      const px = g.getImageData(240, 295, 160, 110).data;
      mouth = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] < 200 && px[i] > px[i + 1] + 15) mouth++;
    }
    push(state.samples, { t: Date.now(), rms: rms(analyser, buffer), mouth });
  }, 20);
  return listen;
}
