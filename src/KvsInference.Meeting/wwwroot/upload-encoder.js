// The master's upload encoder, a dedicated worker (upload.js starts it): it reads the microphone's audio as captured
// (the readable of a MediaStreamTrackProcessor, moved here), encodes it with WebCodecs' AudioEncoder as Opus in 20 ms
// frames, and posts each frame's WebM bytes (webm-writer.js) as soon as the encoder hands the frame over. The page's
// main thread only sends them: in a worker, the 3D avatar's long frames cannot make the reader fall behind the
// processor's small buffer, which would drop audio.
//
// Timecodes are capture times, not sample counts. Each AudioData carries when it was captured, on a performance clock:
// this worker's for what it reads, the page's for the frames the processor queued before its stream came here (about
// the first 100 ms; seen in Chromium 156). A packet's timecode is the capture time of its first sample, in ms after the upload's
// producerStart (Unix ms). A capture stall that loses samples thus leaves a gap in the timecodes instead of moving
// every later packet early (what Chromium's recorder does, which media-clock.js undoes from server timestamps).
//
// Messages out: { header } once the encoder's OpusHead is known, then { block } per packet (ArrayBuffers, moved),
// { error } when it cannot go on, and { stats } every second: what was read, encoded and sent, and how many audio
// frames were skipped and why.
'use strict';
importScripts('/meeting/webm-writer.js');

const FRAME_US = 20000;
// A frame's timestamp is taken to be on a clock if it puts the capture no later than now and no earlier than this.
const MAX_CAPTURE_AGE_MS = 1000;

onmessage = e => run(e.data).catch(err => postMessage({ error: String(err && err.message || err) }));

async function run({ readable, producerStart, pageTimeOrigin, bitrate }) {
  const reader = readable.getReader();
  const stats = { framesRead: 0, framesSkipped: 0, skippedReasons: {}, packets: 0, bytes: 0, gaps: 0 };
  const skip = reason => { stats.framesSkipped++; stats.skippedReasons[reason] = (stats.skippedReasons[reason] || 0) + 1; };
  // The input frames the encoder has not finished with: where each starts in the encoder's input (samples) and when
  // it was captured (Unix ms). An output packet's first sample is found among them.
  const inputs = [];
  let samplesIn = 0, packetIndex = 0, inputRate = 0, channels = 0, lastEndMs = null;
  let writer = null, failed = null;
  const encoder = new AudioEncoder({
    output: (chunk, metadata) => {
      if (!writer) {
        const description = metadata && metadata.decoderConfig && metadata.decoderConfig.description;
        if (!description) { failed = 'the Opus encoder gave no decoder description (OpusHead) with its first packet'; return; }
        writer = new KvsWebmWriter({ opusHead: new Uint8Array(description.buffer || description, description.byteOffset || 0, description.byteLength), channels });
        post({ header: writer.header() });
      }
      // Packet k of the encoder starts at input sample k * (samples per frame at the input rate).
      const start = Math.round(packetIndex++ * FRAME_US * inputRate / 1e6);
      while (inputs.length > 1 && inputs[1].start <= start) inputs.shift();
      const from = inputs[0];
      const captureMs = from.captureMs + (start - from.start) * 1000 / inputRate;
      const packet = new Uint8Array(chunk.byteLength);
      chunk.copyTo(packet);
      // Never before the previous packet (nor before producerStart, for the first).
      const bytes = writer.block(Math.max(Math.round(captureMs - producerStart), writer.lastMs ?? 0), packet);
      stats.packets++;
      stats.bytes += bytes.length;
      post({ block: bytes });
    },
    error: err => { failed = 'the Opus encoder failed: ' + err.message; },
  });
  const statsTimer = setInterval(() => postMessage({ stats }), 1000);
  try {
    for (;;) {
      if (failed) throw new Error(failed);
      const { value: frame, done } = await reader.read();
      if (done) break;
      stats.framesRead++;
      try {
        const captureMs = captureTime(frame, pageTimeOrigin);
        if (captureMs === null) { skip('timestamp on no known clock'); continue; }
        if (captureMs < producerStart) { skip('captured before the upload'); continue; }
        if (lastEndMs !== null && captureMs < lastEndMs - 2) { skip('overlaps the previous frame'); continue; }
        if (encoder.state === 'unconfigured') {
          if (frame.numberOfChannels > 2) throw new Error(`the microphone gives ${frame.numberOfChannels} channels; the upload takes 1 or 2`);
          inputRate = frame.sampleRate;
          channels = frame.numberOfChannels;
          encoder.configure({ codec: 'opus', sampleRate: inputRate, numberOfChannels: channels, bitrate, opus: { frameDuration: FRAME_US } });
        }
        if (frame.sampleRate !== inputRate || frame.numberOfChannels !== channels) {
          throw new Error(`the microphone's format changed from ${inputRate} Hz x ${channels} to ${frame.sampleRate} Hz x ${frame.numberOfChannels}`);
        }
        if (lastEndMs !== null && captureMs > lastEndMs + 5) stats.gaps++;
        inputs.push({ start: samplesIn, captureMs });
        samplesIn += frame.numberOfFrames;
        lastEndMs = captureMs + frame.numberOfFrames * 1000 / inputRate;
        encoder.encode(frame);
      } finally {
        frame.close();
      }
    }
  } finally {
    clearInterval(statsTimer);
    postMessage({ stats });
  }
}

// The frame's capture time (Unix ms) on this worker's clock or else the page's, or null if neither is plausible.
function captureTime(frame, pageTimeOrigin) {
  const now = performance.timeOrigin + performance.now();
  for (const origin of [performance.timeOrigin, pageTimeOrigin]) {
    const t = origin + frame.timestamp / 1000;
    if (t <= now + 2 && t >= now - MAX_CAPTURE_AGE_MS) return t;
  }
  return null;
}

function post(message) {
  const bytes = message.header || message.block;
  postMessage(message, [bytes.buffer]);
}
