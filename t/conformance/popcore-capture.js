'use strict';
// Run the official @alicloud/pop-core 1.8.0 RPCClient with its HTTP transport
// stubbed, and return the request it would have sent (url, headers, body).
//
// pop-core's lib/rpc.js does `const httpx = require('httpx')` and later calls
// `httpx.request(url, opts)` then `httpx.read(response)`. Both are looked up on
// the module's exports object at call time, so replacing those two properties
// on the exact httpx module instance that rpc.js resolves is enough. The stub
// never opens a socket: an unmarked call (anything not made through capture())
// throws instead of falling back to the real transport.

const path = require('path');

const RPCClient = require('@alicloud/pop-core').RPCClient;
const rpcDir = path.dirname(require.resolve('@alicloud/pop-core/lib/rpc.js'));
const httpx = require(require.resolve('httpx', { paths: [rpcDir] }));

const MARK = '__popcoreCapture';

if (!httpx[MARK]) {
  httpx.request = async function stubRequest(url, opts) {
    if (!opts || !opts[MARK]) throw new Error('popcore-capture: network access is disabled (httpx.request stubbed)');
    const capture = {
      url,
      method: opts.method || 'GET',
      headers: Object.assign({}, opts.headers),
      body: opts.data === undefined ? null : opts.data,
    };
    return {
      statusCode: 200,
      headers: {},
      req: { getHeaders: () => capture.headers },
      [MARK]: capture,
    };
  };
  httpx.read = async function stubRead(response) {
    if (!response || !response[MARK]) throw new Error('popcore-capture: network access is disabled (httpx.read stubbed)');
    // pop-core JSON.parse()s this and returns it to the caller.
    return Buffer.from(JSON.stringify({ RequestId: 'POPCORE-CAPTURE', [MARK]: response[MARK] }));
  };
  httpx[MARK] = true;
}

/**
 * @param {object} o
 *   accessKeyId, accessKeySecret, securityToken (optional), apiVersion,
 *   endpoint (default https://domain.aliyuncs.com), action (default
 *   ResendEmailVerification), params (API params + Timestamp/SignatureNonce),
 *   method ('POST' | 'GET', default 'POST')
 * @returns {Promise<{url, method, headers, body}>}
 */
async function capture(o) {
  const config = {
    endpoint: o.endpoint || 'https://domain.aliyuncs.com',
    apiVersion: o.apiVersion || '2018-01-29',
    accessKeyId: o.accessKeyId,
    accessKeySecret: o.accessKeySecret,
  };
  if (o.securityToken) config.securityToken = o.securityToken;
  const client = new RPCClient(config);
  const json = await client.request(o.action || 'ResendEmailVerification', o.params || {},
    { method: o.method || 'POST', [MARK]: true });
  return json[MARK];
}

module.exports = { capture };
