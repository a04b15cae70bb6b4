// The master's page: starts a meeting, puts its microphone on the audio graph, uploads it (locally) or sends it through
// KVS WebRTC ingestion (AWS), draws the avatar from the records, answers the viewers on signaling, and shows whether
// the meeting is live, lost, or ended.
import { awsConnection, checkMeeting, createMeeting, deleteMeeting, deleteMeetingOnLeave } from './api.js';
import { drawAvatar } from './avatar.js';
import { startAwsIngestion } from './aws-ingestion.js';
import { diagnostics } from './diagnostics.js';
import { masterMessage, showMasterViewers } from './master-peers.js';
import { microphone, openMicrophone, startMicrophone } from './microphone.js';
import { receiveRecords } from './records.js';
import { keepSignaling } from './signaling.js';
import { state, wsBase } from './state.js';
import { pollStatus } from './status.js';
import { $, clearProblem, connectionLost, createProblem, PageProblem, setConnection, showProblem } from './ui.js';
import { keepIngest } from './upload.js';
import { startVoiceLine } from './voice-line.js';

const ENDED_ELSEWHERE = 'The meeting has ended: it was ended elsewhere, or it had no connection for too long.';

export async function startMaster() {
  clearProblem();
  $('create').disabled = true;
  setConnection('connecting', 'Opening your microphone…');
  let device;
  try {
    device = await openMicrophone(null);
  } catch (e) {
    $('create').disabled = false;
    setConnection('idle', '');
    throw e;
  }
  setConnection('connecting', 'Starting the meeting…');
  const video = $('video').checked;
  const created = await createMeeting(video);
  if (!created || !created.ok) {
    device.getTracks().forEach(t => t.stop());
    $('create').disabled = false;
    setConnection('idle', '');
    throw created ? createProblem(created.status, await created.text())
      : new PageProblem('server-unreachable', 'The meeting server cannot be reached. Check that it is running, then press Try again.');
  }
  const m = state.meeting = await created.json();
  const aws = m.mode === 'aws';
  // Leaving the page ends the meeting at once (its slot is free, in AWS mode its KVS channels and stream are deleted);
  // if this request is lost, the meeting ends after its idle timeout.
  addEventListener('pagehide', () => state.ended || deleteMeetingOnLeave(m));
  $('joinLink').value = new URL(m.joinPath, location.href).href;
  $('setup').classList.add('hidden');
  $('invite').classList.remove('hidden');
  $('controls').classList.remove('hidden');

  const ctx = await startMicrophone(device);
  const { out, setDelay } = startVoiceLine(ctx, microphone.bus);

  // Locally the raw microphone goes to the media store as WebM; on AWS, KVS WebRTC ingestion takes it (startAwsIngestion).
  if (!aws) keepIngest(m, { changed: updateMasterConnection, ended: () => meetingEnded(ENDED_ELSEWHERE) });
  const frames = [];
  receiveRecords(m, frames, setDelay);
  const canvas = $('face');
  drawAvatar(canvas, frames);

  const outStream = new MediaStream(out.stream.getAudioTracks());
  const canvasTrack = canvas.captureStream(30).getVideoTracks()[0];
  if (video) outStream.addTrack(canvasTrack);
  const hooks = { opened: updateMasterConnection, lost: () => masterLost() };
  if (aws) {
    // A presigned URL lasts 299 s: every reconnect asks for a fresh one.
    let conn = await awsConnection(m.id, m.masterToken), fresh = true;
    const sig = state.signaling = keepSignaling(async () => {
      if (!fresh) conn = await awsConnection(m.id, m.masterToken);
      fresh = false;
      return conn.meeting.url;
    }, (type, payload, viewerId) => masterMessage(sig, outStream, type, payload, viewerId, conn.meeting.iceServers), hooks);
    state.awsIngest = new MediaStream([microphone.device.getAudioTracks()[0], canvasTrack]);
    await startAwsIngestion(m, conn.ingest, state.awsIngest);
  } else {
    const url = `${wsBase}${m.signalingPath}?X-Amz-ChannelARN=${encodeURIComponent(m.channelArn)}&X-KvsInference-Token=${encodeURIComponent(m.masterToken)}`;
    const sig = state.signaling = keepSignaling(() => url, (type, payload, viewerId) => masterMessage(sig, outStream, type, payload, viewerId, []), hooks);
  }
  pollStatus(m.id, m.masterToken, showMasterViewers, () => meetingEnded(ENDED_ELSEWHERE));
  showMasterViewers();
  diagnostics();
  setInterval(diagnostics, 500);
}

// The master is connected when its signaling is open and, locally, its upload too.
function updateMasterConnection() {
  if (state.ended) return;
  const up = state.signaling && state.signaling.open && (state.meeting.mode === 'aws' || state.ingestOpen);
  if (up) {
    if (state.problem === 'connection-lost') clearProblem();
    setConnection('connected', 'You are live. Share the invite link; viewers see the avatar and hear you.');
  } else if (state.connection === 'connected') {
    connectionLost();
  }
}

// Signaling was lost: ended (stop trying) or a lost connection (try again).
async function masterLost() {
  const m = state.meeting;
  if ((await checkMeeting(m.id, m.masterToken)).verdict === 'ended') {
    meetingEnded(ENDED_ELSEWHERE);
    return false;
  }
  connectionLost();
  return true;
}

function teardownMaster() {
  state.ended = true;
  if (state.signaling) state.signaling.close();
  if (state.ingestSocket) state.ingestSocket.close(1000);
  if (state.encoder) state.encoder.stop();
  for (const peer of state.peers.values()) peer.pc.close();
  state.peers.clear();
  if (microphone.device) microphone.device.getTracks().forEach(t => t.stop());
  $('controls').classList.add('hidden');
  $('invite').classList.add('hidden');
}

function meetingEnded(text) {
  if (state.ended) return;
  teardownMaster();
  setConnection('ended', text);
  showProblem('ended', text, 'Start a new meeting', () => location.assign('/'));
}

// "End meeting": the server ends it for everyone (DELETE with the master token), then this page lets go.
export async function endMeeting() {
  const m = state.meeting;
  $('leave').disabled = true;
  if (!(await deleteMeeting(m))) {
    $('leave').disabled = false;
    showProblem('end-failed', 'The meeting could not be ended: the server did not answer. Press End meeting again.', 'End meeting', endMeeting);
    return;
  }
  teardownMaster();
  const text = 'You ended the meeting. Viewers were told that it has ended.';
  setConnection('ended', text);
  showProblem('ended', text, 'Start a new meeting', () => location.assign('/'), true);
}
