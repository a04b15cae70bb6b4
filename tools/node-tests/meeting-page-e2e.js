// The meeting page as a person uses it, in Debian's headless Chromium (playwright-core): every control and every error
// path a person meets. The pages reach the server through a TCP proxy in this script, so that the connection can be
// lost for real (every socket cut, new ones refused) and come back.
//  1. microphone denied: the notice says so and focuses Try again; once allowed, Try again starts the meeting;
//  2. keyboard: focus order before and after the start, every control named; diagnostics behind a toggle;
//  3. invite link: short (/?join=<code>), no token in it, Copy link puts it on the clipboard;
//  4. level meter moves with speech; a viewer joins; both pages count the viewers;
//  5. mute: the master's level and what the viewer hears fall silent, unmute brings them back;
//  6. microphone choice: another device is switched in live, and the upload goes on;
//  7. viewer's sound off/on; screenshots at desktop (760 px) and phone (375 px) width, no sideways scrolling on a phone;
//  8. connection lost: both pages show reconnecting, then connected again; the master's upload starts anew;
//  9. full meeting: with 10 viewers connected (9 sockets from this script) an 11th page says the meeting is full; once
//     one leaves, Try again joins; its Leave button leaves;
// 10. meeting ended: End meeting on the master; the viewer is told; the join link answers 410.
// Usage: node meeting-page-e2e.js <server url> <speech.wav> <screenshot dir>
// Prints one JSON line `RESULT {...}` and exits 0 when every check passed, 1 otherwise.
'use strict';
const net = require('node:net');
const path = require('node:path');
const WebSocket = require('ws');
const { log, runBrowserTest, waitFor } = require('./browser');

const [server, wav, outDir] = process.argv.slice(2);
if (!server || !wav || !outDir) {
  console.error('usage: node meeting-page-e2e.js <server url> <speech.wav> <screenshot dir>');
  process.exit(2);
}

// Forwards 127.0.0.1:<port> to the server. cut() destroys every connection and refuses new ones until restore().
function startProxy(target) {
  const sockets = new Set();
  let refusing = false;
  const proxy = net.createServer(client => {
    if (refusing) { client.destroy(); return; }
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    for (const s of [client, upstream]) { s.on('error', end); s.on('close', end); }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise(resolve => proxy.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${proxy.address().port}`,
    cut() { refusing = true; for (const s of sockets) s.destroy(); sockets.clear(); },
    restore() { refusing = false; },
    close() { this.cut(); proxy.close(); },
  })));
}

async function main() {
  const proxy = await startProxy(new URL(server));
  const sockets = [];
  const after = () => { for (const ws of sockets) ws.close(); proxy.close(); };
  await runBrowserTest({ outDir, wav, profile: 'meeting-page-', launch: { ask: true }, after }, async (context, failures, result) => {
    result.steps = [];
    const check = (ok, what) => { if (!ok) failures.push(what); return ok; };
    const step = name => { log('step:', name); result.steps.push(name); };
    const state = (page, fn) => page.evaluate(fn);
    const activeId = page => page.evaluate(() => document.activeElement.id || document.activeElement.tagName);
    const shoot = async (page, name) => { await page.screenshot({ path: path.join(outDir, name), fullPage: true }); };
    const master = context.pages()[0] ?? await context.newPage();
    master.on('pageerror', e => failures.push('master page error: ' + e.message));

    step('microphone denied, then allowed');
    await master.goto(proxy.url + '/');
    const beforeStart = [];
    for (let i = 0; i < 2; i++) { await master.keyboard.press('Tab'); beforeStart.push(await activeId(master)); }
    check(beforeStart.join() === 'video,create', `focus order before the start: ${beforeStart}`);
    await master.keyboard.press('Enter'); // on Start meeting
    await waitFor(master, () => window.kvsMeeting.problem === 'mic-denied', 'the microphone-denied notice', 15000);
    const denied = await state(master, () => ({ text: document.getElementById('noticeText').textContent, action: document.getElementById('noticeAction').textContent,
      focus: document.activeElement.id, role: document.getElementById('notice').getAttribute('role'), meetings: window.kvsMeeting.meeting }));
    check(/microphone is blocked/.test(denied.text) && /Try again/.test(denied.text), 'denied notice text: ' + denied.text);
    check(denied.action === 'Try again' && denied.focus === 'noticeAction' && denied.role === 'alert', 'denied notice: ' + JSON.stringify(denied));
    check(denied.meetings === null, 'a meeting was created without a microphone');
    await shoot(master, 'meeting-master-mic-denied.png');
    await context.grantPermissions(['microphone', 'clipboard-read', 'clipboard-write'], { origin: proxy.url });
    await master.keyboard.press('Enter'); // on Try again
    await waitFor(master, () => window.kvsMeeting.connection === 'connected', 'the master connected after Try again', 20000);
    check(await state(master, () => window.kvsMeeting.problem) === null, 'the denied notice stayed after the start');

    step('keyboard, labels, invite link, copy, diagnostics');
    const link = await master.inputValue('#joinLink');
    const tokens = await state(master, () => [window.kvsMeeting.meeting.masterToken, window.kvsMeeting.meeting.viewerToken]);
    result.joinLink = link;
    check(/^http:\/\/127\.0\.0\.1:\d+\/\?join=[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/.test(link) && link.length <= 60, 'join link: ' + link);
    check(!tokens.some(t => link.includes(t)), 'the join link carries a token');
    check(!(await master.content()).includes(tokens[1]) && !(await master.content()).includes(tokens[0]), 'a token is shown in the page');
    await master.focus('#joinLink');
    const afterStart = [];
    for (let i = 0; i < 6; i++) { await master.keyboard.press('Tab'); afterStart.push(await activeId(master)); }
    check(afterStart.join() === 'copy,mute,micSelect,leave,SUMMARY,BODY' || afterStart.slice(0, 5).join() === 'copy,mute,micSelect,leave,SUMMARY',
      'focus order after the start: ' + afterStart);
    const unnamed = await state(master, () => [...document.querySelectorAll('button, select, input, meter, summary')]
      .filter(el => el.offsetParent !== null)
      .filter(el => !((el.labels && el.labels.length) || el.textContent.trim() || el.getAttribute('aria-label')))
      .map(el => el.id || el.tagName));
    check(unnamed.length === 0, 'controls without a name: ' + unnamed);
    await master.click('#copy');
    await waitFor(master, () => document.getElementById('copied').textContent === 'Link copied', 'Link copied', 20000);
    check(await state(master, () => navigator.clipboard.readText()) === link, 'the clipboard does not hold the join link');
    check(!(await master.isVisible('#diag')), 'diagnostics shown before the toggle');
    await master.click('#diagnostics summary');
    await waitFor(master, () => /persisted \d+/.test(document.getElementById('diag').textContent), 'the diagnostics text', 20000);
    check(await master.isVisible('#diag'), 'diagnostics hidden after the toggle');
    await master.click('#diagnostics summary');

    step('level meter, viewer joins, viewer count');
    await waitFor(master, () => window.kvsMeeting.micLevel > 0.4 && document.getElementById('level').value > 0.4, 'the level meter during speech', 15000);
    const viewer = await context.newPage();
    viewer.on('pageerror', e => failures.push('viewer page error: ' + e.message));
    await viewer.goto(link);
    check(await viewer.isVisible('#join') && !(await viewer.isVisible('#create')), 'the join link opens the viewer page');
    await viewer.click('#join');
    await waitFor(viewer, () => window.kvsMeeting.connection === 'connected', 'the viewer connected', 30000);
    await waitFor(master, () => document.getElementById('viewers').textContent === '1 viewer (up to 10)', 'the master counting 1 viewer', 20000);
    await waitFor(viewer, () => document.getElementById('viewerCount').textContent === '1 viewer', 'the viewer page counting 1 viewer', 20000);

    step('mute and unmute');
    await waitFor(viewer, () => window.kvsMeeting.samples.some(s => s.rms > 0.02), 'the viewer hearing speech', 15000);
    await master.click('#mute');
    const mutedAt = Date.now();
    check(await master.getAttribute('#mute', 'aria-pressed') === 'true', 'Mute is not pressed');
    const holdMs = await state(master, () => window.kvsMeeting.delayMs + window.kvsMeeting.audioLagMs) + 3000;
    await master.waitForTimeout(holdMs);
    const muted = await state(master, t => ({ max: Math.max(0, ...window.kvsMeeting.micLevels.filter(p => p.t > t + 300).map(p => p.rms)), meter: document.getElementById('level').value }), mutedAt);
    const heardMuted = await state(viewer, from => Math.max(0, ...window.kvsMeeting.samples.filter(s => s.t > from).map(s => s.rms)), mutedAt + holdMs - 1500);
    result.mute = { masterMaxRms: muted.max, meter: muted.meter, viewerMaxRms: heardMuted };
    check(muted.max < 1e-4 && muted.meter === 0, 'the microphone is not silent while muted: ' + JSON.stringify(muted));
    check(heardMuted < 0.003, `the viewer still hears the master while muted (rms ${heardMuted})`);
    await master.click('#mute');
    check(await master.getAttribute('#mute', 'aria-pressed') === 'false', 'Mute is still pressed');
    await waitFor(master, () => window.kvsMeeting.micLevel > 0.4, 'the level after unmuting', 15000);
    const unmutedAt = Date.now();
    await waitFor(viewer, from => window.kvsMeeting.samples.some(s => s.t > from && s.rms > 0.02), 'the viewer hearing speech after unmuting', 15000, unmutedAt);

    step('choose another microphone');
    const mics = await state(master, () => ({ list: window.kvsMeeting.microphones, current: window.kvsMeeting.micDeviceId, options: document.getElementById('micSelect').options.length }));
    result.microphones = mics;
    const other = (mics.list || []).find(d => d.id !== mics.current && d.id !== 'default');
    if (check(other && mics.options >= 2, 'fewer than two microphones to choose from: ' + JSON.stringify(mics))) {
      const persistedBefore = await state(master, () => window.kvsMeeting.stats.persisted);
      await master.selectOption('#micSelect', other.id);
      await waitFor(master, id => window.kvsMeeting.micDeviceId === id && window.kvsMeeting.micLabel, 'the chosen microphone in use', 20000, other.id);
      const switchedAt = Date.now();
      await waitFor(master, from => window.kvsMeeting.micLevels.some(p => p.t > from && p.rms > 0.02), 'speech from the chosen microphone', 15000, switchedAt);
      await waitFor(master, n => window.kvsMeeting.stats.persisted >= n + 2, 'the upload going on after the switch', 15000, persistedBefore);
      result.switchedTo = await state(master, () => window.kvsMeeting.micLabel);
      check(await master.inputValue('#micSelect') === other.id, 'the choice shows another microphone');
    }

    step('viewer sound off and on');
    await viewer.click('#sound');
    check(await state(viewer, () => document.getElementById('remote').muted) && await viewer.getAttribute('#sound', 'aria-pressed') === 'true', 'sound not off');
    await viewer.click('#sound');
    check(!(await state(viewer, () => document.getElementById('remote').muted)) && await viewer.getAttribute('#sound', 'aria-pressed') === 'false', 'sound not on');

    step('screenshots at desktop and phone width');
    await master.waitForTimeout(1000);
    await shoot(master, 'meeting-master.png');
    await shoot(viewer, 'meeting-viewer.png');
    for (const [page, name] of [[master, 'meeting-master-phone.png'], [viewer, 'meeting-viewer-phone.png']]) {
      await page.setViewportSize({ width: 375, height: 740 });
      await page.waitForTimeout(300);
      const width = await state(page, () => document.documentElement.scrollWidth);
      check(width <= 375, `${name}: the page is ${width} px wide at 375 px`);
      await shoot(page, name);
    }

    step('connection lost and back');
    const before = await state(master, () => ({ persisted: window.kvsMeeting.stats.persisted, reconnects: { ...window.kvsMeeting.reconnects } }));
    proxy.cut();
    await waitFor(master, () => window.kvsMeeting.connection === 'reconnecting' && window.kvsMeeting.problem === 'connection-lost', 'the master showing reconnecting', 15000);
    await waitFor(viewer, () => window.kvsMeeting.connection === 'reconnecting' && window.kvsMeeting.problem === 'connection-lost', 'the viewer showing reconnecting', 15000);
    check(/reconnects by itself/.test(await viewer.textContent('#noticeText')), 'the reconnecting notice');
    // Reconnect now tries at once: the click opens a socket before it returns (unless one is being tried just then;
    // then it is clicked again once the notice is back). The server is still away, so the page stays reconnecting.
    check(await viewer.textContent('#noticeAction') === 'Reconnect now', 'the reconnecting notice offers Reconnect now');
    let immediate = false;
    for (let i = 0; i < 40 && !immediate; i++) {
      immediate = await state(viewer, () => {
        const button = document.getElementById('noticeAction');
        if (button.offsetParent === null || button.textContent !== 'Reconnect now') return false;
        const before = window.kvsMeeting.reconnects.signaling;
        button.click();
        return window.kvsMeeting.reconnects.signaling > before;
      });
      if (!immediate) await viewer.waitForTimeout(250);
    }
    check(immediate, 'Reconnect now made no attempt');
    await waitFor(viewer, () => window.kvsMeeting.problem === 'connection-lost', 'the viewer still reconnecting', 20000);
    await shoot(viewer, 'meeting-viewer-reconnecting-phone.png');
    await master.waitForTimeout(4000);
    proxy.restore();
    await waitFor(master, () => window.kvsMeeting.connection === 'connected' && window.kvsMeeting.problem === null, 'the master connected again', 30000);
    await waitFor(viewer, () => window.kvsMeeting.connection === 'connected' && window.kvsMeeting.problem === null, 'the viewer connected again', 30000);
    await waitFor(master, n => window.kvsMeeting.stats.persisted >= n + 2, 'the upload going on after the reconnect', 20000, before.persisted);
    const after = await state(master, () => window.kvsMeeting.reconnects);
    result.reconnects = after;
    check(after.signaling > before.reconnects.signaling && after.ingest > before.reconnects.ingest, 'no reconnect counted: ' + JSON.stringify(after));
    await waitFor(master, () => document.getElementById('viewers').textContent === '1 viewer (up to 10)', 'the viewer counted again', 15000);

    step('full meeting: 11th viewer');
    const code = new URL(link).searchParams.get('join');
    const grant = await (await fetch(`${server}/meeting/api/join/${code}`)).json();
    const wsUrl = id => `${server.replace('http', 'ws')}${grant.signalingPath}?X-Amz-ChannelARN=${encodeURIComponent(grant.channelArn)}` +
      `&X-Amz-ClientId=${id}&X-KvsInference-Token=${encodeURIComponent(grant.viewerToken)}`;
    for (let i = 0; i < 9; i++) {
      const ws = new WebSocket(wsUrl('seat-' + i));
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      sockets.push(ws);
    }
    await waitFor(master, () => document.getElementById('viewers').textContent === '10 viewers (up to 10)', 'the master counting 10 viewers', 20000);
    const eleventh = await context.newPage();
    eleventh.on('pageerror', e => failures.push('11th viewer page error: ' + e.message));
    await eleventh.setViewportSize({ width: 375, height: 740 });
    await eleventh.goto(link);
    await eleventh.click('#join');
    await waitFor(eleventh, () => window.kvsMeeting.connection === 'full' && window.kvsMeeting.problem === 'full', 'the meeting-full notice', 20000);
    const full = await state(eleventh, () => ({ text: document.getElementById('noticeText').textContent, focus: document.activeElement.id }));
    check(/full: it already has 10 viewers/.test(full.text) && full.focus === 'noticeAction', 'full notice: ' + JSON.stringify(full));
    await shoot(eleventh, 'meeting-viewer-full-phone.png');
    sockets.pop().close();
    await waitFor(master, () => document.getElementById('viewers').textContent === '9 viewers (up to 10)', 'a seat free', 20000);
    await eleventh.keyboard.press('Enter'); // on Try again
    await waitFor(eleventh, () => window.kvsMeeting.connection === 'connected', 'the 11th page joining once a seat was free', 30000);
    await eleventh.click('#leaveViewer');
    await waitFor(eleventh, () => window.kvsMeeting.connection === 'left' && window.kvsMeeting.problem === 'left', 'the viewer left', 20000);
    check(await eleventh.textContent('#noticeAction') === 'Join again', 'the left notice offers to join again');
    await Promise.all([eleventh.waitForEvent('load'), eleventh.click('#noticeAction')]); // the page loads anew
    await waitFor(eleventh, () => window.kvsMeeting?.connection === 'idle' && !document.getElementById('join').disabled, 'the join page again', 20000);
    for (const ws of sockets.splice(0)) ws.close();
    await waitFor(master, () => document.getElementById('viewers').textContent === '1 viewer (up to 10)', 'the seats free again', 20000);

    step('meeting ended by the master');
    await master.click('#leave');
    await waitFor(master, () => window.kvsMeeting.connection === 'ended' && window.kvsMeeting.problem === 'ended', 'the master page ended', 20000);
    await waitFor(viewer, () => window.kvsMeeting.connection === 'ended' && window.kvsMeeting.problem === 'ended', 'the viewer told the meeting ended', 20000);
    check(/has ended/.test(await viewer.textContent('#noticeText')), 'ended notice');
    await shoot(viewer, 'meeting-viewer-ended-phone.png');
    const gone = await fetch(`${server}/meeting/api/join/${code}`);
    check(gone.status === 410, 'the join link after the end answers ' + gone.status);
    check(await master.textContent('#noticeAction') === 'Start a new meeting', 'the ended notice offers a new meeting');
    await Promise.all([master.waitForEvent('load'), master.click('#noticeAction')]);
    await waitFor(master, () => window.kvsMeeting?.connection === 'idle' && document.getElementById('create').offsetParent !== null, 'the start page again', 20000);
    const late = await context.newPage();
    await late.goto(link);
    await late.click('#join');
    await waitFor(late, () => window.kvsMeeting.connection === 'ended', 'a late visitor told the meeting ended', 20000);
  });
}

main();
