// Records the fake microphone (a WAV file) with Chromium's MediaRecorder and writes the WebM bytes exactly as the
// browser produced them. Usage: node record.js <speech.wav> <out.webm> [seconds]
// getUserMedia needs a secure context: the page comes from a tiny http server on 127.0.0.1, which counts as one.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const [wav, out, secondsArg] = process.argv.slice(2);
if (!wav || !out) {
  console.error('usage: node record.js <speech.wav> <out.webm> [seconds]');
  process.exit(2);
}
const seconds = Number(secondsArg ?? '4');

const page = `<!doctype html><meta charset="utf-8"><title>record</title>
<script>
async function record(ms, timeslice) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const recorder = new MediaRecorder(stream, { mimeType: 'audio/webm;codecs=opus' });
  const chunks = [];
  recorder.ondataavailable = e => { if (e.data.size > 0) chunks.push(e.data); };
  const stopped = new Promise(resolve => { recorder.onstop = resolve; });
  recorder.start(timeslice);
  await new Promise(resolve => setTimeout(resolve, ms));
  recorder.stop();
  await stopped;
  stream.getTracks().forEach(t => t.stop());
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { mimeType: recorder.mimeType, chunks: chunks.length, base64: btoa(binary) };
}
</script>`;

async function main() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-recorder-'));
  let context;
  try {
    // Playwright takes the profile folder itself (it refuses a --user-data-dir argument): a fresh one per run.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync',
        '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-audio-capture=${path.resolve(wav)}`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    const tab = context.pages()[0] ?? await context.newPage();
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    const result = await tab.evaluate(([ms, slice]) => record(ms, slice), [seconds * 1000, 1000]);
    const bytes = Buffer.from(result.base64, 'base64');
    fs.writeFileSync(out, bytes);
    console.log(`${out}: ${bytes.length} bytes, ${result.mimeType}, ${result.chunks} dataavailable chunks, ` +
      `Chromium ${context.browser()?.version() ?? await tab.evaluate(() => navigator.userAgent)}`);
  } finally {
    if (context) await context.close();
    server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().catch(e => { console.error(e); process.exit(1); });
