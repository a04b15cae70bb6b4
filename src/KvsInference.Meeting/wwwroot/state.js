// The meeting page's state: one object that every part of the page reads and writes, published as window.kvsMeeting
// for the page's browser tests (tools/node-tests), the link's parameters, and the small helpers every part uses.
// voice-delay.js (KvsVoiceDelay) and media-clock.js (KvsMediaClock) are classic scripts loaded before the modules: node
// tests them as they are.
export const params = new URLSearchParams(location.search);
export const wsBase = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
const MAX_HISTORY = 6000;
// Reconnect back-off (s): quick first tries for a blip, then every 8 s while the server is away.
export const RETRY_SECONDS = [1, 2, 4, 8];
export const state = {
  role: params.has('join') ? 'viewer' : 'master',
  meeting: null,
  // The avatar delay D, chosen from the measured record latency (voice-delay.js); ?delay=MS fixes it.
  voiceDelay: new KvsVoiceDelay({}, params.get('delay')),
  // How far the recording's clock has fallen behind the page's (media-clock.js); records' speech times move by it.
  mediaClock: new KvsMediaClock(),
  delayMs: 0,
  // The MediaRecorder fallback (upload.js) hands over what it encoded every chunkMs (Chromium's Opus frames are 60 ms);
  // the WebCodecs upload sends each 20 ms frame once encoded. The store makes one fragment per WebM Cluster (about
  // 1 s, within KVS's 5 per second).
  chunkMs: Number(params.get('chunkMs')) || 20,
  // The voice is held back this much more than the avatar's delay, measured by the browser test (meeting-e2e.js:
  // masterLipSync, viewerLipSync). With the WebCodecs upload's capture-time stamps the drawn mouth is 20 ms ahead of the
  // microphone's level on the master, and a 2D viewer sees it 20-40 ms ahead (100 once in 10 loaded runs): near the
  // middle of ITU-R BT.1359's window (mouth at most 125 ms before the voice, 45 ms after). With MediaRecorder (its
  // start taken when start() is called) the master's mouth is 20-60 ms ahead; the 3D avatar in software WebGL adds
  // 20-80 ms of video delay (docs/avatar.md).
  audioLagMs: params.has('audioLag') ? Number(params.get('audioLag')) : 20,
  // ingestToProcessMs: the worker's share of each record's latency (its own figure: store -> record made).
  stats: { chunksSent: 0, bytesSent: 0, persisted: 0, ingestErrors: [], records: 0, frames: 0, lateFrames: 0, latencyMs: [], ingestToProcessMs: [], viewers: 0, signalingErrors: [] },
  samples: [],   // master: rendered frames { t, speechT, jawOpen, opening }; viewer: { t, rms, mouth }
  micLevels: [], // master: { t, rms } of the microphone as spoken (not delayed)
  peers: new Map(),
  // What the person is shown, for the page and its tests: the badge's state, the notice's kind, the viewer count
  // (server's, or the connected peers in AWS mode), the level meter (0..1), mute, the microphone in use.
  connection: 'idle', problem: null, viewerCount: null, maxViewers: null, micLevel: 0, muted: false, micDeviceId: null,
  reconnects: { signaling: 0, ingest: 0, peer: 0 },
  ended: false,
};
window.kvsMeeting = state;

// Appends to one of the state's histories, keeping the last MAX_HISTORY entries.
export const push = (list, item) => { list.push(item); if (list.length > MAX_HISTORY) list.splice(0, list.length - MAX_HISTORY); };
export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
