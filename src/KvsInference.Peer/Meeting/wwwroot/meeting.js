// The meeting page. Master: creates a meeting, streams its microphone (MediaRecorder WebM/Opus) to the KVS stream the
// workers read, draws the avatar from the meeting's inference records, and sends the avatar video plus its own audio,
// delayed by the avatar's latency so that mouth and voice stay in sync, to the viewers over WebRTC. Viewer: joins with
// the link, receives audio and video. Signaling is the KVS WebRTC signaling protocol (base64 JSON payloads).
// AWS mode (the server's MeetingOptions.Mode; the create answer and the join link say mode=aws): the page connects to
// real KVS signaling channels through URLs the peer service presigns (the browser never holds AWS credentials), and the
// master's audio reaches the stream through KVS WebRTC ingestion instead of the WebM upload: on a second, ingestion
// channel the master answers the KVS storage session's offer with its undelayed microphone (Opus) and the avatar canvas
// (H.264), which ingestion requires. Viewers still meet the master peer-to-peer on the meeting channel (KVS makes no
// direct master-viewer connections on a channel that stores media).
'use strict';
(function () {
  const params = new URLSearchParams(location.search);
  const $ = id => document.getElementById(id);
  const wsBase = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
  const FRAME_MS = 33;
  const MAX_HISTORY = 6000;
  const state = {
    role: params.get('role') === 'viewer' ? 'viewer' : 'master',
    meeting: null,
    delayMs: Number(params.get('delay')) || 0, // 0: automatic (the measured avatar latency + a margin)
    autoDelay: !Number(params.get('delay')),
    // The voice is held back this much more than the avatar's delay: on this page the drawn mouth lags the voice by
    // 60-80 ms in most sessions, 40-100 ms in all (the model's analysis window and smoothing; constant within a
    // session), measured by the browser test. Viewers cancel their own buffering (alignReceivers), so this is what is
    // left: 80 puts a typical viewer at the voice 0-20 ms after the mouth, the side ITU-R BT.1359 tolerates more
    // (125 ms, against 45 ms for the voice ahead).
    audioLagMs: params.has('audioLag') ? Number(params.get('audioLag')) : 80,
    stats: { chunksSent: 0, bytesSent: 0, persisted: 0, ingestErrors: [], records: 0, frames: 0, lateFrames: 0, latencyMs: [], viewers: 0, signalingErrors: [] },
    samples: [],   // master: rendered frames { t, speechT, jawOpen, opening }; viewer: { t, rms, mouth }
    micLevels: [], // master: { t, rms } of the microphone as spoken (not delayed)
    peers: new Map(),
  };
  window.kvsMeeting = state;

  const push = (list, item) => { list.push(item); if (list.length > MAX_HISTORY) list.splice(0, list.length - MAX_HISTORY); };
  const encode = obj => btoa(JSON.stringify(obj));
  const decode = text => JSON.parse(atob(text));
  function status() {
    const s = state.stats;
    $('status').textContent = `${state.role} ${state.meeting ? state.meeting.streamName || '' : ''}\n` +
      `chunks ${s.chunksSent} (${s.bytesSent} B), persisted ${s.persisted}, records ${s.records}, frames ${s.frames} (late ${s.lateFrames})\n` +
      `avatar delay ${Math.round(state.delayMs)} ms, viewers ${s.viewers}`;
  }
  function rms(analyser, buffer) {
    analyser.getFloatTimeDomainData(buffer);
    let sum = 0;
    for (const v of buffer) sum += v * v;
    return Math.sqrt(sum / buffer.length);
  }

  const signaling = (query, onMessage) => signalingAt(`${wsBase}${state.meeting.signalingPath}?${query}`, onMessage);
  function signalingAt(url, onMessage) {
    const ws = new WebSocket(url);
    ws.onmessage = e => {
      const msg = JSON.parse(e.data);
      if (msg.messageType === 'STATUS_RESPONSE' || msg.messageType === 'GO_AWAY') { state.stats.signalingErrors.push(msg); return; }
      onMessage(msg.messageType, msg.messagePayload ? decode(msg.messagePayload) : null, msg.senderClientId);
    };
    ws.onerror = () => state.stats.signalingErrors.push({ messageType: 'SOCKET_ERROR' });
    const opened = new Promise((resolve, reject) => { ws.onopen = resolve; ws.onclose = e => reject(new Error('signaling closed ' + e.code)); });
    const send = (action, payload, recipientClientId) =>
      ws.send(JSON.stringify({ action, messagePayload: encode(payload), recipientClientId, correlationId: String(Date.now()) }));
    return { ws, opened, send };
  }

  // ------------------------------------------------------------------ master
  async function startMaster() {
    const video = $('video').checked;
    const created = await fetch('/meeting/api/meetings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ video }) });
    if (!created.ok) throw new Error('creating the meeting failed: ' + created.status + ' ' + await created.text());
    const m = state.meeting = await created.json();
    const aws = m.mode === 'aws';
    // Leaving the page ends a local meeting at once (its slot is free); otherwise it ends after its idle timeout.
    if (!aws) addEventListener('pagehide', () => fetch(`/meeting/api/meetings/${encodeURIComponent(m.id)}`,
      { method: 'DELETE', keepalive: true, headers: { authorization: 'Bearer ' + m.masterToken } }));
    const join = new URL(m.joinPath, location.href).href;
    $('joinLink').href = join; $('joinLink').textContent = join; $('joinBox').classList.remove('hidden');

    // Raw microphone: the model wants the voice as spoken, not gated by echo cancellation or noise suppression.
    const mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    const ctx = new AudioContext();
    await ctx.resume();
    const source = ctx.createMediaStreamSource(mic);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const levelBuffer = new Float32Array(analyser.fftSize);
    setInterval(() => push(state.micLevels, { t: Date.now(), rms: rms(analyser, levelBuffer) }), 20);
    // What viewers hear: the voice delayed by the avatar's latency, so that it meets the mouth drawn for it.
    const delay = ctx.createDelay(10);
    if (!state.delayMs) state.delayMs = 1000;
    delay.delayTime.value = (state.delayMs + state.audioLagMs) / 1000;
    source.connect(delay);
    const out = ctx.createMediaStreamDestination();
    delay.connect(out);
    const setDelay = ms => { state.delayMs = ms; delay.delayTime.setTargetAtTime((ms + state.audioLagMs) / 1000, ctx.currentTime, 0.05); };

    // Locally the raw microphone goes to the media store as WebM; on AWS, KVS WebRTC ingestion takes it (startAwsIngestion).
    if (!aws) startIngest(m, mic);
    const queue = [];
    receiveRecords(m, queue, setDelay);
    const canvas = $('face');
    const rest = { aa: 0, ih: 0, ou: 0, ee: 0, oh: 0, jawOpen: 0, silence: 1 };
    let current = rest, currentT = 0;
    const started = Date.now();
    setInterval(() => {
      // The 3D avatar (avatar3d.js) when it is loaded, else the 2D face; both draw on this canvas. The 3D avatar takes
      // tens of ms to draw in software WebGL: it draws the moment it will be on the canvas (its lookahead), not now.
      const face = window.KvsAvatar3d && KvsAvatar3d.ready() ? KvsAvatar3d : KvsFace;
      const now = Date.now(), speechT = now - state.delayMs + (face.lookaheadMs ? face.lookaheadMs() : 0);
      while (queue.length > 0 && queue[0].t <= speechT) { const f = queue.shift(); current = f.frame; currentT = f.t; }
      // No frame for this moment (the stream stopped, or nothing yet): rest rather than freeze mid-word.
      const frame = speechT - currentT > 250 ? rest : current;
      const opening = face.drawFace(canvas, frame, (now - started) / 1000);
      push(state.samples, { t: now, speechT, jawOpen: frame.jawOpen, opening });
    }, FRAME_MS);

    const outStream = new MediaStream(out.stream.getAudioTracks());
    const canvasTrack = canvas.captureStream(30).getVideoTracks()[0];
    if (video) outStream.addTrack(canvasTrack);
    let sig;
    if (aws) {
      const conn = await awsConnection(m.id, m.masterToken);
      sig = signalingAt(conn.meeting.url, (type, payload, viewerId) => masterMessage(sig, outStream, type, payload, viewerId, conn.meeting.iceServers));
      await sig.opened;
      await startAwsIngestion(m, conn.ingest, new MediaStream([mic.getAudioTracks()[0], canvasTrack]));
    } else {
      sig = signaling(`X-Amz-ChannelARN=${encodeURIComponent(m.channelArn)}&X-KvsInference-Token=${encodeURIComponent(m.masterToken)}`,
        (type, payload, viewerId) => masterMessage(sig, outStream, type, payload, viewerId, []));
      await sig.opened;
    }
    status();
    setInterval(status, 500);
  }

  function masterMessage(sig, outStream, type, payload, viewerId, iceServers) {
    let peer = state.peers.get(viewerId);
    if (type === 'SDP_OFFER') {
      if (peer) peer.pc.close();
      const pc = new RTCPeerConnection({ iceServers });
      // Every step of one viewer runs in order: candidates wait for the remote description.
      peer = { pc, chain: Promise.resolve() };
      state.peers.set(viewerId, peer);
      state.stats.viewers = state.peers.size;
      for (const track of outStream.getTracks()) pc.addTrack(track, outStream);
      pc.onicecandidate = e => { if (e.candidate) sig.send('ICE_CANDIDATE', e.candidate.toJSON(), viewerId); };
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

  // AWS mode: presigned signaling URLs and ICE servers from the peer service (POST .../connection with the meeting token).
  async function awsConnection(meetingId, token) {
    const r = await fetch(`/meeting/api/meetings/${encodeURIComponent(meetingId)}/connection`, { method: 'POST', headers: { authorization: 'Bearer ' + token } });
    if (!r.ok) throw new Error('getting the signaling connection failed: ' + r.status + ' ' + await r.text());
    return r.json();
  }

  // AWS mode: the master of the ingestion channel. Every offer there comes from the KVS storage session; it gets the
  // undelayed microphone and the avatar canvas with H.264 first (WebRTC ingestion takes Opus + H.264 only). The storage
  // session offers after the peer service calls JoinStorageSession, which needs this socket open first; when no offer
  // follows within 10 s the call is made again (each call sends one offer), at most 6 times.
  async function startAwsIngestion(m, conn, ingestStream) {
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
      const r = await fetch(`/meeting/api/meetings/${encodeURIComponent(m.id)}/storage-session`, { method: 'POST', headers: { authorization: 'Bearer ' + m.masterToken } });
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

  function startIngest(m, mic) {
    const producerStart = Date.now();
    const ws = new WebSocket(`${wsBase}/meeting/ingest?stream=${encodeURIComponent(m.streamName)}&token=${encodeURIComponent(m.masterToken)}&producerStart=${producerStart}`);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = e => {
      const ack = JSON.parse(e.data);
      if (ack.EventType === 'PERSISTED') state.stats.persisted++;
      else if (ack.EventType === 'ERROR') state.stats.ingestErrors.push(ack);
    };
    ws.onopen = () => {
      const recorder = new MediaRecorder(mic, { mimeType: 'audio/webm;codecs=opus', audioBitsPerSecond: 32000 });
      // Cluster timecodes count from the recording's start: its offset from producerStart places every frame on this clock.
      recorder.onstart = () => { state.recordingOffsetMs = Date.now() - producerStart; };
      recorder.ondataavailable = async e => {
        if (e.data.size === 0 || ws.readyState !== WebSocket.OPEN) return;
        const bytes = await e.data.arrayBuffer();
        ws.send(bytes);
        state.stats.chunksSent++;
        state.stats.bytesSent += bytes.byteLength;
      };
      recorder.start(250);
      state.recorder = recorder;
    };
    state.producerStart = producerStart;
  }

  function receiveRecords(m, queue, setDelay) {
    const events = new EventSource(`/meeting/records?stream=${encodeURIComponent(m.streamName)}&token=${encodeURIComponent(m.masterToken)}`);
    events.onmessage = e => {
      const record = JSON.parse(e.data);
      const now = Date.now();
      // The speech time of frame i on this page's clock: the fragment's producer timestamp counts from producerStart.
      const base = record.producerTimestamp + (state.recordingOffsetMs || 0) + record.startOffsetMs;
      const step = 1000 / record.frameRate;
      const latency = now - base;
      state.stats.records++;
      push(state.stats.latencyMs, latency);
      if (state.autoDelay && latency + 100 > state.delayMs) setDelay(Math.min(latency + 100, 9000));
      record.frames.forEach((frame, i) => {
        const t = base + i * step;
        state.stats.frames++;
        if (t + state.delayMs < now) state.stats.lateFrames++;
        queue.push({ t, frame });
      });
    };
  }

  // ------------------------------------------------------------------ viewer
  async function startViewer() {
    state.meeting = { channelArn: params.get('channel'), signalingPath: params.get('signaling') || '/kvs' };
    // AWS mode: the peer service presigns the viewer URL and picks the client id (prefix kvsi-viewer-).
    const conn = params.get('mode') === 'aws' ? (await awsConnection(params.get('meeting'), params.get('token'))).meeting : null;
    const clientId = conn ? conn.clientId : 'viewer-' + Math.random().toString(36).slice(2, 10);
    const pc = new RTCPeerConnection({ iceServers: conn ? conn.iceServers : [] });
    state.pc = pc;
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    const remote = $('remote');
    let measuring = false;
    pc.ontrack = e => {
      remote.srcObject = e.streams[0];
      remote.play().catch(err => state.stats.signalingErrors.push({ error: 'play: ' + err }));
      if (!measuring && e.streams[0].getAudioTracks().length > 0) { measuring = true; measureViewer(e.streams[0], remote); }
    };
    const url = conn ? conn.url
      : `${wsBase}${state.meeting.signalingPath}?X-Amz-ChannelARN=${encodeURIComponent(state.meeting.channelArn)}&X-Amz-ClientId=${clientId}&X-KvsInference-Token=${encodeURIComponent(params.get('token'))}`;
    const sig = signalingAt(url,
      async (type, payload) => {
        if (type === 'SDP_ANSWER') await pc.setRemoteDescription(payload);
        else if (type === 'ICE_CANDIDATE') await pc.addIceCandidate(payload).catch(e => state.stats.signalingErrors.push({ error: String(e) }));
      });
    pc.onicecandidate = e => { if (e.candidate) sig.send('ICE_CANDIDATE', e.candidate.toJSON()); };
    await sig.opened;
    await pc.setLocalDescription(await pc.createOffer());
    sig.send('SDP_OFFER', pc.localDescription.toJSON());
    alignReceivers(pc);
    setInterval(() => { $('status').textContent = `viewer ${clientId}: ${pc.connectionState}\n${syncStatus()}`; }, 500);
  }

  // Receive-side lip sync. The master aligns mouth and voice as they leave it; here each receiver's jitter buffer adds
  // its own delay, and on a CPU-starved machine the audio buffer grows (~160 ms was seen against ~30 ms for video).
  // Chromium re-aligns the tracks of one MediaStream itself from the RTCP sender reports, but by only ~20-25 ms a
  // second, so a jump leaves voice and mouth apart for seconds. Every second this reads from getStats how long each
  // receiver needs to hold its media and holds the faster one as long as the slower (RTCRtpReceiver.jitterBufferTarget;
  // playoutDelayHint where that is missing), never above 1 s: raised at once, lowered only after some seconds below so
  // that it does not follow every swing of the audio buffer. Video is released sooner (2 s) than audio (5 s): video held
  // too long puts the voice ahead of the mouth, which ITU-R BT.1359 tolerates up to 45 ms, audio held too long puts it
  // behind, tolerated up to 125 ms.
  // A receiver's need is what its jitter buffer held minus what was added on purpose (by our target or by Chromium's
  // sync: jitterBufferTargetDelay - jitterBufferMinimumDelay), else the two would feed each other and only ever grow.
  // ?sync=off on the viewer's link measures without setting anything, for comparison.
  const SYNC = { intervalMs: 1000, engageMs: 20, stepMs: 10, releaseIntervals: { audio: 5, video: 2 }, maxMs: 1000, maxHistory: 600 };
  function alignReceivers(pc) {
    const proto = RTCRtpReceiver.prototype;
    const api = 'jitterBufferTarget' in proto ? 'jitterBufferTarget' : 'playoutDelayHint' in proto ? 'playoutDelayHint' : 'none';
    const sync = state.sync = {
      api, enabled: api !== 'none' && params.get('sync') !== 'off',
      audioMs: null, videoMs: null,         // what each receiver held over the last interval (video: buffer + decode)
      audioNeedMs: null, videoNeedMs: null, // what each would hold without our target and Chromium's sync
      targetAudioMs: null, targetVideoMs: null, adjustments: 0, errors: [], history: [],
      // Chromium's own estimate, for checking: the sender-clock time of the audio being played minus that of the video
      // (estimatedPlayoutTimestamp; positive: the voice ahead of the mouth). null until RTCP sender reports came.
      playoutSkewMs: null,
    };
    const lower = { audio: [], video: [] }; // wanted targets below the current one, one per interval, for the release
    const set = (kind, ms) => {
      const receiver = pc.getReceivers().find(r => r.track.kind === kind);
      try {
        if (api === 'jitterBufferTarget') receiver.jitterBufferTarget = ms;
        else receiver.playoutDelayHint = ms === null ? null : ms / 1000;
        sync[kind === 'audio' ? 'targetAudioMs' : 'targetVideoMs'] = ms;
        sync.adjustments++;
      } catch (e) {
        if (sync.errors.length < 10) sync.errors.push(`${kind} ${ms}: ${e}`);
      }
    };
    let last = null;
    setInterval(async () => {
      const now = {};
      (await pc.getStats()).forEach(s => { if (s.type === 'inbound-rtp' && (s.kind === 'audio' || s.kind === 'video')) now[s.kind] = s; });
      const prev = last;
      if (now.audio && now.video) last = now;
      if (!prev || !now.audio || !now.video) return;
      // Per-unit means over the interval: audio per sample, video per frame.
      const perUnit = (kind, field, count) => {
        const n = now[kind][count] - prev[kind][count];
        return n > 0 && now[kind][field] !== undefined ? 1000 * (now[kind][field] - prev[kind][field]) / n : null;
      };
      const held = kind => perUnit(kind, 'jitterBufferDelay', 'jitterBufferEmittedCount');
      // Added on purpose is target - minimum delay; what the buffer held beyond its target (a late reader) counts.
      const need = kind => {
        const target = perUnit(kind, 'jitterBufferTargetDelay', 'jitterBufferEmittedCount');
        const minimum = perUnit(kind, 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount');
        return target === null || minimum === null ? held(kind) : Math.max(minimum, held(kind) - Math.max(0, target - minimum));
      };
      const decodeMs = perUnit('video', 'totalDecodeTime', 'framesDecoded') ?? 0;
      if (held('audio') === null || held('video') === null) return; // nothing came out of a buffer in this interval
      sync.audioMs = held('audio');
      sync.videoMs = held('video') + decodeMs;
      sync.audioNeedMs = need('audio');
      sync.videoNeedMs = need('video') + decodeMs;
      const played = kind => now[kind].estimatedPlayoutTimestamp;
      sync.playoutSkewMs = played('audio') && played('video') ? played('audio') - played('video') : null;
      if (sync.enabled) {
        const slowest = Math.min(SYNC.maxMs, Math.max(sync.audioNeedMs, sync.videoNeedMs));
        adjust('audio', slowest - sync.audioNeedMs, slowest);
        adjust('video', slowest - sync.videoNeedMs, slowest - decodeMs); // the target is for the buffer, not the decoder
      }
      const { audioMs, videoMs, audioNeedMs, videoNeedMs, targetAudioMs, targetVideoMs, playoutSkewMs } = sync;
      sync.history.push({ t: Date.now(), audioMs, videoMs, audioNeedMs, videoNeedMs, targetAudioMs, targetVideoMs, playoutSkewMs });
      if (sync.history.length > SYNC.maxHistory) sync.history.shift();
    }, SYNC.intervalMs);

    // One receiver, needing gapMs less than the slowest: its buffer is held to bufferMs (in stepMs steps) once the gap
    // reaches engageMs, and stays held until the gap falls below half of that. A null target is the browser's own.
    function adjust(kind, gapMs, bufferMs) {
      const current = sync[kind === 'audio' ? 'targetAudioMs' : 'targetVideoMs'];
      const engaged = gapMs >= (current === null ? SYNC.engageMs : SYNC.engageMs / 2);
      const wanted = engaged && bufferMs > 0 ? Math.ceil(bufferMs / SYNC.stepMs) * SYNC.stepMs : null;
      if ((wanted ?? 0) >= (current ?? 0)) { // raised at once; both are whole steps, so equal means unchanged
        lower[kind] = [];
        if (wanted !== current) set(kind, wanted);
        return;
      }
      // Below the current target: lowered only after releaseIntervals in a row, to the highest wanted among them, so
      // that a dip of one interval is not followed.
      lower[kind].push(wanted ?? 0);
      if (lower[kind].length < SYNC.releaseIntervals[kind]) return;
      const highest = Math.max(...lower[kind]);
      lower[kind] = [];
      set(kind, highest === 0 ? null : highest);
    }
  }

  function syncStatus() {
    const s = state.sync;
    if (!s || s.audioMs === null) return 'sync: waiting for media';
    const ms = v => v === null ? '-' : Math.round(v) + ' ms';
    return `sync ${s.enabled ? 'by ' + s.api : 'off'}: audio held ${ms(s.audioMs)} (needs ${ms(s.audioNeedMs)}), ` +
      `video ${ms(s.videoMs)} (needs ${ms(s.videoNeedMs)})\n` +
      `targets: audio ${ms(s.targetAudioMs)}, video ${ms(s.targetVideoMs)}, ${s.adjustments} adjustments\n` +
      `voice ahead of the mouth by ${ms(s.playoutSkewMs)} (Chromium's estimate)`;
  }

  // What the viewer gets, sampled together every 20 ms: the loudness of the received audio and how open the received
  // avatar's mouth is (dark mouth-interior pixels in the mouth region), for lip-sync measurement.
  function measureViewer(stream, video) {
    const ctx = new AudioContext();
    ctx.resume();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const buffer = new Float32Array(analyser.fftSize);
    const grab = document.createElement('canvas');
    grab.width = 640; grab.height = 480;
    const g = grab.getContext('2d', { willReadFrequently: true });
    setInterval(() => {
      let mouth = -1;
      if (video.videoWidth > 0) {
        g.drawImage(video, 0, 0, 640, 480);
        const px = g.getImageData(240, 295, 160, 110).data;
        mouth = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] < 200 && px[i] > px[i + 1] + 15) mouth++;
      }
      push(state.samples, { t: Date.now(), rms: rms(analyser, buffer), mouth });
    }, 20);
  }

  // ------------------------------------------------------------------ start
  const fail = e => { $('status').textContent = 'error: ' + (e && e.message || e); state.error = String(e && e.message || e); };
  if (state.role === 'master') {
    $('master').classList.remove('hidden');
    $('title').textContent = 'KvsInference meeting: master';
    $('create').onclick = () => { $('create').disabled = true; startMaster().catch(fail); };
  } else {
    $('viewer').classList.remove('hidden');
    $('title').textContent = 'KvsInference meeting: viewer';
    $('join').onclick = () => { $('join').disabled = true; startViewer().catch(fail); };
  }
})();
