// A streaming WebM writer for one Opus audio track, what the master's upload sends to the media store's PutMedia
// (upload-encoder.js): the EBML header, a Segment and its Clusters of unknown size (the writer never goes back), the
// track with the encoder's OpusHead, and one SimpleBlock per Opus packet, each handed out as soon as it is written.
// Chromium's MediaRecorder writes the same layout, but with 60 ms Opus frames it cannot be told to shorten; WebCodecs'
// AudioEncoder makes 20 ms ones, which leave the page 40 ms sooner.
// A Cluster starts at the first packet clusterMs or more after the previous one began: the store makes one fragment of
// each, and KVS takes at most 5 fragments per second per stream. Timecodes are in ms (TimecodeScale 1 ms).
// Plain logic without the DOM, so that node can test it (tools/node-tests/webm-writer.test.js).
'use strict';
(function (global) {
  const UNKNOWN_SIZE = [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

  // An EBML element: its ID's bytes, a size as a variable-length integer (8 bytes: simple, and every reader takes it)
  // and the body.
  function element(id, body) {
    const size = body.length;
    const head = [...id, 0x01, 0, 0, Math.floor(size / 2 ** 32) & 0xff, (size >>> 24) & 0xff, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff];
    return concat([Uint8Array.from(head), body]);
  }

  // An unsigned integer in as few big-endian bytes as hold it (at least one).
  function uint(id, value) {
    const bytes = [];
    let v = value;
    do { bytes.unshift(v % 256); v = Math.floor(v / 256); } while (v > 0);
    return element(id, Uint8Array.from(bytes));
  }

  const text = (id, s) => element(id, new TextEncoder().encode(s));

  function float64(id, value) {
    const body = new Uint8Array(8);
    new DataView(body.buffer).setFloat64(0, value);
    return element(id, body);
  }

  function concat(parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  // opusHead: the encoder's decoder description (RFC 7845's identification header: "OpusHead", version, channels,
  // pre-skip, input rate, gain, mapping), which Matroska's A_OPUS keeps as CodecPrivate.
  function WebmWriter({ opusHead, channels, clusterMs = 1000, muxingApp = 'KvsInference' }) {
    if (!(opusHead instanceof Uint8Array) || opusHead.length < 19 || new TextDecoder().decode(opusHead.subarray(0, 8)) !== 'OpusHead') {
      throw new Error('WebmWriter: opusHead is not an Opus identification header (it must start with "OpusHead" and hold at least 19 bytes)');
    }
    if (!(channels >= 1 && channels <= 2)) throw new Error(`WebmWriter: channels ${channels} is not 1 or 2`);
    this.opusHead = opusHead;
    this.channels = channels;
    this.clusterMs = clusterMs;
    this.muxingApp = muxingApp;
    this.clusterStartMs = null;
    this.lastMs = null;
  }

  // The file's start: EBML header, the Segment's start, Info and Tracks.
  WebmWriter.prototype.header = function () {
    const preSkip = this.opusHead[10] | (this.opusHead[11] << 8);
    const ebml = element([0x1a, 0x45, 0xdf, 0xa3], concat([
      uint([0x42, 0x86], 1), uint([0x42, 0xf7], 1), uint([0x42, 0xf2], 4), uint([0x42, 0xf3], 8),
      text([0x42, 0x82], 'webm'), uint([0x42, 0x87], 4), uint([0x42, 0x85], 2),
    ]));
    const segment = Uint8Array.from([0x18, 0x53, 0x80, 0x67, ...UNKNOWN_SIZE]);
    const info = element([0x15, 0x49, 0xa9, 0x66], concat([
      uint([0x2a, 0xd7, 0xb1], 1000000), text([0x4d, 0x80], this.muxingApp), text([0x57, 0x41], this.muxingApp),
    ]));
    const track = element([0xae], concat([
      uint([0xd7], 1), uint([0x73, 0xc5], 1), uint([0x83], 2), text([0x86], 'A_OPUS'),
      element([0x63, 0xa2], this.opusHead),
      // The decoder drops the encoder's pre-skip (CodecDelay, ns); SeekPreRoll is the 80 ms RFC 7845 recommends.
      uint([0x56, 0xaa], Math.round(preSkip * 1e9 / 48000)), uint([0x56, 0xbb], 80000000),
      element([0xe1], concat([float64([0xb5], 48000), uint([0x9f], this.channels)])),
    ]));
    return concat([ebml, segment, info, element([0x16, 0x54, 0xae, 0x6b], track)]);
  };

  // One Opus packet at timecodeMs (an integer, not before the previous packet's): its SimpleBlock, after a new
  // Cluster's start when one is due.
  WebmWriter.prototype.block = function (timecodeMs, packet) {
    if (!Number.isInteger(timecodeMs) || timecodeMs < 0) throw new Error(`WebmWriter: timecode ${timecodeMs} is not a whole number of ms >= 0`);
    if (this.lastMs !== null && timecodeMs < this.lastMs) throw new Error(`WebmWriter: timecode ${timecodeMs} ms comes before the previous packet's ${this.lastMs} ms`);
    this.lastMs = timecodeMs;
    const parts = [];
    if (this.clusterStartMs === null || timecodeMs - this.clusterStartMs >= this.clusterMs) {
      this.clusterStartMs = timecodeMs;
      parts.push(Uint8Array.from([0x1f, 0x43, 0xb6, 0x75, ...UNKNOWN_SIZE]), uint([0xe7], timecodeMs));
    }
    const relative = timecodeMs - this.clusterStartMs; // under clusterMs (else a Cluster would have started): an int16
    const body = new Uint8Array(4 + packet.length);
    body[0] = 0x81; // track 1
    body[1] = (relative >> 8) & 0xff;
    body[2] = relative & 0xff;
    body[3] = 0x80; // keyframe: every Opus packet decodes on its own
    body.set(packet, 4);
    parts.push(element([0xa3], body));
    return concat(parts);
  };

  if (typeof module !== 'undefined' && module.exports) module.exports = WebmWriter;
  else global.KvsWebmWriter = WebmWriter;
})(typeof window !== 'undefined' ? window : globalThis);
