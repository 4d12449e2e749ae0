'use strict';
// Self-test of double/credentials.js (metadata service, STS
// AssumeRoleWithOIDC, broker) and of double/server.js --sts-issued: the
// Domain API double accepts exactly the credentials issued, with their
// token, until they expire.  Run: node --test double/

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const OpenApiUtil = require('@alicloud/openapi-util').default;
const { createCredentials } = require('./credentials.js');
const { createDouble } = require('./server.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'credentials-selftest-'));
const agent = new http.Agent({ keepAlive: false });

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

function request(port, method, url, headers = {}, body = '') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: url, agent,
      headers: Object.assign({ 'Content-Length': Buffer.byteLength(body) }, headers) }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function withServer(options, fn) {
  const server = createCredentials(options);
  const port = await listen(server);
  try { await fn(port); } finally { server.close(); }
}

const TTL = { 'X-aliyun-ecs-metadata-token-ttl-seconds': '300' };

test('metadata service: hardened mode, role, rotating credentials', async () => {
  const issued = path.join(tmp, 'issued-1.jsonl');
  await withServer({ issued, lifetime: 120 }, async (port) => {
    const t = await request(port, 'PUT', '/latest/api/token', TTL);
    assert.equal(t.status, 200);
    const h = { 'X-aliyun-ecs-metadata-token': t.body };
    const role = await request(port, 'GET', '/latest/meta-data/ram/security-credentials/', h);
    assert.equal(role.status, 200);
    assert.equal(role.body.trim(), 'EcsRamRoleTest');
    const a = JSON.parse((await request(port, 'GET', '/latest/meta-data/ram/security-credentials/EcsRamRoleTest', h)).body);
    const b = JSON.parse((await request(port, 'GET', '/latest/meta-data/ram/security-credentials/EcsRamRoleTest', h)).body);
    assert.equal(a.Code, 'Success');
    assert.match(a.AccessKeyId, /^STS\./);
    assert.match(a.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Date.parse(a.Expiration) > Date.now() + 100 * 1000);
    assert.notEqual(a.AccessKeyId, b.AccessKeyId, 'each fetch rotates');
    assert.equal(fs.readFileSync(issued, 'utf8').trim().split('\n').length, 2);
    // hardened only by default
    assert.equal((await request(port, 'GET', '/latest/meta-data/ram/security-credentials/')).status, 403);
    assert.equal((await request(port, 'GET', '/latest/meta-data/ram/security-credentials/',
      { 'X-aliyun-ecs-metadata-token': 'forged' })).status, 401);
    assert.equal((await request(port, 'PUT', '/latest/api/token')).status, 400, 'the TTL is required');
    assert.equal((await request(port, 'GET', '/latest/meta-data/ram/security-credentials/Other', h)).status, 404);
  });
});

test('metadata service misbehaviours', async () => {
  await withServer({ imdsNoToken: true }, async (port) => {
    assert.equal((await request(port, 'PUT', '/latest/api/token', TTL)).status, 404);
    assert.equal((await request(port, 'GET', '/latest/meta-data/ram/security-credentials/')).status, 200);
  });
  await withServer({ garbage: true }, async (port) => {
    const r = await request(port, 'GET', '/latest/meta-data/ram/security-credentials/EcsRamRoleTest', {}, '');
    assert.equal(r.status, 403);
  });
  await withServer({ garbage: true, imdsV1: true }, async (port) => {
    const r = await request(port, 'GET', '/latest/meta-data/ram/security-credentials/EcsRamRoleTest');
    assert.throws(() => JSON.parse(r.body));
  });
  await withServer({ code: 'Failed', imdsV1: true }, async (port) => {
    const r = JSON.parse((await request(port, 'GET', '/latest/meta-data/ram/security-credentials/EcsRamRoleTest')).body);
    assert.equal(r.Code, 'Failed');
  });
  await withServer({ expired: true, imdsV1: true, msExpiration: true }, async (port) => {
    const r = JSON.parse((await request(port, 'GET', '/latest/meta-data/ram/security-credentials/EcsRamRoleTest')).body);
    assert.match(r.Expiration, /\.\d{3}Z$/);
    assert.ok(Date.parse(r.Expiration) < Date.now());
  });
});

test('STS AssumeRoleWithOIDC checks the form and the token file', async () => {
  const tokenFile = path.join(tmp, 'token');
  fs.writeFileSync(tokenFile, 'eyJ.first.token\n');
  const form = (token, extra = {}) => new URLSearchParams(Object.assign({
    Action: 'AssumeRoleWithOIDC', Format: 'JSON', Version: '2015-04-01',
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    RoleArn: 'acs:ram::1234567890123456:role/resend-verify-rrsa',
    OIDCProviderArn: 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-test',
    OIDCToken: token, RoleSessionName: 'nginx-resend-verify', DurationSeconds: '3600',
  }, extra)).toString();
  const ct = { 'Content-Type': 'application/x-www-form-urlencoded' };
  await withServer({ oidcTokenFile: tokenFile }, async (port) => {
    const ok = await request(port, 'POST', '/sts/', ct, form('eyJ.first.token'));
    assert.equal(ok.status, 200, ok.body);
    const c = JSON.parse(ok.body).Credentials;
    assert.match(c.AccessKeyId, /^STS\./);
    assert.ok(Math.abs(Date.parse(c.Expiration) - Date.now() - 3600 * 1000) < 5000);
    fs.writeFileSync(tokenFile, 'eyJ.second.token\n');
    const old = await request(port, 'POST', '/sts/', ct, form('eyJ.first.token'));
    assert.equal(old.status, 401);
    assert.equal(JSON.parse(old.body).Code, 'AuthenticationFail.OIDCToken.Invalid');
    assert.equal((await request(port, 'POST', '/sts/', ct, form('eyJ.second.token'))).status, 200);
    assert.equal((await request(port, 'POST', '/sts/?OIDCToken=x', ct, form('eyJ.second.token'))).status, 400,
      'no token in the URL');
    assert.equal((await request(port, 'POST', '/sts/', ct, form('eyJ.second.token', { DurationSeconds: '60' }))).status, 400);
    assert.equal((await request(port, 'POST', '/sts/', ct, form('eyJ.second.token', { RoleArn: 'acs:ram::1:role/x' }))).status, 404);
    assert.equal((await request(port, 'POST', '/sts/', {}, form('eyJ.second.token'))).status, 400, 'a form only');
  });
});

test('broker', async () => {
  await withServer({ lifetime: 60 }, async (port) => {
    const r = await request(port, 'GET', '/broker/credentials');
    const c = JSON.parse(r.body);
    assert.equal(c.Code, 'Success');
    assert.ok(c.SecurityToken.length > 500);
  });
});

test('the Domain API double accepts exactly the issued credentials', async () => {
  const issued = path.join(tmp, 'issued-2.jsonl');
  const cred = createCredentials({ issued, lifetime: 2, imdsV1: true });
  const cport = await listen(cred);
  const api = createDouble({ stsIssued: issued });
  const aport = await listen(api);
  try {
    const c = JSON.parse((await request(cport, 'GET', '/broker/credentials')).body);
    let nonce = 0;
    const call = (id, secret, token) => {
      const p = { Action: 'ResendEmailVerification', Version: '2018-01-29', Format: 'JSON', AccessKeyId: id,
        SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: 'n' + (nonce++) + Date.now(),
        Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), Email: 'a@example.com' };
      if (token !== null) p.SecurityToken = token;
      p.Signature = OpenApiUtil.getRPCSignature(p, 'POST', secret);
      return request(aport, 'POST', '/', { 'Content-Type': 'application/x-www-form-urlencoded' },
        new URLSearchParams(p).toString());
    };
    assert.equal((await call(c.AccessKeyId, c.AccessKeySecret, c.SecurityToken)).status, 200);
    const noToken = await call(c.AccessKeyId, c.AccessKeySecret, null);
    assert.equal(JSON.parse(noToken.body).Code, 'InvalidSecurityToken.MismatchWithAccessKey');
    const otherToken = await call(c.AccessKeyId, c.AccessKeySecret, c.SecurityToken + 'x');
    assert.equal(JSON.parse(otherToken.body).Code, 'InvalidSecurityToken.MismatchWithAccessKey');
    const forged = await call('STS.forged', c.AccessKeySecret, c.SecurityToken);
    assert.equal(JSON.parse(forged.body).Code, 'InvalidAccessKeyId.NotFound');
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await call(c.AccessKeyId, c.AccessKeySecret, c.SecurityToken);
    assert.equal(JSON.parse(expired.body).Code, 'InvalidSecurityToken.Expired');
    // a revoked set is refused at once
    const d = JSON.parse((await request(cport, 'GET', '/broker/credentials')).body);
    assert.equal((await call(d.AccessKeyId, d.AccessKeySecret, d.SecurityToken)).status, 200);
    fs.appendFileSync(issued, JSON.stringify({ id: d.AccessKeyId, secret: d.AccessKeySecret,
      token: d.SecurityToken, expires: Date.parse(d.Expiration), revoked: true }) + '\n');
    const revoked = await call(d.AccessKeyId, d.AccessKeySecret, d.SecurityToken);
    assert.equal(JSON.parse(revoked.body).Code, 'InvalidSecurityToken.Expired');
  } finally {
    cred.close();
    api.close();
  }
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
