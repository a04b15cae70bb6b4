// The viewer's page (/?join=<code>): joins with the short link's code, offers to receive the master's audio and
// video, plays them, keeps its receivers in sync (receive-sync.js), measures what it gets (viewer-measure.js), and
// shows whether it is connected, reconnecting, full, left or ended.
import { awsConnection, checkMeeting, joinMeeting } from './api.js';
import { diagnostics } from './diagnostics.js';
import { alignReceivers } from './receive-sync.js';
import { keepSignaling } from './signaling.js';
import { params, state, wsBase } from './state.js';
import { pollStatus } from './status.js';
import { $, clearProblem, connectionLost, PageProblem, setConnection, showProblem, viewersText } from './ui.js';
import { measureViewer } from './viewer-measure.js';

export async function startViewer() {
  clearProblem();
  $('join').disabled = true;
  setConnection('connecting', 'Opening the meeting…');
  const r = await joinMeeting(params.get('join'));
  if (r && r.status === 410) { viewerEnded(); return; }
  if (!r || !r.ok) {
    $('join').disabled = false;
    setConnection('failed', '');
    if (!r) throw new PageProblem('server-unreachable', 'The meeting server cannot be reached. Check your connection, then press Try again.');
    if (r.status === 404) throw new PageProblem('bad-link', 'This join link does not lead to a meeting. Ask for the link again, or check that it was copied whole (it ends in ?join= and 12 letters and digits).');
    throw new PageProblem('join-failed', `Joining failed (${r.status}). Press Try again.`);
  }
  const grant = state.meeting = await r.json();
  const aws = grant.mode === 'aws';
  $('join').parentElement.classList.add('hidden');
  $('viewerControls').classList.remove('hidden');
  let conn = null;
  state.signaling = keepSignaling(async () => {
    // AWS mode: the peer service presigns the viewer URL and picks the client id (prefix kvsi-viewer-).
    if (aws) {
      conn = (await awsConnection(grant.meetingId, grant.viewerToken)).meeting;
      state.clientId = conn.clientId;
      return conn.url;
    }
    state.clientId = 'viewer-' + Math.random().toString(36).slice(2, 10);
    return `${wsBase}${grant.signalingPath}?X-Amz-ChannelARN=${encodeURIComponent(grant.channelArn)}&X-Amz-ClientId=${state.clientId}` +
      `&X-KvsInference-Token=${encodeURIComponent(grant.viewerToken)}`;
  }, async (type, payload) => {
    const pc = state.pc;
    if (!pc) return;
    if (type === 'SDP_ANSWER') await pc.setRemoteDescription(payload).catch(e => state.stats.signalingErrors.push({ error: 'answer: ' + e }));
    else if (type === 'ICE_CANDIDATE') await pc.addIceCandidate(payload).catch(e => state.stats.signalingErrors.push({ error: String(e) }));
  }, {
    // A peer connection that still carries media survives a signaling reconnect; any other is offered anew.
    opened: () => { if (!state.pc || state.pc.connectionState !== 'connected') offer(conn ? conn.iceServers : []).catch(offerFailed); updateViewerConnection(); },
    lost: viewerLost,
  });
  pollStatus(grant.meetingId, grant.viewerToken, () => { $('viewerCount').textContent = viewersText(state.viewerCount, null); }, viewerEnded);
  setInterval(diagnostics, 500);
}

async function offer(iceServers) {
  if (state.pc) { state.pc.close(); state.reconnects.peer++; }
  const pc = state.pc = new RTCPeerConnection({ iceServers });
  // Video first: the first m-line carries the bundled transport (BUNDLE's tag), and a renewed audio receiver
  // (renewAudio) stops its m-line, which must not be that one (media then stalled for seconds while it moved).
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const remote = $('remote');
  let measure = null;
  pc.ontrack = e => {
    if (pc !== state.pc) return;
    // A renewed audio receiver (renewAudio) joins the stream the element already plays: reassigning it would reload
    // the element and blank the video.
    if (remote.srcObject !== e.streams[0]) {
      remote.srcObject = e.streams[0];
      remote.play().catch(err => state.stats.signalingErrors.push({ error: 'play: ' + err }));
    }
    if (e.track.kind !== 'audio') return;
    if (measure) measure(e.track);
    else measure = measureViewer(e.track, remote, pc);
  };
  pc.onicecandidate = e => { if (e.candidate) state.signaling.send('ICE_CANDIDATE', e.candidate.toJSON()); };
  let disconnectedTimer = null;
  pc.onconnectionstatechange = () => {
    if (pc !== state.pc || state.ended) return;
    clearTimeout(disconnectedTimer);
    // 'failed' is final; 'disconnected' often heals within seconds, so it is given 5 s before a new offer.
    if (pc.connectionState === 'failed') renegotiate(pc);
    else if (pc.connectionState === 'disconnected') disconnectedTimer = setTimeout(() => renegotiate(pc), 5000);
    updateViewerConnection();
  };
  await pc.setLocalDescription(await pc.createOffer());
  state.signaling.send('SDP_OFFER', pc.localDescription.toJSON());
  alignReceivers(pc);
}

// A new offer for a peer connection that failed, once signaling is open (else its reopening makes one).
function renegotiate(pc) {
  if (pc !== state.pc || state.ended || pc.connectionState === 'connected') return;
  if (state.signaling.open) offer(pc.getConfiguration().iceServers || []).catch(offerFailed);
}

const offerFailed = e => state.stats.signalingErrors.push({ error: 'offer: ' + e });

function updateViewerConnection() {
  if (state.ended || state.connection === 'full' || state.connection === 'left') return;
  const media = state.pc && state.pc.connectionState === 'connected';
  if (state.signaling.open && media) {
    if (state.problem === 'connection-lost') clearProblem();
    setConnection('connected', "Connected: you see the speaker's avatar and hear the speaker.");
  } else if (state.connection === 'connected') {
    connectionLost();
  }
}

async function viewerLost(wasOpen) {
  const grant = state.meeting;
  const check = await checkMeeting(grant.meetingId, grant.viewerToken);
  if (check.verdict === 'ended') { viewerEnded(); return false; }
  // Refused before it opened while every viewer seat is taken: the server's 11th-viewer refusal.
  if (!wasOpen && check.verdict === 'ok' && check.status.viewers >= check.status.maxViewers) {
    setConnection('full', 'The meeting is full.');
    showProblem('full', `This meeting is full: it already has ${check.status.maxViewers} viewers, the most it takes. Press Try again when someone has left.`,
      'Try again', () => { setConnection('connecting', 'Joining…'); state.signaling.retryNow(); });
    return false;
  }
  connectionLost();
  return true;
}

function viewerTeardown() {
  state.ended = true;
  if (state.signaling) state.signaling.close();
  if (state.pc) state.pc.close();
  $('remote').srcObject = null;
  $('viewerControls').classList.add('hidden');
}

function viewerEnded() {
  if (state.ended) return;
  viewerTeardown();
  $('join').parentElement.classList.add('hidden');
  setConnection('ended', 'The meeting has ended.');
  showProblem('ended', 'This meeting has ended. Thank you for joining.', null, null, true);
}

export function leaveAsViewer() {
  viewerTeardown();
  setConnection('left', 'You left the meeting.');
  showProblem('left', 'You left the meeting.', 'Join again', () => location.reload(), true);
}

export function setSoundMuted(muted) {
  $('remote').muted = muted;
  $('sound').setAttribute('aria-pressed', String(muted));
  $('status').textContent = muted ? 'Sound is off on this page.' : 'Sound is on.';
}
