// The avatar on the master's canvas, the picture viewers receive: the 3D avatar (avatar3d.js) when it is loaded, else
// the 2D face (face.js), drawn every FRAME_MS for the speech of `now - D` from the record frames.
import { lastAtOrBefore } from './records.js';
import { push, state } from './state.js';

const FRAME_MS = 33;
const REST = { aa: 0, ih: 0, ou: 0, ee: 0, oh: 0, jawOpen: 0, silence: 1 }; // the avatar's face at rest

// The avatar as viewers will see it, before the start.
export const drawRest = canvas => KvsFace.drawFace(canvas, REST, 0);

// Draws from `frames` (by speech time, oldest first; records.js fills it) until the page goes away.
export function drawAvatar(canvas, frames) {
  const started = Date.now();
  setInterval(() => {
    // The 3D avatar (avatar3d.js) when it is loaded, else the 2D face; both draw on this canvas. The 3D avatar takes
    // tens of ms to draw in software WebGL: it draws the moment it will be on the canvas (its lookahead), not now.
    const face = window.KvsAvatar3d && KvsAvatar3d.ready() ? KvsAvatar3d : KvsFace;
    const now = Date.now(), speechT = now - state.delayMs + (face.lookaheadMs ? face.lookaheadMs() : 0);
    while (frames.length > 0 && frames[0].t < now - state.voiceDelay.o.maxMs - 1000) frames.shift();
    const f = frames[lastAtOrBefore(frames, speechT)];
    // No frame for this moment (the stream stopped, or nothing yet): rest rather than freeze mid-word.
    const frame = f === undefined || speechT - f.t > 250 ? REST : f.frame;
    const opening = face.drawFace(canvas, frame, (now - started) / 1000);
    push(state.samples, { t: now, speechT, jawOpen: frame.jawOpen, opening });
  }, FRAME_MS);
}
