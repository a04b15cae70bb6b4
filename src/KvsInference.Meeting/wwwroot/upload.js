// The master's upload in local mode: the raw microphone encoded as WebM/Opus and sent over a WebSocket to the media
// store's PutMedia ingest, which acknowledges what it persisted. Where WebCodecs and MediaStreamTrackProcessor exist
// (Chromium), a worker encodes 20 ms Opus frames stamped with their capture time (upload-encoder.js); elsewhere, or with
// ?encoder=recorder, MediaRecorder records it (60 ms frames in Chromium, timecodes that count captured samples, so the
// page corrects a capture stall from the records' server timestamps: media-clock.js).
import { checkMeeting } from './api.js';
import { microphone } from './microphone.js';
import { params, RETRY_SECONDS, sleep, state, wsBase } from './state.js';

// The upload comes back too: when its socket closes while the meeting goes on, the recorder is stopped and a new
// upload (a new PutMedia, as a KVS producer reconnects) of the current microphone starts after the back-off, or at
// once when the microphone was switched. `changed()` is told when the upload opens or closes, `ended()` when the
// meeting turns out to have ended.
export function keepIngest(m, { changed, ended }) {
  let attempt = 0;
  const start = () => {
    if (state.ended) return;
    startIngest(m, microphone.device);
    const ws = state.ingestSocket;
    ws.addEventListener('open', () => { attempt = 0; state.ingestOpen = true; changed(); });
    ws.addEventListener('close', async () => {
      state.ingestOpen = false;
      if (state.encoder) state.encoder.stop();
      if (state.ended) return;
      if (state.ingestSwitching) {
        // The server ends the previous PutMedia when its socket closes; a new one started too early is refused
        // (one PutMedia per stream) and then retried by the back-off below.
        state.ingestSwitching = false;
        await sleep(200);
        start();
        return;
      }
      changed();
      if ((await checkMeeting(m.id, m.masterToken)).verdict === 'ended') {
        ended();
        return;
      }
      await sleep(RETRY_SECONDS[Math.min(attempt++, RETRY_SECONDS.length - 1)] * 1000);
      state.reconnects.ingest++;
      start();
    });
  };
  start();
}

function startIngest(m, mic) {
  const producerStart = Date.now();
  const ws = new WebSocket(`${wsBase}/meeting/ingest?stream=${encodeURIComponent(m.streamName)}&token=${encodeURIComponent(m.masterToken)}&producerStart=${producerStart}`);
  ws.binaryType = 'arraybuffer';
  state.ingestSocket = ws; // keepIngest watches it and starts a new upload when it closes
  ws.onmessage = e => {
    const ack = JSON.parse(e.data);
    if (ack.EventType === 'PERSISTED') state.stats.persisted++;
    else if (ack.EventType === 'ERROR') state.stats.ingestErrors.push(ack);
  };
  ws.onopen = () => {
    state.encoder = useWebCodecs() ? startEncoderWorker(ws, mic, producerStart) : startRecorder(ws, mic, producerStart);
  };
  state.producerStart = producerStart;
}

const useWebCodecs = () => params.get('encoder') !== 'recorder'
  && typeof MediaStreamTrackProcessor === 'function' && typeof AudioEncoder === 'function' && typeof Worker === 'function';

function send(ws, bytes) {
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send(bytes);
  state.stats.chunksSent++;
  state.stats.bytesSent += bytes.byteLength;
}

// The encoder worker reads the track's audio itself; its packets carry their capture times, so the recording's clock
// is the page's (recordingOffsetMs 0, nothing for media-clock.js to undo). An encoder that fails closes the upload,
// which keepIngest then starts again.
function startEncoderWorker(ws, mic, producerStart) {
  state.encoderKind = 'webcodecs';
  state.recordingOffsetMs = 0;
  const processor = new MediaStreamTrackProcessor({ track: mic.getAudioTracks()[0] });
  const worker = new Worker('/meeting/upload-encoder.js');
  worker.onmessage = e => {
    const m = e.data;
    if (m.header || m.block) send(ws, m.header || m.block);
    else if (m.stats) state.stats.encoder = m.stats;
    else if (m.error) {
      state.stats.ingestErrors.push({ EventType: 'ENCODER', Error: m.error });
      ws.close(1000, 'encoder failed');
    }
  };
  worker.onerror = e => { state.stats.ingestErrors.push({ EventType: 'ENCODER', Error: e.message }); ws.close(1000, 'encoder failed'); };
  worker.postMessage({ readable: processor.readable, producerStart, pageTimeOrigin: performance.timeOrigin, bitrate: 32000 }, [processor.readable]);
  return { stop: () => worker.terminate() };
}

function startRecorder(ws, mic, producerStart) {
  state.encoderKind = 'recorder';
  state.mediaClock.reset(); // a new recording: its clock starts anew
  const recorder = new MediaRecorder(mic, { mimeType: 'audio/webm;codecs=opus', audioBitsPerSecond: 32000 });
  // Cluster timecodes count from the recording's start: its offset from producerStart places every frame on this clock.
  // The start is taken when start() is called, not when the start event runs: the event waits for the main thread,
  // which the 3D avatar keeps busy for tens of ms at a time in software WebGL (startEventLateMs says how long).
  recorder.onstart = () => { state.startEventLateMs = Date.now() - producerStart - state.recordingOffsetMs; };
  recorder.ondataavailable = async e => {
    if (e.data.size > 0) send(ws, await e.data.arrayBuffer());
  };
  state.recordingOffsetMs = Date.now() - producerStart;
  recorder.start(state.chunkMs);
  return { stop: () => { if (recorder.state !== 'inactive') recorder.stop(); } };
}
