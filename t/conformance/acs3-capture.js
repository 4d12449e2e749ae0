'use strict';
// Run the official @alicloud/openapi-client 0.4.15 callApi() -> doRequest()
// (V3: ACS3-HMAC-SHA256 or ACS3-HMAC-SM3) with its transport stubbed, and
// return the request it would have sent: method, path, wire query, headers
// in the SDK's order, body.
//
// doRequest() calls `$tea.doAction(request_, runtime)`; openapi-client binds
// `$tea` with __importStar, whose properties are getters on the exports of
// @alicloud/tea-typescript, so replacing `doAction` on that exact module
// instance is enough. The stub never opens a socket: a call not made through
// capture() throws.
//
// x-acs-date and x-acs-signature-nonce are fixed through request.headers,
// which doRequest merges last over its own defaults (the same header order).
// The credential is a CredentialModel without providerName, so no
// x-acs-credentials-provider header (SPEC.md section 9.1). user-agent and
// accept are sent by the SDK but never signed; capture() drops them.

const path = require('path');
const querystring = require('querystring');

const clientDir = path.dirname(require.resolve('@alicloud/openapi-client'));
const from = (name) => require(require.resolve(name, { paths: [clientDir] }));
const OpenApi = require('@alicloud/openapi-client');
const tea = from('@alicloud/tea-typescript');
const TeaUtil = from('@alicloud/tea-util').default;
const CredentialModel = from('@alicloud/credentials').CredentialModel;

const MARK = '__acs3Capture';
const UNSIGNED = new Set(['user-agent', 'accept']);

if (!tea[MARK]) {
  tea.doAction = async function stubDoAction(request) {
    if (!request || !request[MARK]) {
      throw new Error('acs3-capture: network access is disabled (doAction stubbed)');
    }
    const headers = [];
    for (const [k, v] of Object.entries(request.headers || {})) {
      if (!UNSIGNED.has(k.toLowerCase())) headers.push([k, String(v)]);
    }
    const body = request.body ? (await TeaUtil.readAsString(request.body)) : null;
    const query = request.query && Object.keys(request.query).length
      ? querystring.stringify(request.query) : '';
    const err = new Error('acs3-capture: captured');
    err[MARK] = { method: request.method, path: request.pathname, query, headers, body };
    throw err;
  };
  tea[MARK] = true;
}

/**
 * @param {object} o
 *   algorithm ('ACS3-HMAC-SHA256' | 'ACS3-HMAC-SM3'), layout ('body' | 'query'),
 *   accessKeyId, accessKeySecret, securityToken (optional), host, action,
 *   version, date, nonce, params (API parameters, in wire order)
 * @returns {Promise<{method, path, query, headers: [name, value][], body}>}
 */
async function capture(o) {
  const model = new CredentialModel({
    accessKeyId: o.accessKeyId,
    accessKeySecret: o.accessKeySecret,
    securityToken: o.securityToken || undefined,
    type: o.securityToken ? 'sts' : 'access_key',
  });
  const credential = { getCredential: async () => model };
  const client = new OpenApi.default(new OpenApi.Config({
    credential,
    endpoint: o.host,
    protocol: 'HTTPS',
    signatureAlgorithm: o.algorithm || 'ACS3-HMAC-SHA256',
  }));
  const params = new OpenApi.Params({
    action: o.action || 'ResendEmailVerification',
    version: o.version,
    protocol: 'HTTPS',
    pathname: '/',
    method: 'POST',
    authType: 'AK',
    style: 'RPC',
    reqBodyType: 'formData',
    bodyType: 'json',
  });
  const req = new OpenApi.OpenApiRequest({
    headers: { 'x-acs-date': o.date, 'x-acs-signature-nonce': o.nonce },
  });
  if (o.layout === 'query') req.query = Object.assign({}, o.params);
  else req.body = Object.assign({}, o.params);
  // the request object doRequest builds reaches doAction: mark it there
  let captured = null;
  const realDoAction = tea.doAction;
  tea.doAction = async (request, rt) => {
    request[MARK] = true;
    return realDoAction(request, rt);
  };
  try {
    await client.callApi(params, req, {});
  } catch (e) {
    if (e && e[MARK]) captured = e[MARK];
    else throw e;
  } finally {
    tea.doAction = realDoAction;
  }
  if (!captured) throw new Error('acs3-capture: the SDK sent nothing');
  return captured;
}

module.exports = { capture };
