// The meeting's status, polled: who is connected, and how a page learns that its meeting ended.
import { checkMeeting } from './api.js';
import { state } from './state.js';

const STATUS_POLL_MS = 2000;

// Who is connected, every few seconds (local mode); also how a page learns that its meeting ended (then `ended()`:
// the master's and the viewer's pages end differently).
export function pollStatus(id, token, show, ended) {
  const timer = setInterval(async () => {
    if (state.ended) { clearInterval(timer); return; }
    const check = await checkMeeting(id, token);
    if (check.verdict === 'ended') {
      clearInterval(timer);
      ended();
    } else if (check.verdict === 'ok') {
      state.viewerCount = check.status.viewers;
      state.maxViewers = check.status.maxViewers;
      show();
    }
  }, STATUS_POLL_MS);
}
