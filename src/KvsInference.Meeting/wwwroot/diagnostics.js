// The developer's figures under "Diagnostics", rewritten every 500 ms.
import { syncStatus } from './receive-sync.js';
import { state } from './state.js';
import { $ } from './ui.js';

export function diagnostics() {
  const s = state.stats;
  $('diag').textContent = `${state.role} ${state.meeting ? state.meeting.streamName || state.meeting.meetingId || '' : ''}\n` +
    `connection ${state.connection}, reconnects: signaling ${state.reconnects.signaling}, upload ${state.reconnects.ingest}, peer ${state.reconnects.peer}\n` +
    (state.role === 'master'
      ? `chunks ${s.chunksSent} (${s.bytesSent} B), persisted ${s.persisted}, records ${s.records}, frames ${s.frames} (late ${s.lateFrames})\n` +
        `avatar delay ${Math.round(state.delayMs)} ms (record latency p95 ${Math.round(state.voiceDelay.p95() ?? 0)} ms), peer connections ${s.viewers}`
      : `${state.pc ? 'peer ' + state.pc.connectionState : 'no peer'}\n${syncStatus()}`);
}
