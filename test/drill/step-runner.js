// Runs one invocation of a bundled Lambda asset in its own process, as the Lambda runtime would
// (require the file from the asset directory, call the exported handler), and sends back what the
// handler returned, or the error it threw as Lambda reports it (errorType, errorMessage). Plain
// JavaScript so no compiler sits between the asset and the runtime. Input on the IPC channel.
'use strict';
const path = require('path');

process.on('message', async (msg) => {
  const { assetDir, handler, event } = msg;
  const [file, exportName] = handler.split('.');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(assetDir, file));
    const result = await mod[exportName](event, { functionName: 'drill-steps', getRemainingTimeInMillis: () => 300000 });
    process.send({ ok: true, result }, () => process.exit(0));
  } catch (err) {
    process.send({ ok: false, errorType: (err && err.name) || 'Error', errorMessage: (err && err.message) || String(err) }, () => process.exit(0));
  }
});
