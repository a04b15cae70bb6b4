// The talking face of src/KvsInference.Avatar/Rendering/FaceRenderer.cs, drawn on a 2D canvas: same shapes, colours
// and mouth model (the viseme weights blend the mouth's width and height, jawOpen decides how far it opens).
'use strict';
(function (global) {
  // Width, height of the mouth per key (as FaceRenderer.Shapes): the vowels and rest, then the consonant visemes.
  const KEYS = ['aa', 'ih', 'ou', 'ee', 'oh', 'silence', 'pp', 'ff', 'th', 'dd', 'kk', 'ch', 'ss', 'nn', 'rr'];
  const SHAPES = [[1.0, 1.0], [0.9, 0.45], [0.5, 0.6], [1.15, 0.35], [0.68, 0.85], [0.85, 0],
    [0.85, 0], [1.0, 0.2], [0.95, 0.3], [0.95, 0.35], [0.95, 0.4], [0.6, 0.35], [1.05, 0.15], [0.9, 0.3], [0.6, 0.45]];
  const clamp01 = v => Math.min(1, Math.max(0, Number(v) || 0));

  function oval(c, cx, cy, rx, ry) { c.beginPath(); c.ellipse(cx, cy, Math.max(rx, 0), Math.max(ry, 0), 0, 0, 2 * Math.PI); }

  // The mouth opening in pixels for a frame: what the page reports as the mouth's state.
  function mouthOpening(frame, s) {
    // Records of schema kvs-inference/1 have no consonant keys: they count as 0.
    const weights = KEYS.map(k => clamp01(frame[k]));
    let sum = 0, w = 0, h = 0, largest = 0;
    weights.forEach((wi, i) => { sum += wi; w += wi * SHAPES[i][0]; h += wi * SHAPES[i][1]; if (i !== 7) largest = Math.max(largest, wi); });
    if (sum > 1e-6) { w /= sum; h /= sum; } else { [w, h] = SHAPES[5]; }
    const jaw = clamp01(frame.jawOpen);
    // PP presses the lips together; FF tucks the lower lip under the upper teeth.
    const closing = Math.min(1, Math.max(0, 1 - 1.5 * weights[6]));
    const bite = weights[7] > largest;
    return { halfWidth: 55 * s * w, opening: bite ? 0 : 50 * s * h * (0.3 + 0.7 * jaw) * closing, bite };
  }

  function drawFace(canvas, frame, seconds) {
    const c = canvas.getContext('2d');
    const W = canvas.width, H = canvas.height, s = Math.min(W / 640, H / 480), cx = W / 2, cy = H / 2;
    c.fillStyle = '#2B3A55'; c.fillRect(0, 0, W, H);
    c.fillStyle = '#E8B896';
    c.fillRect(cx - 55 * s, cy + 150 * s, 110 * s, 120 * s);
    oval(c, cx - 165 * s, cy, 25 * s, 40 * s); c.fill();
    oval(c, cx + 165 * s, cy, 25 * s, 40 * s); c.fill();
    c.fillStyle = '#F5C9A6'; oval(c, cx, cy, 165 * s, 205 * s); c.fill();
    c.fillStyle = '#4A2F1E';
    c.beginPath();
    c.moveTo(cx - 168 * s, cy - 20 * s);
    c.bezierCurveTo(cx - 170 * s, cy - 260 * s, cx + 170 * s, cy - 260 * s, cx + 168 * s, cy - 20 * s);
    c.bezierCurveTo(cx + 120 * s, cy - 130 * s, cx - 60 * s, cy - 150 * s, cx - 168 * s, cy - 20 * s);
    c.fill();
    drawEyes(c, s, cx, cy, blinkOpenness(seconds));
    return drawMouth(c, s, cx, cy, frame);
  }

  // A blink of 150 ms about every 4 s (not FaceRenderer's hashed schedule: the page has no frame index).
  function blinkOpenness(seconds) {
    const t = seconds % 4.0;
    return t < 0.15 ? 0.5 + 0.5 * Math.cos(2 * Math.PI * t / 0.15) : 1;
  }

  function drawEyes(c, s, cx, cy, openness) {
    const eyeY = cy - 40 * s;
    for (const dx of [-62, 62]) {
      const ex = cx + dx * s, ry = 22 * s * Math.max(0.06, openness);
      c.fillStyle = '#FFFFFF'; oval(c, ex, eyeY, 30 * s, ry); c.fill();
      if (openness > 0.25) {
        c.fillStyle = '#3B6E8F'; oval(c, ex, eyeY, 12 * s, Math.min(12 * s, ry)); c.fill();
        c.fillStyle = '#000000'; oval(c, ex, eyeY, 5 * s, Math.min(5 * s, ry)); c.fill();
      }
      c.lineCap = 'round';
      c.strokeStyle = '#5A3A28'; c.lineWidth = 3 * s; oval(c, ex, eyeY, 30 * s, ry); c.stroke();
      c.strokeStyle = '#4A2F1E'; c.lineWidth = 7 * s;
      c.beginPath(); c.moveTo(ex - 30 * s, eyeY - 40 * s); c.lineTo(ex + 30 * s, eyeY - 44 * s); c.stroke();
    }
    c.strokeStyle = '#D09878'; c.lineWidth = 4 * s;
    c.beginPath(); c.moveTo(cx, cy - 10 * s); c.lineTo(cx - 12 * s, cy + 45 * s); c.lineTo(cx + 8 * s, cy + 48 * s); c.stroke();
  }

  function drawMouth(c, s, cx, cy, frame) {
    const { halfWidth, opening, bite } = mouthOpening(frame, s);
    const mouthY = cy + 105 * s;
    const lip = '#B54A4F';
    if (bite) {
      c.fillStyle = '#F4F1EA'; c.fillRect(cx - halfWidth * 0.7, mouthY - 7 * s, halfWidth * 1.4, 9 * s);
      c.strokeStyle = lip; c.lineWidth = 7 * s;
      c.beginPath(); c.moveTo(cx - halfWidth, mouthY - 4 * s); c.quadraticCurveTo(cx, mouthY - 14 * s, cx + halfWidth, mouthY - 4 * s); c.stroke();
      c.beginPath(); c.moveTo(cx - halfWidth * 0.9, mouthY + 6 * s); c.quadraticCurveTo(cx, mouthY + 12 * s, cx + halfWidth * 0.9, mouthY + 6 * s); c.stroke();
      return 0;
    }
    if (opening < 2 * s) {
      c.strokeStyle = lip; c.lineWidth = 6 * s;
      c.beginPath(); c.moveTo(cx - halfWidth, mouthY); c.quadraticCurveTo(cx, mouthY + 6 * s, cx + halfWidth, mouthY); c.stroke();
      return 0;
    }
    const top = mouthY - opening * 0.45, bottom = mouthY + opening * 0.55, rx = halfWidth, ry = opening / 2, my = (top + bottom) / 2;
    c.fillStyle = '#4A121A'; oval(c, cx, my, rx, ry); c.fill();
    c.save();
    oval(c, cx, my, rx, ry); c.clip();
    c.fillStyle = '#F4F1EA'; c.fillRect(cx - rx, top, 2 * rx, Math.min(10 * s, opening * 0.3));
    c.fillStyle = '#C85A64'; oval(c, cx, bottom, halfWidth * 0.6, opening * 0.3); c.fill();
    c.restore();
    c.strokeStyle = lip; c.lineWidth = 7 * s; oval(c, cx, my, rx, ry); c.stroke();
    return opening / s;
  }

  global.KvsFace = { drawFace, mouthOpening };
})(window);
