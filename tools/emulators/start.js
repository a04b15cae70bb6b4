// Starts dynalite (DynamoDB) and kinesalite (Kinesis) on 127.0.0.1 only (the kinesalite CLI binds
// every interface), on free ports, and prints one JSON line {"dynamodb":url,"kinesis":url}.
// Stops when its standard input closes or on SIGTERM/SIGINT, so a test process that dies takes it along.
const dynalite = require('dynalite');
const kinesalite = require('kinesalite');

const host = '127.0.0.1';
const ddb = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
const kin = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
const want = (name) => Number(process.env[name] || 0);

ddb.listen(want('DYNAMODB_PORT'), host, () => {
  kin.listen(want('KINESIS_PORT'), host, () => {
    console.log(JSON.stringify({
      dynamodb: `http://${host}:${ddb.address().port}`,
      kinesis: `http://${host}:${kin.address().port}`,
    }));
  });
});

const stop = () => { ddb.close(); kin.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (!process.env.EMULATORS_DETACHED) {
  process.stdin.resume();
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
}
