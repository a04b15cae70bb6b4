// KVS WebRTC signaling over a WebSocket: JSON messages with base64 JSON payloads. keepSignaling reconnects with
// back-off (the meeting channel); signalingAt opens once (the AWS ingestion channel).
import { RETRY_SECONDS, sleep, state } from './state.js';

const encode = obj => btoa(JSON.stringify(obj));
const decode = text => JSON.parse(atob(text));

// A signaling connection that comes back. `urlFor()` gives the URL of each attempt (a viewer takes a fresh client id
// each time: the join-link token may not replace another socket's id). When the socket closes without close() —
// the server went away, or it said GO_AWAY (then the next socket opens at once, before the old one closes, as KVS
// advises) — `lost(opened)` decides: true to try again after the back-off, false to stop (ended, full).
export function keepSignaling(urlFor, onMessage, { opened, lost }) {
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
export function signalingAt(url, onMessage) {
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
