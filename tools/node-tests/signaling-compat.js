// Compatibility check of KvsInference's KVS-compatible signaling server with the official
// amazon-kinesis-video-streams-webrtc SDK, unchanged, in node 20 (ws as the global WebSocket).
// Usage: node signaling-compat.js <config.json>
//   config: { wssEndpoint, wsEndpoint, region, accessKeyId, secretAccessKey, channelA, channelB, viewerToken }
// Prints one "ok <check>" line per passed check and exits 0; prints "FAIL <check>: <why>" and exits 1 otherwise.
'use strict';
globalThis.WebSocket = require('ws');
const fs = require('fs');
const { SignalingClient, Role } = require('amazon-kinesis-video-streams-webrtc');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey };
const clients = [];

function client(role, channelARN, clientId, extra = {}) {
  const c = new SignalingClient({
    channelARN,
    channelEndpoint: config.wssEndpoint,
    role,
    region: config.region,
    clientId: role === Role.VIEWER ? clientId : undefined,
    credentials,
    ...extra,
  });
  clients.push(c);
  return c;
}

// Generous: the wait ends as soon as the event comes; only a busy shared machine ever needs long.
function once(emitter, event, ms = 30000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    emitter.once(event, (...args) => { clearTimeout(timer); resolve(args); });
  });
}

async function open(c) {
  const opened = once(c, 'open');
  const failed = once(c, 'close').then(() => { throw new Error('closed before open'); });
  c.open();
  await Promise.race([opened, failed]);
}

function silent(emitter, events, ms) {
  return new Promise((resolve, reject) => {
    const handlers = events.map((e) => [e, (...args) => reject(new Error(`unexpected '${e}': ${JSON.stringify(args)}`))]);
    handlers.forEach(([e, h]) => emitter.on(e, h));
    setTimeout(() => { handlers.forEach(([e, h]) => emitter.off(e, h)); resolve(); }, ms);
  });
}

async function check(name, fn) {
  try {
    await fn();
    console.log(`ok ${name}`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e && e.message ? e.message : e}`);
    throw e;
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function main() {
  const masterA = client(Role.MASTER, config.channelA);
  const viewerA = client(Role.VIEWER, config.channelA, 'viewer-a');
  const masterB = client(Role.MASTER, config.channelB);
  const viewerB = client(Role.VIEWER, config.channelB, 'viewer-b');

  await check('sigv4-signed wss connections open (master and viewers, two channels)', async () => {
    await Promise.all([masterA, viewerA, masterB, viewerB].map(open));
  });

  await check('viewer offer reaches master with senderClientId', async () => {
    const got = once(masterA, 'sdpOffer');
    viewerA.sendSdpOffer({ type: 'offer', sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\n' });
    const [offer, senderClientId] = await got;
    assert(offer.type === 'offer' && offer.sdp.startsWith('v=0'), 'offer payload altered: ' + JSON.stringify(offer));
    assert(senderClientId === 'viewer-a', 'senderClientId was ' + senderClientId);
  });

  await check('master answer reaches the viewer by recipientClientId', async () => {
    const got = once(viewerA, 'sdpAnswer');
    masterA.sendSdpAnswer({ type: 'answer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n' }, 'viewer-a');
    const [answer] = await got;
    assert(answer.type === 'answer', 'answer payload altered: ' + JSON.stringify(answer));
  });

  await check('ICE candidates travel both ways', async () => {
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    const atMaster = once(masterA, 'iceCandidate');
    const atViewer = once(viewerA, 'iceCandidate');
    viewerA.sendIceCandidate(candidate);
    masterA.sendIceCandidate(candidate, 'viewer-a');
    const [[c1, from], [c2]] = await Promise.all([atMaster, atViewer]);
    assert(c1.candidate === candidate.candidate && from === 'viewer-a', 'master got ' + JSON.stringify([c1, from]));
    assert(c2.candidate === candidate.candidate, 'viewer got ' + JSON.stringify(c2));
  });

  await check('channel isolation: channel B hears nothing of channel A, and A cannot address B\'s viewer', async () => {
    const quietB = Promise.all([silent(masterB, ['sdpOffer', 'iceCandidate'], 700), silent(viewerB, ['sdpAnswer', 'iceCandidate'], 700)]);
    const status = once(masterA, 'statusResponse');
    const offerInA = once(masterA, 'sdpOffer');
    viewerA.sendSdpOffer({ type: 'offer', sdp: 'v=0\r\n' });
    masterA.sendSdpAnswer({ type: 'answer', sdp: 'v=0\r\n' }, 'viewer-b', 'cross-channel-1');
    const [response] = await status;
    assert(response.correlationId === 'cross-channel-1' && response.success === false, JSON.stringify(response));
    await offerInA;
    await quietB;
  });

  await check('payload over 10 KB refused with statusResponse', async () => {
    const status = once(viewerA, 'statusResponse');
    viewerA.sendSdpOffer({ type: 'offer', sdp: 'a'.repeat(11 * 1024) }, undefined, 'too-big-1');
    const [response] = await status;
    assert(response.correlationId === 'too-big-1' && response.errorType === 'InvalidArgumentException', JSON.stringify(response));
  });

  await check('more than 5 SDP answers per second throttled with statusResponse', async () => {
    const responses = [];
    masterA.on('statusResponse', (r) => responses.push(r));
    for (let i = 0; i < 8; i++) masterA.sendSdpAnswer({ type: 'answer', sdp: 'n' + i }, 'viewer-a', 'rate-' + i);
    await new Promise((r) => setTimeout(r, 500));
    const throttled = responses.filter((r) => r.errorType === 'ClientLimitExceededException');
    assert(throttled.length >= 1, 'no throttling: ' + JSON.stringify(responses));
  });

  await check('wrong secret key refused', async () => {
    const bad = new SignalingClient({
      channelARN: config.channelA, channelEndpoint: config.wssEndpoint, role: Role.VIEWER, region: config.region,
      clientId: 'intruder', credentials: { accessKeyId: config.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    clients.push(bad);
    let opened = false;
    bad.on('open', () => { opened = true; });
    const closed = once(bad, 'close');
    bad.on('error', () => {});
    bad.open();
    await closed;
    assert(!opened, 'a connection with a wrong signature was opened');
  });

  await check('meeting token over ws:// with a custom requestSigner', async () => {
    const requestSigner = {
      getSignedURL: async (endpoint, queryParams) => {
        const query = Object.keys(queryParams).sort().map((k) => `${k}=${encodeURIComponent(queryParams[k])}`);
        query.push(`X-KvsInference-Token=${encodeURIComponent(config.viewerToken)}`);
        return `${endpoint}?${query.join('&')}`;
      },
    };
    const viewer = new SignalingClient({
      channelARN: config.channelA, channelEndpoint: config.wsEndpoint, role: Role.VIEWER, region: config.region,
      clientId: 'token-viewer', requestSigner,
    });
    clients.push(viewer);
    await open(viewer);
    const got = once(masterA, 'sdpOffer');
    viewer.sendSdpOffer({ type: 'offer', sdp: 'v=0\r\n' });
    const [, from] = await got;
    assert(from === 'token-viewer', 'senderClientId was ' + from);
  });
}

const overall = setTimeout(() => { console.log('FAIL overall timeout'); process.exit(1); }, 20000);
main().then(
  () => { clients.forEach((c) => c.close()); clearTimeout(overall); console.log('all checks passed'); setTimeout(() => process.exit(0), 100); },
  () => { clients.forEach((c) => c.close()); process.exit(1); },
);
