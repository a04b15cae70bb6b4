// AWS mode: the master of the ingestion channel. Every offer there comes from the KVS storage session; it gets the
// undelayed microphone and the avatar canvas with H.264 first (WebRTC ingestion takes Opus + H.264 only). The storage
// session offers after the peer service calls JoinStorageSession, which needs this socket open first; when no offer
// follows within 10 s the call is made again (each call sends one offer), at most 6 times.
import { joinStorageSession } from './api.js';
import { signalingAt } from './signaling.js';
import { state } from './state.js';

export async function startAwsIngestion(m, conn, ingestStream) {
  const ingest = state.ingest = { offers: 0, joins: 0, joinErrors: [], connectionState: 'new', iceServers: conn.iceServers.length };
  let pc = null;
  let chain = Promise.resolve();
  const sig = signalingAt(conn.url, (type, payload, senderId) => {
    if (type === 'SDP_OFFER') {
      ingest.offers++;
      ingest.senderClientId = senderId || null;
      if (pc) pc.close();
      const current = pc = state.ingestPc = new RTCPeerConnection({ iceServers: conn.iceServers });
      for (const track of ingestStream.getTracks()) current.addTrack(track, ingestStream);
      current.onicecandidate = e => { if (e.candidate) sig.send('ICE_CANDIDATE', e.candidate.toJSON(), senderId); };
      current.onconnectionstatechange = () => { ingest.connectionState = current.connectionState; };
      chain = chain.then(async () => {
        await current.setRemoteDescription(payload);
        preferH264(current, ingest);
        await current.setLocalDescription(await current.createAnswer());
        sig.send('SDP_ANSWER', current.localDescription.toJSON(), senderId);
        ingest.answerCodecs = answerCodecs(current.localDescription.sdp);
        await sendH264(current, ingest);
      });
    } else if (type === 'ICE_CANDIDATE' && pc) {
      const current = pc;
      chain = chain.then(() => current.addIceCandidate(payload));
    }
    chain = chain.catch(e => ingest.joinErrors.push('negotiation: ' + e));
  });
  await sig.opened;
  const join = async () => {
    ingest.joins++;
    const r = await joinStorageSession(m);
    if (!r.ok) ingest.joinErrors.push(r.status + ' ' + await r.text());
  };
  await join();
  const retry = setInterval(() => {
    if (ingest.offers > 0 || ingest.joins >= 6) { clearInterval(retry); return; }
    join().catch(e => ingest.joinErrors.push(String(e)));
  }, 10000);
}

// Leaves H.264 (packetization-mode=1 first) as the only video codec of the answer, the one ingestion takes; rtx, red
// and ulpfec stay (they carry no picture of their own). Chromium 156 still encoded VP8 to an offer listing VP8 first
// (codec preferences govern receiving), hence sendH264 below.
function preferH264(pc, ingest) {
  const caps = RTCRtpReceiver.getCapabilities('video');
  const h264 = caps ? caps.codecs.filter(c => c.mimeType.toLowerCase() === 'video/h264') : [];
  ingest.h264Available = h264.length > 0;
  if (h264.length === 0) return;
  h264.sort((a, b) => Number(/packetization-mode=1/.test(b.sdpFmtpLine || '')) - Number(/packetization-mode=1/.test(a.sdpFmtpLine || '')));
  const rest = caps.codecs.filter(c => /^video\/(rtx|red|ulpfec)$/i.test(c.mimeType));
  for (const t of pc.getTransceivers()) {
    if (t.receiver.track && t.receiver.track.kind === 'video') {
      try { t.setCodecPreferences([...h264, ...rest]); } catch (e) { ingest.joinErrors.push('setCodecPreferences: ' + e); }
    }
  }
}

// Chromium sends in the offer's codec order whatever the answer prefers (codec preferences govern receiving), so the
// video sender is told to encode H.264 among the negotiated codecs (RTCRtpEncodingParameters.codec).
async function sendH264(pc, ingest) {
  for (const sender of pc.getSenders()) {
    if (!sender.track || sender.track.kind !== 'video') continue;
    const params = sender.getParameters();
    const h264 = (params.codecs || []).filter(c => c.mimeType.toLowerCase() === 'video/h264')
      .sort((a, b) => Number(/packetization-mode=1/.test(b.sdpFmtpLine || '')) - Number(/packetization-mode=1/.test(a.sdpFmtpLine || '')));
    if (h264.length === 0) { ingest.joinErrors.push('the storage session offered no H.264'); continue; }
    for (const encoding of params.encodings) encoding.codec = h264[0];
    try { await sender.setParameters(params); ingest.sendCodec = h264[0].mimeType + ' ' + (h264[0].sdpFmtpLine || ''); } catch (e) { ingest.joinErrors.push('setParameters: ' + e); }
  }
}

// The codec each m-line of an SDP will use: the first payload type of its m= line, by its rtpmap.
function answerCodecs(sdp) {
  const out = {};
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    const kind = section.split(' ')[0];
    const pt = section.split('\n')[0].trim().split(' ')[3];
    const rtpmap = new RegExp('a=rtpmap:' + pt + ' ([^/\\r\\n]+)').exec(section);
    out[kind] = rtpmap ? rtpmap[1] : null;
  }
  return out;
}
