// Checks the meeting page's WebM writer (src/KvsInference.Meeting/wwwroot/webm-writer.js) with real Opus packets and
// real readers: ffmpeg's libopus encodes a tone and speech-like noise in 20 ms frames to Ogg, the packets are taken
// out of the Ogg pages and written again as WebM; ffmpeg must decode the WebM to the same samples as the Ogg, ffprobe
// must see every packet at its timecode (also across a gap), and mkvinfo must see a Cluster start at least every
// clusterMs. Bad input must be refused with a message naming it.
// Usage: node webm-writer.test.js [path of webm-writer.js]. Prints `RESULT {...}`; exits 0 when every check passed.
'use strict';
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const modulePath = process.argv[2] || path.join(__dirname, '../../src/KvsInference.Meeting/wwwroot/webm-writer.js');
const WebmWriter = require(modulePath);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webm-writer-'));
const run = (file, args) => execFileSync(file, args, { maxBuffer: 64 << 20 });

// The Opus packets of an Ogg Opus file (RFC 7845): the first is OpusHead, the second OpusTags, the rest audio. Packets
// may continue across pages (a lacing value of 255 continues the packet).
function oggPackets(bytes) {
  const packets = [];
  let at = 0, partial = [];
  while (at < bytes.length) {
    assert.equal(bytes.toString('latin1', at, at + 4), 'OggS', `no Ogg page at byte ${at}`);
    const segments = bytes[at + 26];
    const lacing = bytes.subarray(at + 27, at + 27 + segments);
    let body = at + 27 + segments;
    for (const n of lacing) {
      partial.push(bytes.subarray(body, body + n));
      body += n;
      if (n < 255) { packets.push(Buffer.concat(partial)); partial = []; }
    }
    at = body;
  }
  return packets;
}

const ogg = path.join(dir, 'in.ogg');
run('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=f=220:d=3,volume=0.5', '-f', 'lavfi', '-i', 'anoisesrc=d=3:c=pink:a=0.1',
  '-filter_complex', 'amix=inputs=2', '-ar', '48000', '-ac', '1', '-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', ogg]);
const [opusHead, , ...packets] = oggPackets(fs.readFileSync(ogg));

function write(timecodes, options = {}) {
  const writer = new WebmWriter({ opusHead: new Uint8Array(opusHead), channels: 1, ...options });
  const parts = [Buffer.from(writer.header())];
  packets.forEach((p, i) => parts.push(Buffer.from(writer.block(timecodes(i), new Uint8Array(p)))));
  const file = path.join(dir, `out-${Math.random().toString(36).slice(2)}.webm`);
  fs.writeFileSync(file, Buffer.concat(parts));
  return file;
}

const pcm = file => run('ffmpeg', ['-loglevel', 'error', '-i', file, '-f', 's16le', '-ac', '1', '-ar', '48000', '-']);
// ffprobe puts each packet the codec delay (the OpusHead's pre-skip, 6.5 ms here) before its timecode.
const packetTimes = file => JSON.parse(run('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time', '-of', 'json', file]))
  .packets.map(p => Number(p.pts_time) * 1000 + (opusHead[10] | (opusHead[11] << 8)) / 48);

const checks = [];
function check(name, fn) {
  try { fn(); checks.push({ name, ok: true }); } catch (e) { checks.push({ name, ok: false, error: e.message }); }
}

check('ffmpeg decodes the WebM to the same samples as the Ogg it came from', () => {
  assert.ok(packets.length >= 145, `only ${packets.length} packets in the Ogg`);
  const fromOgg = pcm(ogg), fromWebm = pcm(write(i => i * 20));
  // The Ogg's last granule position trims the encoder's padding at the end; the WebM keeps it (no DiscardPadding).
  assert.ok(fromWebm.length >= fromOgg.length && fromWebm.length <= fromOgg.length + 2 * 48 * 40, `decoded ${fromWebm.length} bytes, the Ogg ${fromOgg.length}`);
  assert.ok(fromWebm.subarray(0, fromOgg.length).equals(fromOgg), 'decoded samples differ');
});

check('every packet is at its timecode, also after a gap', () => {
  const at = i => i * 20 + (i >= 50 ? 700 : 0); // 700 ms of lost capture after packet 50
  const times = packetTimes(write(at));
  assert.equal(times.length, packets.length);
  times.forEach((t, i) => assert.ok(Math.abs(t - at(i)) < 0.6, `packet ${i} at ${t} ms, not ${at(i)}`));
});

check('a Cluster starts at least every clusterMs, and no sooner', () => {
  const info = run('mkvinfo', ['-v', '-v', write(i => i * 20, { clusterMs: 200 })]).toString();
  const starts = [...info.matchAll(/Cluster timestamp: (\d+):(\d+):([\d.]+)/g)].map(m => Math.round((Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000));
  assert.equal(starts.length, Math.ceil(packets.length * 20 / 200), `cluster starts ${starts.join(',')}`);
  starts.forEach((t, i) => assert.equal(t, i * 200));
  assert.match(info, /Codec ID: A_OPUS/);
  assert.match(info, /Codec-inherent delay: 00:00:00.006500000/);
});

check('a header that is not OpusHead, a packet before the previous one and a negative timecode are refused, naming them', () => {
  assert.throws(() => new WebmWriter({ opusHead: new Uint8Array(19), channels: 1 }), /opusHead is not an Opus identification header/);
  assert.throws(() => new WebmWriter({ opusHead: new Uint8Array(opusHead), channels: 3 }), /channels 3 is not 1 or 2/);
  const writer = new WebmWriter({ opusHead: new Uint8Array(opusHead), channels: 1 });
  writer.block(100, new Uint8Array(packets[0]));
  assert.throws(() => writer.block(80, new Uint8Array(packets[1])), /timecode 80 ms comes before the previous packet's 100 ms/);
  assert.throws(() => writer.block(-1, new Uint8Array(packets[1])), /timecode -1 is not a whole number/);
});

fs.rmSync(dir, { recursive: true, force: true });
const failed = checks.filter(c => !c.ok);
console.log('RESULT ' + JSON.stringify({ passed: checks.length - failed.length, failed }));
process.exit(failed.length === 0 ? 0 : 1);
