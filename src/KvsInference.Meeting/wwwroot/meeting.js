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
'use strict';
(function () {
  const params = new URLSearchParams(location.search);
  const $ = id => document.getElementById(id);
  const wsBase = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
  const FRAME_MS = 33;
  const MAX_HISTORY = 6000;
  // Reconnect back-off (s): quick first tries for a blip, then every 8 s while the server is away.
  const RETRY_SECONDS = [1, 2, 4, 8];
  const STATUS_POLL_MS = 2000;
  const REST = { aa: 0, ih: 0, ou: 0, ee: 0, oh: 0, jawOpen: 0, silence: 1 }; // the avatar's face at rest (drawn before the start)
  const state = {
    role: params.has('join') ? 'viewer' : 'master',
    meeting: null,
    // The avatar delay D, chosen from the measured record latency (voice-delay.js); ?delay=MS fixes it.
    voiceDelay: new KvsVoiceDelay({}, params.get('delay')),
    delayMs: 0,
    // MediaRecorder hands over what it encoded every chunkMs (Chromium's Opus frames are 60 ms), so audio leaves the
    // page as it is encoded; the store still makes one fragment per WebM Cluster (about 1 s, within KVS's 5 per second).
    chunkMs: Number(params.get('chunkMs')) || 20,
    // The voice is held back this much more than the avatar's delay, measured by the browser test (meeting-e2e.js:
    // masterLipSync, viewerLipSync). With the recording's start taken when MediaRecorder.start() is called (startIngest),
    // the drawn mouth is 20-60 ms ahead of the microphone's level on the master and the viewer's video adds -20..+20 ms
    // with the 2D face (20-80 ms with the 3D avatar in software WebGL), so 20 puts a 2D viewer near the mouth 40 ms
    // before the voice, the middle of ITU-R BT.1359's window (mouth at most 125 ms before the voice, 45 ms after), and
    // a 3D one at -60..+40 ms (docs/avatar.md). It was 80 while the start was taken from the start event, which came
    // 40-100 ms late (later with the 3D avatar drawing) and made the mouth lag by as much.
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

  const push = (list, item) => { list.push(item); if (list.length > MAX_HISTORY) list.splice(0, list.length - MAX_HISTORY); };
  const encode = obj => btoa(JSON.stringify(obj));
  const decode = text => JSON.parse(atob(text));
  const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
  function diagnostics() {
    const s = state.stats;
    $('diag').textContent = `${state.role} ${state.meeting ? state.meeting.streamName || state.meeting.meetingId || '' : ''}\n` +
      `connection ${state.connection}, reconnects: signaling ${state.reconnects.signaling}, upload ${state.reconnects.ingest}, peer ${state.reconnects.peer}\n` +
      (state.role === 'master'
        ? `chunks ${s.chunksSent} (${s.bytesSent} B), persisted ${s.persisted}, records ${s.records}, frames ${s.frames} (late ${s.lateFrames})\n` +
          `avatar delay ${Math.round(state.delayMs)} ms (record latency p95 ${Math.round(state.voiceDelay.p95() ?? 0)} ms), peer connections ${s.viewers}`
        : `${state.pc ? 'peer ' + state.pc.connectionState : 'no peer'}\n${syncStatus()}`);
  }
  function rms(analyser, buffer) {
    analyser.getFloatTimeDomainData(buffer);
    let sum = 0;
    for (const v of buffer) sum += v * v;
    return Math.sqrt(sum / buffer.length);
  }

  // ------------------------------------------------------------------ what the person sees
  const BADGE = { idle: 'Not connected', connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Reconnecting…',
    full: 'Meeting full', ended: 'Meeting ended', left: 'Left', failed: 'Not connected' };
  // The badge and the polite status line; the status line is only rewritten when it changes, so that screen readers
  // announce changes, not every poll.
  function setConnection(connection, text) {
    state.connection = connection;
    const badge = $('connection');
    badge.dataset.state = connection;
    badge.textContent = BADGE[connection] || connection;
    if (text !== undefined && $('status').textContent !== text) $('status').textContent = text;
  }
  // One notice at a time (role=alert): what went wrong and what to do, with the button that does it.
  function showProblem(kind, text, actionLabel, action, info) {
    state.problem = kind;
    $('noticeText').textContent = text;
    $('notice').classList.toggle('info', !!info);
    const button = $('noticeAction');
    button.classList.toggle('hidden', !actionLabel);
    button.textContent = actionLabel || '';
    button.onclick = action ? () => { clearProblem(); action(); } : null;
    $('notice').classList.remove('hidden');
    // A problem the person must act on takes the keyboard focus to its button; a passing one (reconnecting) does not.
    if (actionLabel && !info) button.focus();
  }
  function clearProblem() {
    state.problem = null;
    $('notice').classList.add('hidden');
  }
  // A failure with the words a person can act on; `kind` names it for the page's tests.
  class PageProblem extends Error {
    constructor(kind, message) { super(message); this.kind = kind; }
  }
  function microphoneProblem(e) {
    switch (e && e.name) {
      case 'NotAllowedError': case 'SecurityError':
        return new PageProblem('mic-denied', 'Your microphone is blocked for this page, so the avatar cannot hear you. ' +
          'Allow the microphone in the browser (the icon at the left of the address bar, or the site settings), then press Try again.');
      case 'NotFoundError': case 'OverconstrainedError':
        return new PageProblem('mic-missing', 'No microphone was found. Connect one, then press Try again.');
      case 'NotReadableError': case 'AbortError':
        return new PageProblem('mic-busy', 'The microphone could not be started; another program may be using it. Close that program, then press Try again.');
      default:
        return new PageProblem('mic-failed', 'The microphone could not be opened (' + (e && e.message || e) + '). Press Try again.');
    }
  }
  function viewersText(count, max) {
    if (count === null || count === undefined) return '';
    const who = count === 0 ? 'No viewers yet' : count === 1 ? '1 viewer' : `${count} viewers`;
    return max ? `${who} (up to ${max})` : who;
  }

  // What the meeting's status says: 'ok' with the status (in AWS mode without a viewer count: KVS does not tell who is
  // connected), 'ended', or 'unreachable' (no answer, or not one we understand).
  async function checkMeeting(id, token) {
    try {
      const r = await fetch(`/meeting/api/meetings/${encodeURIComponent(id)}`, { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' });
      if (r.status === 410 || r.status === 404) return { verdict: 'ended' };
      if (!r.ok) return { verdict: 'unreachable', why: r.status };
      return { verdict: 'ok', status: await r.json() };
    } catch (e) {
      return { verdict: 'unreachable', why: String(e) };
    }
  }

  // A signaling connection that comes back. `urlFor()` gives the URL of each attempt (a viewer takes a fresh client id
  // each time: the join-link token may not replace another socket's id). When the socket closes without close() —
  // the server went away, or it said GO_AWAY (then the next socket opens at once, before the old one closes, as KVS
  // advises) — `lost(opened)` decides: true to try again after the back-off, false to stop (ended, full).
  function keepSignaling(urlFor, onMessage, { opened, lost }) {
    const link = { ws: null, closed: false, open: false, connecting: false };
    link.send = (action, payload, recipientClientId) => {
      if (!link.ws || link.ws.readyState !== WebSocket.OPEN) return false;
      link.ws.send(JSON.stringify({ action, messagePayload: encode(payload), recipientClientId, correlationId: String(Date.now()) }));
      return true;
    };
    link.close = () => { link.closed = true; link.open = false; if (link.ws) link.ws.close(1000); };
    let attempt = 0;
    // `connecting` covers the whole attempt, from asking for the URL to the socket's open or close.
    const connect = async () => {
      if (link.closed || link.connecting) return;
      link.connecting = true;
      let url;
      try { url = await urlFor(); } catch (e) { link.connecting = false; state.stats.signalingErrors.push({ error: 'url: ' + e }); return retry(false); }
      if (link.closed) { link.connecting = false; return; }
      let ws;
      try { ws = link.ws = new WebSocket(url); } catch (e) { link.connecting = false; state.stats.signalingErrors.push({ error: 'socket: ' + e }); return retry(false); }
      let wasOpen = false;
      ws.onopen = () => { wasOpen = true; attempt = 0; link.connecting = false; link.open = true; opened(link); };
      ws.onmessage = e => {
        const msg = JSON.parse(e.data);
        if (msg.messageType === 'GO_AWAY' && link.ws === ws) { link.ws = null; link.open = false; state.reconnects.signaling++; connect(); return; }
        if (msg.messageType === 'STATUS_RESPONSE' || msg.messageType === 'GO_AWAY') { state.stats.signalingErrors.push(msg); return; }
        onMessage(msg.messageType, msg.messagePayload ? decode(msg.messagePayload) : null, msg.senderClientId);
      };
      ws.onerror = () => state.stats.signalingErrors.push({ messageType: 'SOCKET_ERROR' });
      ws.onclose = () => {
        if (link.ws !== ws || link.closed) return; // replaced after GO_AWAY, or closed by us
        link.connecting = false;
        link.ws = null;
        link.open = false;
        retry(wasOpen);
      };
    };
    // Only the latest scheduled attempt goes ahead (Reconnect now, or a newer loss, supersedes a waiting one), so that
    // there is never more than one socket.
    let scheduled = 0;
    const retry = async wasOpen => {
      const mine = ++scheduled;
      if (!(await lost(wasOpen)) || link.closed) return;
      const seconds = RETRY_SECONDS[Math.min(attempt++, RETRY_SECONDS.length - 1)];
      await sleep(seconds * 1000);
      if (mine !== scheduled || link.ws || link.connecting || link.closed) return;
      state.reconnects.signaling++;
      connect();
    };
    link.retryNow = () => {
      scheduled++;
      attempt = 0;
      if (link.ws || link.connecting || link.closed) return; // a socket is open or being tried already
      state.reconnects.signaling++;
      connect();
    };
    connect();
    return link;
  }

  // Used by the AWS ingestion channel, which is opened once (a lost storage session is asked for again there).
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
  // The microphone. The device's track feeds one WebAudio bus, from which the level meter and the delayed voice for the
  // viewers take it, so that another device is switched in without restarting either. The upload (and KVS ingestion)
  // records the device's own track, as captured: WebAudio would put its render buffering between capture and recording,
  // which shifts the speech time the records are placed at. A switch therefore starts a new upload at once, or
  // replaces the track in the ingestion connection.
  const microphone = { ctx: null, bus: null, device: null, source: null };

  // Raw microphone: the model wants the voice as spoken, not gated by echo cancellation or noise suppression.
  async function openMicrophone(deviceId) {
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
  function useMicrophone(device) {
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

  async function switchMicrophone(deviceId) {
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
  async function listMicrophones() {
    const select = $('micSelect');
    const inputs = (await navigator.mediaDevices.enumerateDevices()).filter(d => d.kind === 'audioinput' && d.deviceId);
    select.replaceChildren(...inputs.map((d, i) => new Option(d.label || `Microphone ${i + 1}`, d.deviceId)));
    if (inputs.some(d => d.deviceId === state.micDeviceId)) select.value = state.micDeviceId;
    state.microphones = inputs.map(d => ({ id: d.deviceId, label: d.label }));
  }

  function setMuted(muted) {
    state.muted = muted;
    if (microphone.device) microphone.device.getAudioTracks().forEach(t => { t.enabled = !muted; });
    $('mute').setAttribute('aria-pressed', String(muted));
    $('status').textContent = muted ? 'You are muted: viewers hear nothing and the avatar rests.' : 'Your microphone is on.';
  }

  // Meter scale: -60 dBFS (silence) to 0 dBFS; speech sits around 0.5-0.8.
  const meterLevel = r => Math.max(0, Math.min(1, (20 * Math.log10(r + 1e-9) + 60) / 60));

  async function copyLink() {
    const link = $('joinLink').value;
    let copied = false;
    try {
      await navigator.clipboard.writeText(link);
      copied = true;
    } catch {
      // No clipboard permission (or an insecure page): the selected text can still be copied by the browser's command.
      $('joinLink').select();
      copied = document.execCommand('copy');
    }
    $('copied').textContent = copied ? 'Link copied' : 'Select the link and copy it (Ctrl+C)';
    setTimeout(() => { $('copied').textContent = ''; }, 5000);
  }

  function createProblem(status, text) {
    let message = text;
    try { message = JSON.parse(text).message || text; } catch { }
    if (status === 429) return new PageProblem('too-many-meetings', 'The server already holds as many meetings as it may. Try again when one has ended.');
    return new PageProblem('create-failed', `The meeting could not be started (${status}): ${message}`);
  }

  async function startMaster() {
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
    let created;
    try {
      created = await fetch('/meeting/api/meetings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ video }) });
    } catch {
      created = null;
    }
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
    addEventListener('pagehide', () => state.ended || fetch(`/meeting/api/meetings/${encodeURIComponent(m.id)}`,
      { method: 'DELETE', keepalive: true, headers: { authorization: 'Bearer ' + m.masterToken } }));
    $('joinLink').value = new URL(m.joinPath, location.href).href;
    $('setup').classList.add('hidden');
    $('invite').classList.remove('hidden');
    $('controls').classList.remove('hidden');

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
    // What viewers hear: the voice delayed by the avatar's latency, so that it meets the mouth drawn for it.
    const delay = ctx.createDelay(10);
    state.delayMs = state.voiceDelay.delayMs;
    delay.delayTime.value = (state.delayMs + state.audioLagMs) / 1000;
    microphone.bus.connect(delay);
    const out = ctx.createMediaStreamDestination();
    delay.connect(out);
    state.voiceLine = { ctx, delay }; // for diagnostics and the browser test: the delay line's actual value, the context's latency
    // A rise is glided (a late record must not wait); a lowering comes only across silence (voice-delay.js), where
    // jumping the delay line's read position skips silence and is not heard.
    const setDelay = (ms, overSilence) => {
      state.delayMs = ms;
      if (overSilence) delay.delayTime.setValueAtTime((ms + state.audioLagMs) / 1000, ctx.currentTime);
      else delay.delayTime.setTargetAtTime((ms + state.audioLagMs) / 1000, ctx.currentTime, 0.05);
    };
    setInterval(() => {
      const lowered = state.voiceDelay.tick(Date.now(), state.micLevels);
      if (lowered !== null) setDelay(lowered, true);
    }, 50);

    // Locally the raw microphone goes to the media store as WebM; on AWS, KVS WebRTC ingestion takes it (startAwsIngestion).
    if (!aws) keepIngest(m);
    // The record frames by speech time, oldest first. They are looked up, not consumed: when D is raised the voice's
    // delay line replays the last D-change of speech, and speechT steps back with it, so the mouth replays the same
    // frames instead of freezing until speechT catches up. Kept as long as D could step back (its maximum).
    const frames = [];
    receiveRecords(m, frames, setDelay);
    const canvas = $('face');
    const rest = { aa: 0, ih: 0, ou: 0, ee: 0, oh: 0, jawOpen: 0, silence: 1 };
    const started = Date.now();
    setInterval(() => {
      // The 3D avatar (avatar3d.js) when it is loaded, else the 2D face; both draw on this canvas. The 3D avatar takes
      // tens of ms to draw in software WebGL: it draws the moment it will be on the canvas (its lookahead), not now.
      const face = window.KvsAvatar3d && KvsAvatar3d.ready() ? KvsAvatar3d : KvsFace;
      const now = Date.now(), speechT = now - state.delayMs + (face.lookaheadMs ? face.lookaheadMs() : 0);
      while (frames.length > 0 && frames[0].t < now - state.voiceDelay.o.maxMs - 1000) frames.shift();
      const f = frames[lastAtOrBefore(frames, speechT)];
      // No frame for this moment (the stream stopped, or nothing yet): rest rather than freeze mid-word.
      const frame = f === undefined || speechT - f.t > 250 ? rest : f.frame;
      const opening = face.drawFace(canvas, frame, (now - started) / 1000);
      push(state.samples, { t: now, speechT, jawOpen: frame.jawOpen, opening });
    }, FRAME_MS);

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
    pollStatus(m.id, m.masterToken, showMasterViewers);
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

  function connectionLost() {
    setConnection('reconnecting', 'Connection to the meeting server lost; reconnecting…');
    showProblem('connection-lost', state.role === 'master'
      ? 'The connection to the meeting server was lost. The page reconnects by itself; viewers who are still connected keep seeing and hearing you.'
      : 'The connection to the meeting was lost. The page reconnects by itself.',
    'Reconnect now', () => state.signaling && state.signaling.retryNow(), true);
  }

  async function masterLost() {
    const m = state.meeting;
    if ((await checkMeeting(m.id, m.masterToken)).verdict === 'ended') {
      meetingEnded('The meeting has ended: it was ended elsewhere, or it had no connection for too long.');
      return false;
    }
    connectionLost();
    return true;
  }

  // The upload comes back too: when its socket closes while the meeting goes on, the recorder is stopped and a new
  // upload (a new PutMedia, as a KVS producer reconnects) of the current microphone starts after the back-off, or at
  // once when the microphone was switched.
  function keepIngest(m) {
    let attempt = 0;
    const start = () => {
      if (state.ended) return;
      startIngest(m, microphone.device);
      const ws = state.ingestSocket;
      ws.addEventListener('open', () => { attempt = 0; state.ingestOpen = true; updateMasterConnection(); });
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
        updateMasterConnection();
        if ((await checkMeeting(m.id, m.masterToken)).verdict === 'ended') {
          meetingEnded('The meeting has ended: it was ended elsewhere, or it had no connection for too long.');
          return;
        }
        await sleep(RETRY_SECONDS[Math.min(attempt++, RETRY_SECONDS.length - 1)] * 1000);
        state.reconnects.ingest++;
        start();
      });
    };
    start();
  }

  // Who is connected, every few seconds (local mode); also how a page learns that its meeting ended.
  function pollStatus(id, token, show) {
    const timer = setInterval(async () => {
      if (state.ended) { clearInterval(timer); return; }
      const check = await checkMeeting(id, token);
      if (check.verdict === 'ended') {
        clearInterval(timer);
        if (state.role === 'master') meetingEnded('The meeting has ended: it was ended elsewhere, or it had no connection for too long.');
        else viewerEnded();
      } else if (check.verdict === 'ok') {
        state.viewerCount = check.status.viewers;
        state.maxViewers = check.status.maxViewers;
        show();
      }
    }, STATUS_POLL_MS);
  }

  function showMasterViewers() {
    if (state.meeting && state.meeting.mode === 'aws') {
      state.viewerCount = [...state.peers.values()].filter(p => p.pc.connectionState === 'connected').length;
    }
    $('viewers').textContent = viewersText(state.viewerCount ?? 0, state.maxViewers);
  }

  function teardownMaster() {
    state.ended = true;
    if (state.signaling) state.signaling.close();
    if (state.ingestSocket) state.ingestSocket.close(1000);
    if (state.recorder && state.recorder.state !== 'inactive') state.recorder.stop();
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
  async function endMeeting() {
    const m = state.meeting;
    $('leave').disabled = true;
    let answered = false;
    try {
      const r = await fetch(`/meeting/api/meetings/${encodeURIComponent(m.id)}`, { method: 'DELETE', headers: { authorization: 'Bearer ' + m.masterToken } });
      answered = r.ok || r.status === 404 || r.status === 410;
    } catch { }
    if (!answered) {
      $('leave').disabled = false;
      showProblem('end-failed', 'The meeting could not be ended: the server did not answer. Press End meeting again.', 'End meeting', endMeeting);
      return;
    }
    teardownMaster();
    const text = 'You ended the meeting. Viewers were told that it has ended.';
    setConnection('ended', text);
    showProblem('ended', text, 'Start a new meeting', () => location.assign('/'), true);
  }

  function masterMessage(sig, outStream, type, payload, viewerId, iceServers) {
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
      recorder.start(state.chunkMs);
      state.recorder = recorder;
    };
    state.producerStart = producerStart;
  }

  // The index of the last frame with t <= time in frames (ordered by t), -1 if none.
  function lastAtOrBefore(frames, time) {
    let lo = 0, hi = frames.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (frames[mid].t <= time) lo = mid + 1; else hi = mid; }
    return lo - 1;
  }

  // Frames of a record that came late go in order among the others: frames whose moment has passed are not drawn.
  function receiveRecords(m, frames, setDelay) {
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
      if (record.ingestToProcessMs !== undefined && record.ingestToProcessMs !== null) push(state.stats.ingestToProcessMs, record.ingestToProcessMs);
      const raised = state.voiceDelay.observe(latency, now);
      if (raised !== null) setDelay(raised, false);
      record.frames.forEach((frame, i) => {
        const t = base + i * step;
        state.stats.frames++;
        if (t + state.delayMs < now) state.stats.lateFrames++;
        frames.splice(lastAtOrBefore(frames, t) + 1, 0, { t, frame });
      });
    };
  }

  // ------------------------------------------------------------------ viewer
  async function startViewer() {
    clearProblem();
    $('join').disabled = true;
    setConnection('connecting', 'Opening the meeting…');
    let r;
    try {
      r = await fetch(`/meeting/api/join/${encodeURIComponent(params.get('join'))}`, { cache: 'no-store' });
    } catch {
      r = null;
    }
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
    pollStatus(grant.meetingId, grant.viewerToken, () => { $('viewerCount').textContent = viewersText(state.viewerCount, null); });
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

  function leaveAsViewer() {
    viewerTeardown();
    setConnection('left', 'You left the meeting.');
    showProblem('left', 'You left the meeting.', 'Join again', () => location.reload(), true);
  }

  function setSoundMuted(muted) {
    $('remote').muted = muted;
    $('sound').setAttribute('aria-pressed', String(muted));
    $('status').textContent = muted ? 'Sound is off on this page.' : 'Sound is on.';
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
  // The receiver of a kind that carries media: a renewed audio receiver leaves a stopped transceiver behind.
  const liveReceiver = (pc, kind) => pc.getTransceivers().find(t => !t.stopped && t.currentDirection !== 'stopped' && t.receiver.track.kind === kind)?.receiver;
  // inbound-rtp of the live audio and video receivers, by kind.
  async function receiverStats(pc) {
    const out = {};
    for (const kind of ['audio', 'video']) {
      const receiver = liveReceiver(pc, kind);
      if (receiver) (await receiver.getStats()).forEach(s => { if (s.type === 'inbound-rtp') out[kind] = s; });
    }
    return out;
  }

  // A fresh audio receiver on the same connection: the viewer stops its audio transceiver and offers a new one; the
  // master answers on the same connection (masterMessage), so the video goes on undisturbed. The new receiver's NetEq
  // starts at its start delay (80 ms) with an empty history.
  async function renewAudio(pc) {
    const old = pc.getTransceivers().find(t => !t.stopped && t.receiver.track.kind === 'audio');
    if (!old || pc.signalingState !== 'stable' || !state.signaling.open) return false;
    old.stop();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    return state.signaling.send('SDP_OFFER', pc.localDescription.toJSON());
  }

  // The viewer's audio buffer after a stall. When packets stop for longer than the buffer holds (a CPU stall of the
  // machine or of either page), Chromium's audio jitter buffer (NetEq) raises its own target delay to the gap's length.
  // In the first minute of a connection its delay histogram weighs each new 500 ms interval heavily, so one gap keeps
  // the target up for seconds to tens of seconds: measured 40 -> 240 ms after a 175 ms gap and 268 -> 520 ms after a
  // 260 ms gap, held to the end of the test (6-8 s), 80 -> 520 ms for 5 s after a 500 ms network stall; the voice is
  // heard that much later for as long. jitterBufferTarget can only raise that target, never lower it. So when NetEq's own target
  // (jitterBufferMinimumDelay: without our target and Chromium's A/V sync) stayed riseMs above the lowest this receiver
  // had for heldIntervals seconds in a row, and the received voice has been silent for silenceMs, the audio receiver is
  // renewed (renewAudio): the dropped buffer then holds silence, which nobody hears. At most once per everyMs, so that
  // a machine that keeps stalling is not renewed in a loop. ?renew=off on the viewer's link keeps the receiver.
  const RENEW = { riseMs: 80, heldIntervals: 2, silenceMs: 300, silenceRms: 0.004, everyMs: 10000 };

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
    // renewAudio's bookkeeping: NetEq's own target over this receiver's life, intervals in a row above its lowest.
    const renew = sync.renew = { enabled: params.get('renew') !== 'off', receiver: null, lowestMs: null, above: 0, lastMs: 0, count: 0, log: [] };
    const watchAudio = (ownMs, receiverId) => {
      if (ownMs === null || !renew.enabled) return;
      if (renew.receiver !== receiverId) Object.assign(renew, { receiver: receiverId, lowestMs: ownMs, above: 0 });
      renew.lowestMs = Math.min(renew.lowestMs, ownMs);
      renew.above = ownMs >= renew.lowestMs + RENEW.riseMs ? renew.above + 1 : 0;
      const now = Date.now();
      const heard = state.samples.filter(x => x.t >= now - RENEW.silenceMs);
      const silent = heard.length >= RENEW.silenceMs / 40 && heard.every(x => x.rms < RENEW.silenceRms);
      if (renew.above < RENEW.heldIntervals || !silent || now - renew.lastMs < RENEW.everyMs) return;
      renew.lastMs = now;
      renew.count++;
      renew.log.push({ t: now, ownMs: Math.round(ownMs), lowestMs: Math.round(renew.lowestMs) });
      renewAudio(pc).then(sent => {
        if (!sent) return;
        // The new receiver has no target of ours; the video, held to the old audio's delay, is let go at once.
        sync.targetAudioMs = null;
        lower.audio = []; lower.video = [];
        if (sync.enabled) set('video', null);
      }).catch(e => { if (sync.errors.length < 10) sync.errors.push('renew audio: ' + e); });
    };
    const set = (kind, ms) => {
      const receiver = liveReceiver(pc, kind);
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
    const timer = setInterval(async () => {
      if (pc !== state.pc || pc.signalingState === 'closed') { clearInterval(timer); return; } // replaced after a lost connection, or left
      const now = await receiverStats(pc);
      const prev = last;
      if (now.audio && now.video) last = now;
      // Across a renewed audio receiver the counters start again: no interval to compare.
      if (!prev || !now.audio || !now.video || prev.audio.id !== now.audio.id) return;
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
      watchAudio(perUnit('audio', 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount'), now.audio.id);
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
  // avatar's mouth is (dark mouth-interior pixels in the mouth region), for lip-sync measurement. Returns a function that
  // moves the loudness to another audio track (a renewed receiver's).
  function measureViewer(track, video, pc) {
    const ctx = state.measureContext = new AudioContext();
    ctx.resume();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    let source = null;
    const listen = t => {
      if (source) source.disconnect();
      source = ctx.createMediaStreamSource(new MediaStream([t]));
      source.connect(analyser);
    };
    listen(track);
    const buffer = new Float32Array(analyser.fftSize);
    const grab = document.createElement('canvas');
    grab.width = 640; grab.height = 480;
    const g = grab.getContext('2d', { willReadFrequently: true });
    const timer = setInterval(() => {
      if (pc !== state.pc) { clearInterval(timer); ctx.close(); return; }
      let mouth = -1;
      if (video.videoWidth > 0) {
        g.drawImage(video, 0, 0, 640, 480);
        const px = g.getImageData(240, 295, 160, 110).data;
        mouth = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] < 200 && px[i] > px[i + 1] + 15) mouth++;
      }
      push(state.samples, { t: Date.now(), rms: rms(analyser, buffer), mouth });
    }, 20);
    return listen;
  }

  // ------------------------------------------------------------------ start
  // A failure before the meeting runs: its notice, with Try again where trying again can help.
  const failWith = retry => e => {
    state.error = String(e && e.message || e);
    const kind = e instanceof PageProblem ? e.kind : 'error';
    const text = e instanceof PageProblem ? e.message : 'Something went wrong: ' + state.error;
    showProblem(kind, text, retry && kind !== 'bad-link' ? 'Try again' : null, retry);
  };
  if (state.role === 'master') {
    $('master').classList.remove('hidden');
    KvsFace.drawFace($('face'), REST, 0); // the avatar as viewers will see it, before the start
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
})();
