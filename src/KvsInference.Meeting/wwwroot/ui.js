// What the person sees: the connection badge and status line, one notice at a time for a problem they can act on,
// the words of each problem, the viewer count, and the invite link's Copy button.
import { state } from './state.js';

export const $ = id => document.getElementById(id);

const BADGE = { idle: 'Not connected', connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Reconnecting…',
  full: 'Meeting full', ended: 'Meeting ended', left: 'Left', failed: 'Not connected' };
// The badge and the polite status line; the status line is only rewritten when it changes, so that screen readers
// announce changes, not every poll.
export function setConnection(connection, text) {
  state.connection = connection;
  const badge = $('connection');
  badge.dataset.state = connection;
  badge.textContent = BADGE[connection] || connection;
  if (text !== undefined && $('status').textContent !== text) $('status').textContent = text;
}
// One notice at a time (role=alert): what went wrong and what to do, with the button that does it.
export function showProblem(kind, text, actionLabel, action, info) {
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
export function clearProblem() {
  state.problem = null;
  $('notice').classList.add('hidden');
}
// A failure with the words a person can act on; `kind` names it for the page's tests.
export class PageProblem extends Error {
  constructor(kind, message) { super(message); this.kind = kind; }
}
export function microphoneProblem(e) {
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
export function viewersText(count, max) {
  if (count === null || count === undefined) return '';
  const who = count === 0 ? 'No viewers yet' : count === 1 ? '1 viewer' : `${count} viewers`;
  return max ? `${who} (up to ${max})` : who;
}

// The create request's refusal (status, body) in words.
export function createProblem(status, text) {
  let message = text;
  try { message = JSON.parse(text).message || text; } catch { }
  if (status === 429) return new PageProblem('too-many-meetings', 'The server already holds as many meetings as it may. Try again when one has ended.');
  return new PageProblem('create-failed', `The meeting could not be started (${status}): ${message}`);
}

// Signaling (or the upload) was lost while the meeting goes on: the page says so and reconnects by itself.
export function connectionLost() {
  setConnection('reconnecting', 'Connection to the meeting server lost; reconnecting…');
  showProblem('connection-lost', state.role === 'master'
    ? 'The connection to the meeting server was lost. The page reconnects by itself; viewers who are still connected keep seeing and hearing you.'
    : 'The connection to the meeting was lost. The page reconnects by itself.',
  'Reconnect now', () => state.signaling && state.signaling.retryNow(), true);
}

export async function copyLink() {
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

// A failure before the meeting runs: its notice, with Try again where trying again can help.
export const failWith = retry => e => {
  state.error = String(e && e.message || e);
  const kind = e instanceof PageProblem ? e.kind : 'error';
  const text = e instanceof PageProblem ? e.message : 'Something went wrong: ' + state.error;
  showProblem(kind, text, retry && kind !== 'bad-link' ? 'Try again' : null, retry);
};
