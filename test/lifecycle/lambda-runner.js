// Runs one Lambda invocation of a bundled asset in its own process, as the Lambda runtime would:
// require the file from the asset directory, call the exported handler with the event and a
// context, and exit 0 when the handler resolves, 1 when it throws (a function error, which makes
// Lambda retry an asynchronous invocation). Plain JavaScript so no compiler sits between the
// asset and the runtime. Input comes as JSON on the IPC channel.
//
// With `timing` in the message and an asset that exports `createHandler` (this library's
// handler), the handler is built with those timings and a response sender that also speaks plain
// http (the driver's ResponseURLs are loopback http). Without it, the exported handler runs as
// deployed: production timings, https ResponseURLs only.
'use strict';
const http = require('http');
const https = require('https');
const path = require('path');

/** PUT over http or https, as the local ResponseURL needs. Test support only. */
function localPut(url, body) {
  const parsed = new URL(url);
  const request = parsed.protocol === 'http:' ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const req = request(parsed, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: 10000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? resolve() : reject(new Error(`response PUT answered HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('response PUT timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

process.on('message', async (msg) => {
  const { assetDir, handler, event, timeoutMs, functionName, requestId, timing } = msg;
  const [file, exportName] = handler.split('.');
  const started = Date.now();
  const context = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(assetDir, file));
    const fn = timing && typeof mod.createHandler === 'function'
      ? mod.createHandler({ timing, put: localPut })
      : mod[exportName];
    await fn(event, context);
    process.exit(0);
  } catch (err) {
    process.stderr.write(`function error: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  }
});
