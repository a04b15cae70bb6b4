// The master's upload in local mode: the raw microphone recorded by MediaRecorder (WebM/Opus) and sent over a WebSocket
// to the media store's PutMedia ingest, which acknowledges what it persisted.
import { checkMeeting } from './api.js';
import { microphone } from './microphone.js';
import { RETRY_SECONDS, sleep, state, wsBase } from './state.js';

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
      if (state.recorder && state.recorder.state !== 'inactive') state.recorder.stop();
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
    const recorder = new MediaRecorder(mic, { mimeType: 'audio/webm;codecs=opus', audioBitsPerSecond: 32000 });
    // Cluster timecodes count from the recording's start: its offset from producerStart places every frame on this clock.
    // The start is taken when start() is called, not when the start event runs: the event waits for the main thread,
    // which the 3D avatar keeps busy for tens of ms at a time in software WebGL (startEventLateMs says how long).
    recorder.onstart = () => { state.startEventLateMs = Date.now() - producerStart - state.recordingOffsetMs; };
    recorder.ondataavailable = async e => {
      if (e.data.size === 0 || ws.readyState !== WebSocket.OPEN) return;
      const bytes = await e.data.arrayBuffer();
      ws.send(bytes);
      state.stats.chunksSent++;
      state.stats.bytesSent += bytes.byteLength;
    };
    state.recordingOffsetMs = Date.now() - producerStart;
    state.mediaClock.reset();
    recorder.start(state.chunkMs);
    state.recorder = recorder;
  };
  state.producerStart = producerStart;
}
