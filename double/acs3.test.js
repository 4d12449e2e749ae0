'use strict';
// Self-test of the double's V3 (ACS3) path: requests built by the official
// @alicloud/openapi-client 0.4.15 (t/conformance/acs3-capture.js, transport
// stubbed) are sent, byte for byte, over real HTTP to the double on
// 127.0.0.1; then the faults a gateway must see: a wrong secret, a body or
// Host changed after signing, an unsigned x-acs header, STS tokens, replays.
//
//   node --test double/

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');

const OpenApiUtil = require('@alicloud/openapi-util').default;
const { createDouble } = require('./server.js');
const { capture } = require('../t/conformance/acs3-capture.js');

const KEY = { id: 'LTAI5tTestOnlyKeyId0001', secret: 'TestOnlySecret0123456789abcdef' };
const STS = { id: 'STS.SelfTestKeyId0002', secret: 'StsSelfTestSecret0123456789', token: 'CAIS.selftest/token+with=chars' };
const agent = new http.Agent({ keepAlive: false });

let server;
let port;

function nowTs(offsetSec = 0) {
  return new Date(Date.now() + offsetSec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function build(o = {}) {
  const key = o.key || KEY;
  return capture({
    algorithm: o.algorithm || 'ACS3-HMAC-SHA256',
    layout: o.layout || 'body',
    accessKeyId: key.id,
    accessKeySecret: o.secret || key.secret,
    securityToken: o.token === undefined ? key.token : o.token,
    host: o.host || 'domain.aliyuncs.com',
    version: o.version || '2018-01-29',
    date: o.date || nowTs(),
    nonce: o.nonce || crypto.randomBytes(16).toString('hex'),
    params: o.params || { Email: 'alice@example.com', Lang: 'en' },
  });
}

function send(w, edit = {}) {
  const headers = {};
  for (const [k, v] of w.headers) headers[k] = v;
  Object.assign(headers, edit.headers || {});
  for (const [k, v] of Object.entries(headers)) if (v === null) delete headers[k];
  const body = edit.body !== undefined ? edit.body : w.body;
  const path = w.path + (w.query ? '?' + w.query : '');
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: w.method, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.on('error', reject);
    req.end(body === null ? undefined : body);
  });
}

// what the SDK signed, from its request alone
function clientStringToSign(w, alg) {
  const h = Object.fromEntries(w.headers);
  const names = Object.keys(h).filter((n) => n === 'host' || n === 'content-type' || n.startsWith('x-acs-')).sort();
  const q = w.query ? Object.fromEntries(new URLSearchParams(w.query)) : {};
  const cq = Object.keys(q).sort().map((k) => k + '=' + encodeURIComponent(q[k])
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())).join('&');
  const cr = `POST\n/\n${cq}\n${names.map((n) => `${n}:${h[n]}\n`).join('')}\n${names.join(';')}\n${h['x-acs-content-sha256']}`;
  return `${alg}\n${OpenApiUtil.hexEncode(OpenApiUtil.hash(Buffer.from(cr), alg))}`;
}

function assertError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.ok(r.json, r.text);
  assert.equal(r.json.Code, code, r.text);
  assert.deepEqual(Object.keys(r.json), ['RequestId', 'HostId', 'Code', 'Message', 'Recommend']);
}

test.before(async () => {
  server = createDouble({
    keys: [{ id: KEY.id, secret: KEY.secret }, { id: STS.id, secret: STS.secret, token: STS.token }],
    versions: ['2018-01-29', '2017-12-18'],
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  port = server.address().port;
});

test.after(() => new Promise((r) => server.close(r)));

for (const algorithm of ['ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3']) {
  for (const layout of ['body', 'query']) {
    test(`${algorithm}, ${layout} layout: accepted, the addresses answered`, async () => {
      const w = await build({ algorithm, layout, params: { Email: 'a+tag@example.com,quota@example.com', Lang: 'en' } });
      const r = await send(w);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.SuccessList, [{ Code: 'Success', Message: 'Success', Email: 'a+tag@example.com' }]);
      assert.equal(r.json.FailList[0].Code, 'SendTokenQuotaExceeded');
    });
  }
}

test('the international version is accepted by a double that serves it', async () => {
  const r = await send(await build({ host: 'domain-intl.aliyuncs.com', version: '2017-12-18' }));
  assert.equal(r.status, 200, r.text);
});

test('STS: the token is checked', async () => {
  assert.equal((await send(await build({ key: STS }))).status, 200);
  assertError(await send(await build({ key: STS, token: null })), 400, 'MissingSecurityToken');
  assertError(await send(await build({ key: STS, token: 'another' })), 400,
    'InvalidSecurityToken.MismatchWithAccessKey');
  assertError(await send(await build({ token: 'not-an-sts-key' })), 400,
    'InvalidSecurityToken.MismatchWithAccessKey');
});

test('a wrong secret: SignatureDoesNotMatch, with the server string to sign', async () => {
  for (const algorithm of ['ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3']) {
    const w = await build({ algorithm, secret: 'not-the-secret' });
    const r = await send(w);
    assertError(r, 400, 'SignatureDoesNotMatch');
    assert.equal(r.json.Message, 'Specified signature is not matched with our calculation. '
      + 'server string to sign is:' + clientStringToSign(w, algorithm));
  }
});

test('a body changed after signing (the same length) does not verify', async () => {
  const w = await build();
  assertError(await send(w, { body: w.body.replace('alice', 'alicf') }), 400, 'SignatureDoesNotMatch');
});

test('a Host other than the one signed does not verify', async () => {
  const w = await build();
  assertError(await send(w, { headers: { host: `127.0.0.1:${port}` } }), 400, 'SignatureDoesNotMatch');
});

test('an x-acs header sent but not signed: IncompleteSignature', async () => {
  const w = await build();
  const r = await send(w, { headers: { 'x-acs-extra': '1' } });
  assertError(r, 400, 'IncompleteSignature');
  assert.match(r.json.Message, / server string to sign is:ACS3-HMAC-SHA256\n[0-9a-f]{64}$/);
});

test('a malformed Authorization, another algorithm, a missing header', async () => {
  const w = await build();
  const auth = Object.fromEntries(w.headers).Authorization;
  assertError(await send(w, { headers: { Authorization: auth.replace(',SignedHeaders', ', SignedHeaders') } }),
    400, 'IncompleteSignature');
  assertError(await send(w, { headers: { Authorization: auth.replace('ACS3-HMAC-SHA256', 'ACS3-RSA-SHA256') } }),
    400, 'InvalidSignatureMethod');
  assertError(await send(w, { headers: { 'x-acs-signature-nonce': null } }), 400, 'IncompleteSignature');
  assertError(await send(w, { headers: { 'x-acs-accesskey-id': 'LTAI5tSomeoneElse' } }), 400, 'IncompleteSignature');
});

test('unknown key, bad version, bad or old date, replayed nonce', async () => {
  assertError(await send(await build({ key: { id: 'LTAI5tUnknown', secret: 'x' } })), 404,
    'InvalidAccessKeyId.NotFound');
  assertError(await send(await build({ version: '2099-01-01' })), 400, 'InvalidVersion');
  assertError(await send(await build({ date: '2026-01-01 00:00:00' })), 400, 'InvalidTimeStamp.Format');
  assertError(await send(await build({ date: nowTs(-3600) })), 400, 'InvalidTimeStamp.Expired');
  const w = await build();
  assert.equal((await send(w)).status, 200);
  assertError(await send(w), 400, 'SignatureNonceUsed');
});

test('V1 parameters beside a V3 signature are refused', async () => {
  const w = await build({ params: { Email: 'alice@example.com', Action: 'ResendEmailVerification' } });
  assertError(await send(w), 400, 'InvalidParameter.Duplicate');
});

test('the SDK capture reproduces every V3 vector (public and SDK sets) byte for byte', async () => {
  const path = require('node:path');
  for (const f of ['vectors-v3-public.json', 'vectors-v3-sdk.json']) {
    const file = require(path.join(__dirname, '..', 't', 'data', f));
    assert.ok(file.vectors.length > 0);
    for (const v of file.vectors) {
      const w = await capture(v.input);
      assert.deepEqual(w.headers, Object.entries(v.expected.request.headers), v.id);
      assert.equal(w.body, v.expected.request.body, v.id);
      assert.equal(w.query, v.expected.request.query, v.id);
    }
  }
});
