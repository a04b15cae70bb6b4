// The master's peer connections, one per viewer: each viewer's offer is answered with the delayed voice and the avatar
// video (outStream); a viewer that renews its audio receiver renegotiates on the same connection.
import { state } from './state.js';
import { $, viewersText } from './ui.js';

// Handles one signaling message of a viewer (`sig` is the meeting channel).
export function masterMessage(sig, outStream, type, payload, viewerId, iceServers) {
  let peer = state.peers.get(viewerId);
  if (type === 'SDP_OFFER' && peer && sameIceSession(peer.pc, payload)) {
    // The viewer renewed its audio receiver (renewAudio) on this connection: the new audio m-line gets the voice.
    const pc = peer.pc;
    peer.chain = peer.chain.then(async () => {
      await pc.setRemoteDescription(payload);
      const voice = outStream.getAudioTracks()[0];
      for (const t of pc.getTransceivers()) {
        if (t.stopped || t.sender.track || t.receiver.track.kind !== 'audio' || t.currentDirection !== null) continue;
        await t.sender.replaceTrack(voice);
        t.sender.setStreams(outStream); // the same stream as the video: the viewer's element keeps playing it
        t.direction = 'sendonly';
      }
      await pc.setLocalDescription(await pc.createAnswer());
      sig.send('SDP_ANSWER', pc.localDescription.toJSON(), viewerId);
    });
  } else if (type === 'SDP_OFFER') {
    if (peer) peer.pc.close();
    const pc = new RTCPeerConnection({ iceServers });
    // Every step of one viewer runs in order: candidates wait for the remote description.
    peer = { pc, chain: Promise.resolve() };
    state.peers.set(viewerId, peer);
    state.stats.viewers = state.peers.size;
    for (const track of outStream.getTracks()) pc.addTrack(track, outStream);
    pc.onicecandidate = e => { if (e.candidate) sig.send('ICE_CANDIDATE', e.candidate.toJSON(), viewerId); };
    // A viewer that went away (or reconnected under a new id) leaves a failed or closed connection: let it go.
    pc.onconnectionstatechange = () => {
      if ((pc.connectionState === 'failed' || pc.connectionState === 'closed') && state.peers.get(viewerId)?.pc === pc) {
        pc.close();
        state.peers.delete(viewerId);
        state.stats.viewers = state.peers.size;
      }
      if (!state.ended) showMasterViewers();
    };
    peer.chain = peer.chain.then(async () => {
      await pc.setRemoteDescription(payload);
      await pc.setLocalDescription(await pc.createAnswer());
      sig.send('SDP_ANSWER', pc.localDescription.toJSON(), viewerId);
    });
  } else if (type === 'ICE_CANDIDATE' && peer) {
    peer.chain = peer.chain.then(() => peer.pc.addIceCandidate(payload));
  }
  if (peer) peer.chain = peer.chain.catch(e => state.stats.signalingErrors.push({ viewerId, error: String(e) }));
}

// An offer with the ICE credentials of the connection's current remote description renegotiates that connection; a new
// connection (a viewer that reconnected) comes with new ones.
function sameIceSession(pc, offer) {
  const ufrag = sdp => (/a=ice-ufrag:(\S+)/.exec(sdp || '') || [])[1];
  return pc.connectionState === 'connected' && !!pc.remoteDescription && ufrag(offer.sdp) === ufrag(pc.remoteDescription.sdp);
}

// The viewer count beside the controls; in AWS mode the connected peers (KVS does not tell who is connected).
export function showMasterViewers() {
  if (state.meeting && state.meeting.mode === 'aws') {
    state.viewerCount = [...state.peers.values()].filter(p => p.pc.connectionState === 'connected').length;
  }
  $('viewers').textContent = viewersText(state.viewerCount ?? 0, state.maxViewers);
}
