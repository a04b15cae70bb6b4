// The meeting server's HTTP API as the page uses it: create, join, status, end, and in AWS mode the presigned signaling
// connection and the storage session. Create and join answer null when the server cannot be reached.
const meetingUrl = id => `/meeting/api/meetings/${encodeURIComponent(id)}`;
const bearer = token => ({ authorization: 'Bearer ' + token });

// POST /meeting/api/meetings: the response, or null when no answer came.
export async function createMeeting(video) {
  try {
    return await fetch('/meeting/api/meetings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ video }) });
  } catch {
    return null;
  }
}

// GET /meeting/api/join/{code} (the short link's code): the response, or null when no answer came.
export async function joinMeeting(code) {
  try {
    return await fetch(`/meeting/api/join/${encodeURIComponent(code)}`, { cache: 'no-store' });
  } catch {
    return null;
  }
}

// What the meeting's status says: 'ok' with the status (in AWS mode without a viewer count: KVS does not tell who is
// connected), 'ended', or 'unreachable' (no answer, or not one we understand).
export async function checkMeeting(id, token) {
  try {
    const r = await fetch(meetingUrl(id), { headers: bearer(token), cache: 'no-store' });
    if (r.status === 410 || r.status === 404) return { verdict: 'ended' };
    if (!r.ok) return { verdict: 'unreachable', why: r.status };
    return { verdict: 'ok', status: await r.json() };
  } catch (e) {
    return { verdict: 'unreachable', why: String(e) };
  }
}

// DELETE with the master token ends the meeting for everyone: true when the server answered that it is gone.
export async function deleteMeeting(m) {
  try {
    const r = await fetch(meetingUrl(m.id), { method: 'DELETE', headers: bearer(m.masterToken) });
    return r.ok || r.status === 404 || r.status === 410;
  } catch {
    return false;
  }
}

// The same DELETE as the page goes away (keepalive: it outlives the page); if it is lost, the meeting ends after its
// idle timeout.
export const deleteMeetingOnLeave = m => fetch(meetingUrl(m.id), { method: 'DELETE', keepalive: true, headers: bearer(m.masterToken) });

// AWS mode: presigned signaling URLs and ICE servers from the peer service (POST .../connection with the meeting token).
export async function awsConnection(meetingId, token) {
  const r = await fetch(`${meetingUrl(meetingId)}/connection`, { method: 'POST', headers: bearer(token) });
  if (!r.ok) throw new Error('getting the signaling connection failed: ' + r.status + ' ' + await r.text());
  return r.json();
}

// AWS mode: asks the peer service to call JoinStorageSession (the storage session then offers on the ingestion channel).
export const joinStorageSession = m => fetch(`${meetingUrl(m.id)}/storage-session`, { method: 'POST', headers: bearer(m.masterToken) });
