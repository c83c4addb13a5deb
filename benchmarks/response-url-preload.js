// Preloaded (NODE_OPTIONS=--require) into aws-cdk-lib's AwsCustomResource handler for local runs
// only. That handler answers CloudFormation with https.request({ hostname, path }) built from
// url.parse(ResponseURL): always HTTPS on port 443, the URL's scheme and port dropped. The
// lifecycle driver's ResponseURL is plain HTTP on a loopback port, so a request for the loopback
// host that the last parsed loopback URL names goes there over HTTP instead. Nothing else changes.
'use strict';
const http = require('http');
const https = require('https');
const url = require('url');

let lastLoopbackUrl;
const parse = url.parse;
url.parse = function (...args) {
  const parsed = parse.apply(this, args);
  if (parsed.protocol === 'http:' && parsed.hostname === '127.0.0.1') lastLoopbackUrl = parsed;
  return parsed;
};

const request = https.request;
https.request = function (options, ...rest) {
  if (lastLoopbackUrl && options && typeof options === 'object' && options.hostname === '127.0.0.1' && !options.port) {
    return http.request({ ...options, port: lastLoopbackUrl.port }, ...rest);
  }
  return request.call(this, options, ...rest);
};
