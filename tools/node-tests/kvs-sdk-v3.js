// The AWS SDK for JavaScript v3 KVS clients, unchanged, against KvsInference's local stand-ins: the media store
// (`media serve`: kinesisvideo control plane, kinesis-video-media, kinesis-video-archived-media) and the signaling
// server (`peer`: signaling-channel control plane, kinesis-video-signaling).
// Usage: node kvs-sdk-v3.js <config.json>
//   config: { storeEndpoint, signalingEndpoint, region, accessKeyId, secretAccessKey, mediaStream, fragmentCount }
//   mediaStream must already hold fragmentCount fragments (the test puts them with PutMedia, which SDK v3 lacks).
// Prints one "ok <check>" line per passed check and exits 0; prints "FAIL <check>: <why>" and exits 1 otherwise.
'use strict';
const fs = require('fs');
const kv = require('@aws-sdk/client-kinesis-video');
const media = require('@aws-sdk/client-kinesis-video-media');
const archived = require('@aws-sdk/client-kinesis-video-archived-media');
const signaling = require('@aws-sdk/client-kinesis-video-signaling');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const common = {
  region: config.region,
  credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
  maxAttempts: 1,
};
let current = 'start';

function assert(condition, why) {
  if (!condition) throw new Error(why);
}

async function check(name, body) {
  current = name;
  await body();
  console.log('ok ' + name);
}

async function expectError(name, promise) {
  try {
    await promise;
  } catch (e) {
    assert(e.name === name, `expected ${name}, got ${e.name}: ${e.message}`);
    assert(e.$metadata && e.$metadata.httpStatusCode >= 400, `no HTTP status on ${e.name}`);
    return e;
  }
  throw new Error(`expected ${name}, the call succeeded`);
}

async function readAll(payload) {
  const bytes = await payload.transformToByteArray();
  return Buffer.from(bytes);
}

async function store() {
  const control = new kv.KinesisVideoClient({ ...common, endpoint: config.storeEndpoint });
  let arn;
  await check('CreateStream', async () => {
    const out = await control.send(new kv.CreateStreamCommand({ StreamName: 'sdk-1', DataRetentionInHours: 24, MediaType: 'audio/webm', Tags: { team: 'avatar' } }));
    arn = out.StreamARN;
    assert(/^arn:aws:kinesisvideo:/.test(arn), `StreamARN ${arn}`);
    await control.send(new kv.CreateStreamCommand({ StreamName: 'sdk-2' }));
  });
  let version;
  await check('DescribeStream', async () => {
    const out = await control.send(new kv.DescribeStreamCommand({ StreamARN: arn }));
    assert(out.StreamInfo.StreamName === 'sdk-1' && out.StreamInfo.Status === 'ACTIVE', JSON.stringify(out.StreamInfo));
    assert(out.StreamInfo.CreationTime instanceof Date && !isNaN(out.StreamInfo.CreationTime), `CreationTime ${out.StreamInfo.CreationTime}`);
    version = out.StreamInfo.Version;
  });
  await check('ListStreams paged by NextToken', async () => {
    const names = [];
    let pages = 0;
    for await (const page of kv.paginateListStreams({ client: control, pageSize: 1 }, { StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'sdk-' } })) {
      pages++;
      names.push(...page.StreamInfoList.map((s) => s.StreamName));
    }
    assert(JSON.stringify(names) === '["sdk-1","sdk-2"]' && pages >= 2, `names ${names}, pages ${pages}`);
  });
  await check('TagStream, UntagStream, ListTagsForStream', async () => {
    await control.send(new kv.TagStreamCommand({ StreamName: 'sdk-1', Tags: { room: '7' } }));
    await control.send(new kv.UntagStreamCommand({ StreamARN: arn, TagKeyList: ['team'] }));
    const out = await control.send(new kv.ListTagsForStreamCommand({ StreamName: 'sdk-1' }));
    assert(JSON.stringify(out.Tags) === '{"room":"7"}', JSON.stringify(out.Tags));
  });
  await check('UpdateDataRetention', async () => {
    await control.send(new kv.UpdateDataRetentionCommand({ StreamName: 'sdk-1', CurrentVersion: version, Operation: 'DECREASE_DATA_RETENTION', DataRetentionChangeInHours: 4 }));
    const out = await control.send(new kv.DescribeStreamCommand({ StreamName: 'sdk-1' }));
    assert(out.StreamInfo.DataRetentionInHours === 20, `retention ${out.StreamInfo.DataRetentionInHours}`);
  });
  let dataEndpoint;
  await check('GetDataEndpoint', async () => {
    for (const api of ['GET_MEDIA', 'LIST_FRAGMENTS', 'GET_MEDIA_FOR_FRAGMENT_LIST', 'PUT_MEDIA']) {
      const out = await control.send(new kv.GetDataEndpointCommand({ StreamName: config.mediaStream, APIName: api }));
      assert(/^https?:\/\//.test(out.DataEndpoint), `DataEndpoint ${out.DataEndpoint}`);
      dataEndpoint = out.DataEndpoint;
    }
  });
  await check('DeleteStream', async () => {
    const described = await control.send(new kv.DescribeStreamCommand({ StreamName: 'sdk-2' }));
    await control.send(new kv.DeleteStreamCommand({ StreamARN: described.StreamInfo.StreamARN, CurrentVersion: described.StreamInfo.Version }));
    await expectError('ResourceNotFoundException', control.send(new kv.DescribeStreamCommand({ StreamName: 'sdk-2' })));
  });
  await check('control-plane errors', async () => {
    await expectError('ResourceNotFoundException', control.send(new kv.DescribeStreamCommand({ StreamName: 'nope' })));
    await expectError('ResourceNotFoundException', control.send(new kv.ListTagsForStreamCommand({ StreamName: 'nope' })));
    await expectError('ResourceNotFoundException', control.send(new kv.GetDataEndpointCommand({ StreamName: 'nope', APIName: 'GET_MEDIA' })));
    await expectError('ResourceInUseException', control.send(new kv.CreateStreamCommand({ StreamName: 'sdk-1' })));
  });

  const archive = new archived.KinesisVideoArchivedMediaClient({ ...common, endpoint: dataEndpoint });
  let numbers = [];
  await check('ListFragments paged by NextToken', async () => {
    let pages = 0;
    for await (const page of archived.paginateListFragments({ client: archive, pageSize: 1 }, { StreamName: config.mediaStream })) {
      pages++;
      for (const f of page.Fragments) {
        assert(typeof f.FragmentNumber === 'string' && f.ServerTimestamp instanceof Date && typeof f.FragmentSizeInBytes === 'number', JSON.stringify(f));
        numbers.push(f.FragmentNumber);
      }
    }
    assert(numbers.length === config.fragmentCount && pages >= config.fragmentCount, `fragments ${numbers.length}/${config.fragmentCount}, pages ${pages}`);
    assert(new Set(numbers).size === numbers.length, 'duplicate fragment numbers across pages');
  });
  await check('GetMediaForFragmentList', async () => {
    const out = await archive.send(new archived.GetMediaForFragmentListCommand({ StreamName: config.mediaStream, Fragments: [numbers[0], numbers[numbers.length - 1]] }));
    const bytes = await readAll(out.Payload);
    assert(bytes.length > 0 && bytes.readUInt32BE(0) === 0x1a45dfa3, `payload of ${bytes.length} bytes`);
  });
  await check('GetMedia', async () => {
    const client = new media.KinesisVideoMediaClient({ ...common, endpoint: dataEndpoint });
    const out = await client.send(new media.GetMediaCommand({ StreamName: config.mediaStream, StartSelector: { StartSelectorType: 'EARLIEST' } }));
    assert(out.ContentType === 'video/webm', `ContentType ${out.ContentType}`);
    const bytes = await readAll(out.Payload);
    assert(bytes.length > 0 && bytes.readUInt32BE(0) === 0x1a45dfa3, `payload of ${bytes.length} bytes`);
    await expectError('ResourceNotFoundException', client.send(new media.GetMediaCommand({ StreamName: 'nope', StartSelector: { StartSelectorType: 'NOW' } })));
  });
  await check('data-plane errors', async () => {
    await expectError('ResourceNotFoundException', archive.send(new archived.ListFragmentsCommand({ StreamName: 'nope' })));
    await expectError('ResourceNotFoundException', archive.send(new archived.GetMediaForFragmentListCommand({ StreamName: 'nope', Fragments: ['1'] })));
  });
}

async function signalingChannels() {
  const control = new kv.KinesisVideoClient({ ...common, endpoint: config.signalingEndpoint });
  let arn;
  await check('CreateSignalingChannel', async () => {
    arn = (await control.send(new kv.CreateSignalingChannelCommand({ ChannelName: 'sdk-room' }))).ChannelARN;
    assert(/^arn:aws:kinesisvideo:.*:channel\/sdk-room\//.test(arn), `ChannelARN ${arn}`);
    await expectError('ResourceInUseException', control.send(new kv.CreateSignalingChannelCommand({ ChannelName: 'sdk-room' })));
  });
  await check('DescribeSignalingChannel', async () => {
    const out = await control.send(new kv.DescribeSignalingChannelCommand({ ChannelName: 'sdk-room' }));
    assert(out.ChannelInfo.ChannelARN === arn && out.ChannelInfo.CreationTime instanceof Date, JSON.stringify(out.ChannelInfo));
    await expectError('ResourceNotFoundException', control.send(new kv.DescribeSignalingChannelCommand({ ChannelARN: arn + '0' })));
  });
  await check('ListSignalingChannels', async () => {
    const out = await control.send(new kv.ListSignalingChannelsCommand({}));
    assert(out.ChannelInfoList.some((c) => c.ChannelARN === arn), JSON.stringify(out.ChannelInfoList));
  });
  await check('ListSignalingChannels paged by NextToken', async () => {
    await control.send(new kv.CreateSignalingChannelCommand({ ChannelName: 'sdk-room-2' }));
    const names = [];
    let pages = 0;
    for await (const page of kv.paginateListSignalingChannels({ client: control, pageSize: 1 }, { ChannelNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'sdk-room' } })) {
      pages++;
      names.push(...page.ChannelInfoList.map((c) => c.ChannelName));
    }
    assert(JSON.stringify(names) === '["sdk-room","sdk-room-2"]' && pages >= 2, `names ${names}, pages ${pages}`);
    await expectError('InvalidArgumentException', control.send(new kv.ListSignalingChannelsCommand({ NextToken: '!not-ours!' })));
  });
  let https;
  await check('GetSignalingChannelEndpoint', async () => {
    const out = await control.send(new kv.GetSignalingChannelEndpointCommand({
      ChannelARN: arn,
      SingleMasterChannelEndpointConfiguration: { Protocols: ['WSS', 'HTTPS'], Role: 'VIEWER' },
    }));
    const byProtocol = Object.fromEntries(out.ResourceEndpointList.map((e) => [e.Protocol, e.ResourceEndpoint]));
    assert(byProtocol.WSS && byProtocol.HTTPS, JSON.stringify(out.ResourceEndpointList));
    https = byProtocol.HTTPS;
  });
  await check('GetIceServerConfig', async () => {
    const client = new signaling.KinesisVideoSignalingClient({ ...common, endpoint: https });
    const out = await client.send(new signaling.GetIceServerConfigCommand({ ChannelARN: arn, ClientId: 'viewer-1' }));
    assert(out.IceServerList.length > 0 && out.IceServerList[0].Uris.length > 0, JSON.stringify(out.IceServerList));
    await expectError('ResourceNotFoundException', client.send(new signaling.GetIceServerConfigCommand({ ChannelARN: arn + '0' })));
  });
  await check('wrong secret key refused', async () => {
    const wrong = new kv.KinesisVideoClient({ ...common, endpoint: config.signalingEndpoint, credentials: { accessKeyId: config.accessKeyId, secretAccessKey: 'wrong' } });
    try {
      await wrong.send(new kv.ListSignalingChannelsCommand({}));
    } catch (e) {
      assert(e.$metadata && e.$metadata.httpStatusCode === 403, `status ${e.$metadata && e.$metadata.httpStatusCode}`);
      return;
    }
    throw new Error('a call signed with the wrong secret succeeded');
  });
  await check('DeleteSignalingChannel', async () => {
    await control.send(new kv.DeleteSignalingChannelCommand({ ChannelARN: arn }));
    await expectError('ResourceNotFoundException', control.send(new kv.DescribeSignalingChannelCommand({ ChannelARN: arn })));
  });
}

(async () => {
  await store();
  await signalingChannels();
})().then(() => process.exit(0), (e) => {
  console.log(`FAIL ${current}: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
