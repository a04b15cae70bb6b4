// Browser test of the meeting page in AWS mode, in Debian's headless Chromium (playwright-core), against STAND-INS:
// AWS cannot be reached here, so the page's peer service talks to a loopback stand-in of the KVS control plane whose
// signaling is this project's own KVS-compatible server, and a second Chromium page plays the KVS storage session.
// The master creates a meeting (fake microphone: an espeak-ng WAV) and a viewer joins with the link. When the master
// page has asked for JoinStorageSession, the stand-in hands out a presigned viewer URL on the ingestion channel
// (client id without our viewers' prefix, as the storage session's is not ours); the storage-session page connects
// with it, offers recvonly audio + video as KVS's storage session does, and checks what WebRTC ingestion needs:
// H.264 video and Opus audio negotiated, audio with energy and decoded video frames received.
// Usage: node meeting-aws-e2e.js <page url> <stand-in url> <speech.wav> <out dir>
// Prints one JSON line `RESULT {...}` and exits 0 when every check passed, 1 otherwise.
'use strict';
const path = require('node:path');
const { createMeeting, log, runBrowserTest, waitFor } = require('./browser');

const [url, standIn, wav, outDir] = process.argv.slice(2);
if (!url || !standIn || !wav || !outDir) {
  console.error('usage: node meeting-aws-e2e.js <page url> <stand-in url> <speech.wav> <out dir>');
  process.exit(2);
}


// The storage session's side, run in its own page: connect as a viewer of the ingestion channel, offer to receive
// audio and video, and measure what arrives for a few seconds.
async function storageSession({ signedUrl, seconds }) {
  const encode = o => btoa(JSON.stringify(o));
  const decode = t => JSON.parse(atob(t));
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  const ws = new WebSocket(signedUrl);
  const errors = [];
  // Chromium decodes (and so measures) received audio only while something plays it out.
  pc.ontrack = e => {
    if (e.track.kind !== 'audio') return;
    const sink = document.createElement('audio');
    sink.srcObject = new MediaStream([e.track]);
    sink.play().catch(err => errors.push('play: ' + err));
  };
  pc.onicecandidate = e => { if (e.candidate && ws.readyState === 1) ws.send(JSON.stringify({ action: 'ICE_CANDIDATE', messagePayload: encode(e.candidate.toJSON()) })); };
  ws.onmessage = async e => {
    const msg = JSON.parse(e.data);
    try {
      if (msg.messageType === 'SDP_ANSWER') await pc.setRemoteDescription(decode(msg.messagePayload));
      else if (msg.messageType === 'ICE_CANDIDATE') await pc.addIceCandidate(decode(msg.messagePayload));
      else errors.push(msg.messageType);
    } catch (err) { errors.push(String(err)); }
  };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onclose = ev => reject(new Error('storage-session socket closed ' + ev.code)); });
  await pc.setLocalDescription(await pc.createOffer());
  ws.send(JSON.stringify({ action: 'SDP_OFFER', messagePayload: encode(pc.localDescription.toJSON()) }));
  const deadline = Date.now() + 20000;
  while (pc.connectionState !== 'connected' && Date.now() < deadline) await new Promise(r => setTimeout(r, 100));
  if (pc.connectionState !== 'connected') return { connectionState: pc.connectionState, errors };
  // Audio energy as received, from the receiver's own statistics (audioLevel 0..1 of the decoded audio).
  let maxRms = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    (await pc.getStats()).forEach(s => { if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.audioLevel > maxRms) maxRms = s.audioLevel; });
    await new Promise(r => setTimeout(r, 100));
  }
  const stats = await pc.getStats();
  const codecs = {};
  const inbound = {};
  stats.forEach(s => { if (s.type === 'codec') codecs[s.id] = { mimeType: s.mimeType, sdpFmtpLine: s.sdpFmtpLine }; });
  stats.forEach(s => {
    if (s.type === 'inbound-rtp') inbound[s.kind] = { packets: s.packetsReceived, totalAudioEnergy: s.totalAudioEnergy, frames: s.framesDecoded, width: s.frameWidth, height: s.frameHeight, codec: codecs[s.codecId] };
  });
  return { connectionState: pc.connectionState, maxAudioLevel: maxRms, inbound, errors };
}

runBrowserTest({ outDir, wav, profile: 'meeting-aws-e2e-' }, async (context, failures, result) => {
  const { master, join } = await createMeeting(context, url, failures, '?join=', 20000);

  await waitFor(master, () => window.kvsMeeting.ingest && window.kvsMeeting.ingest.joins > 0, 'the JoinStorageSession request', 20000);
  let signed = null;
  for (let i = 0; i < 100 && !signed; i++) {
    const r = await fetch(`${standIn}/standin/storage-session-url`);
    if (r.ok) signed = await r.text(); else await new Promise(res => setTimeout(res, 100));
  }
  if (!signed) throw new Error('the stand-in never saw a JoinStorageSession: ' + JSON.stringify(await master.evaluate(() => window.kvsMeeting.ingest)));
  log('JoinStorageSession reached the stand-in; the storage-session page connects');

  const storage = await context.newPage();
  storage.on('pageerror', e => failures.push('storage-session page error: ' + e.message));
  await storage.goto(url);
  const viewer = await context.newPage();
  viewer.on('pageerror', e => failures.push('viewer page error: ' + e.message));
  await viewer.goto(join);
  await viewer.click('#join');
  result.storageSession = await storage.evaluate(storageSession, { signedUrl: signed, seconds: 5 }).catch(e => ({ error: String(e) }));
  await waitFor(viewer, () => window.kvsMeeting?.pc?.connectionState === 'connected', 'the viewer peer connection', 20000);
  result.viewer = await viewer.evaluate(async () => {
    const stats = await window.kvsMeeting.pc.getStats();
    const inbound = {};
    stats.forEach(s => { if (s.type === 'inbound-rtp') inbound[s.kind] = { packets: s.packetsReceived, frames: s.framesDecoded }; });
    return { clientId: window.kvsMeeting.clientId, inbound };
  });
  result.masterIngest = await master.evaluate(() => window.kvsMeeting.ingest);
  result.masterSent = await master.evaluate(async () => {
    const stats = await window.kvsMeeting.ingestPc.getStats();
    const codecs = {}, outbound = {};
    stats.forEach(s => { if (s.type === 'codec') codecs[s.id] = s.mimeType; });
    stats.forEach(s => { if (s.type === 'outbound-rtp') outbound[s.kind] = { codec: codecs[s.codecId], packets: s.packetsSent, encoder: s.encoderImplementation }; });
    return { outbound, answer: window.kvsMeeting.ingestPc.localDescription.sdp.split('\r\n').filter(l => /^m=|^a=rtpmap|^a=(send|recv)/.test(l)) };
  });
  await master.screenshot({ path: path.join(outDir, 'meeting-aws-master.png') });
  result.screenshots = [path.join(outDir, 'meeting-aws-master.png')];

  const s = result.storageSession;
  if (s.error) failures.push('storage session: ' + s.error);
  else {
    if (s.connectionState !== 'connected') failures.push('storage session did not connect: ' + JSON.stringify(s));
    const video = s.inbound?.video, audio = s.inbound?.audio;
    if (!video || !/h264/i.test(video.codec?.mimeType ?? '')) failures.push('video codec is not H.264: ' + JSON.stringify(video));
    if (!audio || !/opus/i.test(audio.codec?.mimeType ?? '')) failures.push('audio codec is not Opus: ' + JSON.stringify(audio));
    if (!(video?.frames > 10)) failures.push('storage session decoded no video frames: ' + JSON.stringify(video));
    if (!(audio?.packets > 50)) failures.push('storage session received no audio packets: ' + JSON.stringify(audio));
    if (!(s.maxAudioLevel > 0.01)) failures.push('storage session audio has no energy (max audioLevel ' + s.maxAudioLevel + ')');
  }
  const ingest = result.masterIngest;
  if (ingest.offers < 1) failures.push('the master saw no storage-session offer');
  if (ingest.joinErrors.length > 0) failures.push('master ingestion errors: ' + ingest.joinErrors.join('; '));
  if (ingest.senderClientId?.startsWith('kvsi-viewer-')) failures.push('the storage-session stand-in used a viewer client id');
  if (!(result.viewer.inbound.audio?.packets > 0 && result.viewer.inbound.video?.packets > 0)) failures.push('the viewer got no audio or video: ' + JSON.stringify(result.viewer));
});
