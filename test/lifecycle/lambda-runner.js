// Runs one Lambda invocation of a bundled asset in its own process, as the Lambda runtime would:
// require the file from the asset directory, call the exported handler with the event and a
// context, and exit 0 when the handler resolves, 1 when it throws (a function error, which makes
// Lambda retry an asynchronous invocation). Plain JavaScript so no compiler sits between the
// asset and the runtime. Input comes as JSON on the IPC channel.
'use strict';
const path = require('path');

process.on('message', async (msg) => {
  const { assetDir, handler, event, timeoutMs, functionName, requestId } = msg;
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
    await mod[exportName](event, context);
    process.exit(0);
  } catch (err) {
    process.stderr.write(`function error: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  }
});
