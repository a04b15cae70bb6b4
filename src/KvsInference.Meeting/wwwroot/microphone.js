// The microphone. The device's track feeds one WebAudio bus, from which the level meter and the delayed voice for the
// viewers take it, so that another device is switched in without restarting either. The upload (and KVS ingestion)
// records the device's own track, as captured: WebAudio would put its render buffering between capture and recording,
// which shifts the speech time the records are placed at. A switch therefore starts a new upload at once, or
// replaces the track in the ingestion connection.
import { meterLevel, rms } from './level.js';
import { push, state } from './state.js';
import { $, clearProblem, microphoneProblem, PageProblem, showProblem } from './ui.js';

export const microphone = { ctx: null, bus: null, device: null, source: null };

// Raw microphone: the model wants the voice as spoken, not gated by echo cancellation or noise suppression.
export async function openMicrophone(deviceId) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new PageProblem('mic-insecure', 'This browser gives the microphone only to secure pages: open the meeting at https:// or at http://localhost.');
  }
  const audio = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
  if (deviceId) audio.deviceId = { exact: deviceId };
  try {
    return await navigator.mediaDevices.getUserMedia({ audio });
  } catch (e) {
    throw microphoneProblem(e);
  }
}

// Puts a device's stream on the bus in place of the previous one, muted as the page is.
export function useMicrophone(device) {
  const oldSource = microphone.source, oldDevice = microphone.device;
  const oldTrack = oldDevice && oldDevice.getAudioTracks()[0];
  const track = device.getAudioTracks()[0];
  track.enabled = !state.muted;
  const source = microphone.ctx.createMediaStreamSource(device);
  source.connect(microphone.bus);
  if (oldSource) oldSource.disconnect();
  if (oldDevice) oldDevice.getTracks().forEach(t => t.stop());
  microphone.device = device;
  microphone.source = source;
  if (oldTrack) {
    if (state.awsIngest) swapTrack(state.awsIngest, oldTrack, track);
    else if (state.ingestSocket && state.ingestSocket.readyState <= WebSocket.OPEN) { state.ingestSwitching = true; state.ingestSocket.close(1000, 'microphone changed'); }
  }
  state.micDeviceId = track.getSettings().deviceId || null;
  state.micLabel = track.label;
  track.onended = () => {
    if (!state.ended && microphone.device === device) {
      showProblem('mic-lost', 'Your microphone stopped (was it unplugged?). Choose another one above, or press Try again.', 'Try again', () => switchMicrophone(null));
    }
  };
}

// AWS mode: the ingestion stream and its live connection send the new device's track.
function swapTrack(ingestStream, oldTrack, track) {
  ingestStream.removeTrack(oldTrack);
  ingestStream.addTrack(track);
  const sender = state.ingestPc && state.ingestPc.getSenders().find(x => x.track && x.track.kind === 'audio');
  if (sender) sender.replaceTrack(track).catch(e => state.ingest && state.ingest.joinErrors.push('replaceTrack: ' + e));
}

export async function switchMicrophone(deviceId) {
  try {
    useMicrophone(await openMicrophone(deviceId));
    if (state.problem && state.problem.startsWith('mic-')) clearProblem();
    $('status').textContent = 'Microphone: ' + (state.micLabel || 'on');
  } catch (e) {
    showProblem(e.kind || 'mic-failed', e.message, 'Try again', () => switchMicrophone(deviceId));
  }
  await listMicrophones();
}

// The choice of microphones (names are only given once the page may use one).
export async function listMicrophones() {
  const select = $('micSelect');
  const inputs = (await navigator.mediaDevices.enumerateDevices()).filter(d => d.kind === 'audioinput' && d.deviceId);
  select.replaceChildren(...inputs.map((d, i) => new Option(d.label || `Microphone ${i + 1}`, d.deviceId)));
  if (inputs.some(d => d.deviceId === state.micDeviceId)) select.value = state.micDeviceId;
  state.microphones = inputs.map(d => ({ id: d.deviceId, label: d.label }));
}

export function setMuted(muted) {
  state.muted = muted;
  if (microphone.device) microphone.device.getAudioTracks().forEach(t => { t.enabled = !muted; });
  $('mute').setAttribute('aria-pressed', String(muted));
  $('status').textContent = muted ? 'You are muted: viewers hear nothing and the avatar rests.' : 'Your microphone is on.';
}

// The master's audio graph from the meeting's start: the context and bus, the first device on it, the list of
// devices (kept current), and the level meter (state.micLevel, 0..1; state.micLevels, the RMS as spoken).
export async function startMicrophone(device) {
  const ctx = microphone.ctx = new AudioContext();
  await ctx.resume();
  microphone.bus = ctx.createGain();
  useMicrophone(device);
  listMicrophones();
  navigator.mediaDevices.addEventListener('devicechange', () => listMicrophones());
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  microphone.bus.connect(analyser);
  const levelBuffer = new Float32Array(analyser.fftSize);
  setInterval(() => {
    const level = rms(analyser, levelBuffer);
    state.micLevel = meterLevel(level);
    push(state.micLevels, { t: Date.now(), rms: level });
  }, 20);
  setInterval(() => { $('level').value = state.micLevel; }, 100);
  return ctx;
}
