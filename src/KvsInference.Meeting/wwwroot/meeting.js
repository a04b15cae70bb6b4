// The meeting page. Master: starts a meeting, streams its microphone (MediaRecorder WebM/Opus) to the KVS stream the
// workers read, draws the avatar from the meeting's inference records, and sends the avatar video plus its own audio,
// delayed by the avatar's latency so that mouth and voice stay in sync, to the viewers over WebRTC. Viewer: joins with
// the short link (/?join=<code>; the server maps the code to the viewer token), receives audio and video. Signaling is
// the KVS WebRTC signaling protocol (base64 JSON payloads).
// AWS mode (the server's MeetingOptions.Mode; the join answer says mode "aws"): the page connects to real KVS signaling
// channels through URLs the peer service presigns (the browser never holds AWS credentials), and the master's audio
// reaches the stream through KVS WebRTC ingestion instead of the WebM upload: on a second, ingestion channel the master
// answers the KVS storage session's offer with its undelayed microphone (Opus) and the avatar canvas (H.264), which
// ingestion requires. Viewers still meet the master peer-to-peer on the meeting channel (KVS makes no direct
// master-viewer connections on a channel that stores media).
// What a person sees: a connection badge (connecting, connected, reconnecting, full, ended), one notice at a time for a
// problem they can act on (with its button), and the developer's figures under "Diagnostics". Lost connections come
// back by themselves: signaling, the upload and the viewer's peer connection are reopened with back-off, and the
// meeting's status (GET /meeting/api/meetings/{id}) tells an ended or full meeting from a lost connection.
// This module only picks the role and wires its controls; docs/meeting-page.md lists what each module does.
import { drawRest } from './avatar.js';
import { endMeeting, startMaster } from './master.js';
import { setMuted, switchMicrophone } from './microphone.js';
import { state } from './state.js';
import { $, copyLink, failWith } from './ui.js';
import { leaveAsViewer, setSoundMuted, startViewer } from './viewer.js';

if (state.role === 'master') {
  $('master').classList.remove('hidden');
  drawRest($('face')); // the avatar as viewers will see it, before the start
  const start = () => startMaster().catch(failWith(start));
  $('create').onclick = start;
  $('copy').onclick = copyLink;
  $('mute').onclick = () => setMuted(!state.muted);
  $('micSelect').onchange = e => switchMicrophone(e.target.value);
  $('leave').onclick = endMeeting;
} else {
  $('viewer').classList.remove('hidden');
  $('title').textContent = 'Avatar meeting: viewer';
  const join = () => startViewer().catch(failWith(join));
  $('join').onclick = join;
  $('sound').onclick = () => setSoundMuted(!$('remote').muted);
  $('leaveViewer').onclick = leaveAsViewer;
}
