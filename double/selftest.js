'use strict';
// Self-test of double/server.js and t/conformance/popcore-replay.js.
// Run: node --test double/          (picks this up via selftest.test.js)
//  or: node --test double/selftest.js
// Requests are built by the official @alicloud/pop-core (transport stubbed),
// then the exact bytes are POSTed over real HTTP to the double on 127.0.0.1.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const readline = require('node:readline');

const OpenApiUtil = require('@alicloud/openapi-util').default;
const { capture } = require('../t/conformance/popcore-capture.js');
const { stringToSign } = require('./server.js');

const SERVER = path.join(__dirname, 'server.js');
const REPLAY = path.join(__dirname, '..', 't', 'conformance', 'popcore-replay.js');
const KEY = { id: 'LTAI5tTestOnlyKeyId0001', secret: 'TestOnlySecret0123456789abcdef' };
const STS = { id: 'STS.SelfTestKeyId0002', secret: 'StsSelfTestSecret0123456789', token: 'CAIS.selftest/token+with=chars' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'double-selftest-'));
const agent = new http.Agent({ keepAlive: false });

function nowTs(offsetSec = 0) {
  return new Date(Date.now() + offsetSec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Start the double CLI; resolves with {port, proc, exited}.
function startDouble(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [SERVER, '--listen', '127.0.0.1', '--port', '0', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal, stderr })));
    const rl = readline.createInterface({ input: proc.stdout });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('double did not start: ' + stderr)); }, 5000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      const m = /^double listening on 127\.0\.0\.1:(\d+)$/.exec(line);
      if (!m) { proc.kill('SIGKILL'); reject(new Error('unexpected first line: ' + line)); return; }
      resolve({ port: Number(m[1]), proc, exited, stdoutLines: rl });
    });
    proc.on('error', reject);
  });
}

async function stopDouble(d) {
  d.proc.kill('SIGTERM');
  return d.exited;
}

function send(port, { method = 'POST', path: p = '/', headers = {}, body = null }) {
  return new Promise((resolve, reject) => {
    const h = Object.assign({}, headers);
    if (body !== null && method === 'POST' && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch (_) { /* not json */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (body !== null) req.end(body); else req.end();
  });
}

// pop-core-built request for the given inputs: {url, method, headers, body}.
function build({ email = 'alice@example.com', lang = 'en', userClientIp, key = KEY, token, ts = nowTs(),
  nonce = crypto.randomUUID(), method = 'POST', version = '2018-01-29' } = {}) {
  const params = { Email: email, Lang: lang, Timestamp: ts, SignatureNonce: nonce };
  if (userClientIp !== undefined) params.UserClientIp = userClientIp;
  return capture({ accessKeyId: key.id, accessKeySecret: key.secret, securityToken: token,
    apiVersion: version, params, method });
}

async function sendBuilt(port, b) {
  if (b.method === 'GET') return send(port, { method: 'GET', path: new URL(b.url).pathname + new URL(b.url).search });
  return send(port, { method: 'POST', path: '/', headers: { 'content-type': b.headers['content-type'] }, body: b.body });
}

function runReplay(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [REPLAY, ...args], { timeout: 10000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

function assertEnvelope(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers['content-type'], 'application/json;charset=utf-8');
  assert.ok(r.json, 'JSON body');
  assert.equal(r.json.Code, code, r.text);
  assert.match(r.json.RequestId, /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  assert.equal(r.headers['x-acs-request-id'], r.json.RequestId);
  assert.equal(r.json.HostId, 'domain.aliyuncs.com');
  assert.equal(typeof r.json.Message, 'string');
  assert.equal(r.json.Recommend,
    `https://api.aliyun.com/troubleshoot?q=${code}&product=Domain&requestId=${r.json.RequestId}`);
  assert.deepEqual(Object.keys(r.json), ['RequestId', 'HostId', 'Code', 'Message', 'Recommend']);
}

const RECORD = path.join(tmp, 'main.jsonl');
let main;

test.before(async () => {
  main = await startDouble(['--record', RECORD, '--key', `${KEY.id}:${KEY.secret}`,
    '--key', `${STS.id}:${STS.secret}:${STS.token}`]);
});

test.after(async () => {
  const ex = main ? await stopDouble(main) : null;
  fs.rmSync(tmp, { recursive: true, force: true });
  if (ex) {
    assert.equal(ex.code, 0, 'double exits 0 on SIGTERM: ' + ex.stderr);
    assert.equal(ex.stderr, '', 'no stderr output without --verbose');
  }
});

const VECTORS = [process.env.ALIYUN_VECTORS,
  path.join(__dirname, '..', '..', 'shared', 'aliyun', 'vectors-public.json'),
  '/work/shared/aliyun/vectors-public.json'].find((f) => f && fs.existsSync(f));

test('pop-core capture reproduces the public vectors byte for byte', { skip: !VECTORS && 'vectors-public.json not found' }, async () => {
  const vectors = JSON.parse(fs.readFileSync(VECTORS, 'utf8')).vectors;
  for (const v of vectors) {
    const i = v.input;
    const params = Object.assign({}, i.params, { Timestamp: i.timestamp, SignatureNonce: i.nonce });
    delete params.Action;
    const c = await capture({ accessKeyId: i.accessKeyId, accessKeySecret: i.accessKeySecret,
      securityToken: i.securityToken, apiVersion: '2018-01-29', params, method: i.method });
    assert.equal(c.url, v.expected.request.url, v.id);
    assert.equal(c.body, v.expected.request.body, v.id);
    const signed = Object.assign({}, v.expected.signedParams);
    assert.equal(OpenApiUtil.getRPCSignature(signed, i.method, i.accessKeySecret), v.expected.signature, v.id);
    assert.equal(stringToSign(i.method, signed), v.expected.stringToSign, v.id);
  }
});

test('valid POST -> 200 with SuccessList', async () => {
  const b = await build({ email: 'alice@example.com', userClientIp: '203.0.113.7' });
  const r = await send(main.port, { body: b.body });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['content-type'], 'application/json;charset=utf-8');
  assert.deepEqual(Object.keys(r.json), ['RequestId', 'SuccessList', 'FailList']);
  assert.equal(r.headers['x-acs-request-id'], r.json.RequestId);
  assert.deepEqual(r.json.SuccessList, [{ Code: 'Success', Message: 'Success', Email: 'alice@example.com' }]);
  assert.deepEqual(r.json.FailList, []);
});

test('valid GET and form content-type with charset are accepted', async () => {
  const g = await build({ method: 'GET', email: 'g@example.com' });
  assert.equal((await sendBuilt(main.port, g)).status, 200);
  const b = await build({ email: 'c@example.com' });
  const r = await send(main.port, { headers: { 'content-type': 'Application/X-WWW-Form-URLEncoded; charset=UTF-8' }, body: b.body });
  assert.equal(r.status, 200, r.text);
});

test('chunked body is accepted', async () => {
  const b = await build({ email: 'chunk@example.com' });
  const r = await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: main.port, method: 'POST', path: '/', agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' } }, (res) => {
      let t = '';
      res.on('data', (c) => { t += c; });
      res.on('end', () => resolve({ status: res.statusCode, text: t }));
    });
    req.on('error', reject);
    req.write(b.body.slice(0, 50));
    req.end(b.body.slice(50));
  });
  assert.equal(r.status, 200, r.text);
});

test('multi-address, Unicode, quota and malformed addresses', async () => {
  const email = 'a+tag@example.com,Quota.User@example.com,not-an-address,ünï@例え.jp, sp@example.com,';
  const b = await build({ email });
  assert.ok(b.body.includes('Email=a%2Btag%40example.com%2CQuota.User'));
  const r = await send(main.port, { body: b.body });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.SuccessList.map((x) => x.Email), ['a+tag@example.com', 'ünï@例え.jp']);
  assert.deepEqual(r.json.FailList, [
    { Code: 'SendTokenQuotaExceeded', Message: 'The maximum number of attempts allowed to send the email verification link is exceeded.', Email: 'Quota.User@example.com' },
    { Code: 'ParameterIllegall', Message: 'Parameter error', Email: 'not-an-address' },
    { Code: 'ParameterIllegall', Message: 'Parameter error', Email: ' sp@example.com' },
    { Code: 'ParameterIllegall', Message: 'Parameter error', Email: '' },
  ]);
});

test('tampered signature -> SignatureDoesNotMatch with server string to sign', async () => {
  const b = await build();
  const body = b.body.replace(/Signature=[^&]+$/, 'Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D');
  const r = await send(main.port, { body });
  assertEnvelope(r, 400, 'SignatureDoesNotMatch');
  const params = Object.fromEntries(new URLSearchParams(b.body));
  delete params.Signature;
  assert.equal(r.json.Message,
    'Specified signature is not matched with our calculation. server string to sign is:' + stringToSign('POST', params));
  // a tampered value (signature unchanged) fails too
  const r2 = await send(main.port, { body: b.body.replace('alice%40example.com', 'mallory%40example.com') });
  assertEnvelope(r2, 400, 'SignatureDoesNotMatch');
});

test('raw + in body (not %2B) -> SignatureDoesNotMatch', async () => {
  const b = await build({ email: 'a+tag@example.com' });
  assert.ok(b.body.includes('a%2Btag'));
  const r = await send(main.port, { body: b.body.replace('a%2Btag', 'a+tag') });
  assertEnvelope(r, 400, 'SignatureDoesNotMatch');
  assert.ok(r.json.Message.includes('Email%3Da%2520tag%2540example.com'), r.json.Message);
});

test('reused nonce -> SignatureNonceUsed; nonce kept only after a verified signature', async () => {
  const nonce = crypto.randomUUID();
  const b = await build({ nonce });
  // A bad signature with this nonce must not burn it.
  const bad = await send(main.port, { body: b.body.replace(/Signature=[^&]+$/, 'Signature=x') });
  assertEnvelope(bad, 400, 'SignatureDoesNotMatch');
  assert.equal((await send(main.port, { body: b.body })).status, 200);
  assertEnvelope(await send(main.port, { body: b.body }), 400, 'SignatureNonceUsed');
  // same nonce under another key is a different (key, nonce) pair
  const s = await build({ nonce, key: STS, token: STS.token });
  assert.equal((await send(main.port, { body: s.body })).status, 200);
});

test('timestamps: stale, future, fractional, malformed', async () => {
  assertEnvelope(await send(main.port, { body: (await build({ ts: nowTs(-1000) })).body }), 400, 'InvalidTimeStamp.Expired');
  assertEnvelope(await send(main.port, { body: (await build({ ts: nowTs(+1000) })).body }), 400, 'InvalidTimeStamp.Expired');
  assert.equal((await send(main.port, { body: (await build({ ts: nowTs(-800) })).body })).status, 200);
  const frac = new Date().toISOString();
  assertEnvelope(await send(main.port, { body: (await build({ ts: frac })).body }), 400, 'InvalidTimeStamp.Format');
  assertEnvelope(await send(main.port, { body: (await build({ ts: '2026-02-30T00:00:00Z' })).body }), 400, 'InvalidTimeStamp.Format');
  assertEnvelope(await send(main.port, { body: (await build({ ts: nowTs().replace('Z', '+00:00') })).body }), 400, 'InvalidTimeStamp.Format');
});

test('unknown key -> 404 InvalidAccessKeyId.NotFound', async () => {
  const b = await build({ key: { id: 'LTAI5tUnknownKey', secret: 'whatever' } });
  assertEnvelope(await send(main.port, { body: b.body }), 404, 'InvalidAccessKeyId.NotFound');
});

test('STS: token must match the key; no token allowed for a plain key', async () => {
  assert.equal((await send(main.port, { body: (await build({ key: STS, token: STS.token })).body })).status, 200);
  assertEnvelope(await send(main.port, { body: (await build({ key: STS, token: 'other' })).body }), 400,
    'InvalidSecurityToken.MismatchWithAccessKey');
  assertEnvelope(await send(main.port, { body: (await build({ key: STS })).body }), 400,
    'InvalidSecurityToken.MismatchWithAccessKey');
  assertEnvelope(await send(main.port, { body: (await build({ token: 'unexpected' })).body }), 400,
    'InvalidSecurityToken.MismatchWithAccessKey');
});

test('hooks: throttle 400, internalerror 500, unavailable 503', async () => {
  assertEnvelope(await send(main.port, { body: (await build({ email: 'x@THROTTLE.example.com' })).body }), 400, 'Throttling.User');
  assertEnvelope(await send(main.port, { body: (await build({ email: 'InternalError@example.com' })).body }), 500, 'InternalError');
  assertEnvelope(await send(main.port, { body: (await build({ email: 'ok@example.com,unavailable@example.com' })).body }), 503, 'ServiceUnavailable');
});

test('gateway checks in order: method, duplicates, missing, version/method/format, action, email', async () => {
  assertEnvelope(await send(main.port, { method: 'PUT', body: 'x=1' }), 400, 'UnsupportedHTTPMethod');
  assertEnvelope(await send(main.port, { method: 'DELETE' }), 400, 'UnsupportedHTTPMethod');
  const b = await build();
  assertEnvelope(await send(main.port, { path: '/?Lang=en', body: b.body }), 400, 'InvalidParameter.Duplicate');
  assertEnvelope(await send(main.port, { body: b.body + '&Email=x%40y.z' }), 400, 'InvalidParameter.Duplicate');
  assertEnvelope(await send(main.port, { body: '' }), 400, 'MissingAction');
  assertEnvelope(await send(main.port, { body: b.body.replace(/SignatureNonce=[^&]+/, 'SignatureNonce=') }), 400, 'MissingSignatureNonce');
  assertEnvelope(await send(main.port, { body: b.body.replace(/&Signature=[^&]+$/, '') }), 400, 'MissingSignature');
  // a form body sent with another content type is not parsed
  assertEnvelope(await send(main.port, { headers: { 'content-type': 'text/plain' }, body: b.body }), 400, 'MissingAction');
  assertEnvelope(await send(main.port, { body: (await build({ version: '2017-12-18' })).body }), 400, 'InvalidVersion');
  assertEnvelope(await send(main.port, { body: b.body.replace('HMAC-SHA1', 'HMAC-SHA256') }), 400, 'InvalidSignatureMethod');
  assertEnvelope(await send(main.port, { body: b.body.replace('SignatureVersion=1.0', 'SignatureVersion=2.0') }), 400, 'InvalidSignatureVersion');
  assertEnvelope(await send(main.port, { body: b.body.replace('Format=JSON', 'Format=YAML') }), 400, 'InvalidParameter.Format');
  // a correctly signed request for another action
  const other = await capture({ accessKeyId: KEY.id, accessKeySecret: KEY.secret, apiVersion: '2018-01-29',
    action: 'VerifyEmail', params: { Token: 't', Timestamp: nowTs(), SignatureNonce: crypto.randomUUID() } });
  assertEnvelope(await send(main.port, { body: other.body }), 404, 'InvalidApi.NotFound');
  assertEnvelope(await send(main.port, { body: (await build({ email: '' })).body }), 400, 'MissingEmail');
  // lower-case json (openapi-client style) is accepted when signed that way
  const p = { Action: 'ResendEmailVerification', Format: 'json', Version: '2018-01-29', Timestamp: nowTs(),
    SignatureNonce: crypto.randomUUID(), Email: 'lc@example.com', SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0', AccessKeyId: KEY.id };
  const sig = OpenApiUtil.getRPCSignature(p, 'POST', KEY.secret);
  const qs = new URLSearchParams(Object.assign({}, p, { Signature: sig })).toString();
  assert.equal((await send(main.port, { path: '/?' + qs, body: '' })).status, 200);
});

test('oversized body -> 413 RequestEntityTooLarge; garbage never crashes', async () => {
  const r = await send(main.port, { body: 'Email=' + 'a'.repeat(70 * 1024) });
  assertEnvelope(r, 413, 'RequestEntityTooLarge');
  for (const body of ['%', '%zz=%', '&&&==', '\u0000\uffff', '__proto__=1&constructor=2&toMap=3', 'a='.repeat(5000)]) {
    const x = await send(main.port, { body });
    assert.ok(x.status >= 400 && x.status < 500 && x.json && x.json.Code, body + ' ' + x.text);
  }
  // still alive
  assert.equal((await send(main.port, { body: (await build()).body })).status, 200);
});

test('record file: one JSON line per request, written before the response', async () => {
  const before = fs.readFileSync(RECORD, 'utf8').split('\n').filter(Boolean).length;
  const b = await build({ email: 'rec+1@example.com', userClientIp: '2001:db8::1' });
  const r = await send(main.port, { headers: { 'X-Test': 'yes' }, body: b.body });
  assert.equal(r.status, 200);
  const lines = fs.readFileSync(RECORD, 'utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, before + 1);
  const e = JSON.parse(lines[lines.length - 1]);
  assert.deepEqual(Object.keys(e), ['time', 'method', 'url', 'headers', 'body', 'params', 'status', 'code', 'response']);
  assert.ok(!Number.isNaN(Date.parse(e.time)));
  assert.equal(e.method, 'POST');
  assert.equal(e.url, '/');
  assert.equal(e.headers['x-test'], 'yes');
  assert.equal(e.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(e.body, b.body);
  assert.equal(e.params.Email, 'rec+1@example.com');
  assert.equal(e.params.UserClientIp, '2001:db8::1');
  assert.equal(e.status, 200);
  assert.equal(e.code, 'OK');
  assert.equal(e.response, r.text);
  const bad = await send(main.port, { body: b.body }); // nonce reuse
  const e2 = JSON.parse(fs.readFileSync(RECORD, 'utf8').split('\n').filter(Boolean).pop());
  assert.equal(e2.status, 400);
  assert.equal(e2.code, 'SignatureNonceUsed');
  assert.equal(e2.response, bad.text);
});

test('popcore-replay passes on correct requests and fails on tampered ones', async () => {
  const rec = path.join(tmp, 'replay.jsonl');
  const d = await startDouble(['--record', rec, '--key', `${STS.id}:${STS.secret}:${STS.token}`,
    '--version', '2018-01-29', '--version', '2017-12-18']);
  try {
    for (const o of [{ email: 'alice@example.com' }, { email: 'a+tag@example.com,b@example.org', userClientIp: '203.0.113.7', lang: 'zh' },
      { email: 'ünï@例え.jp', version: '2017-12-18' }]) {
      const r = await send(d.port, { body: (await build(Object.assign({ key: STS, token: STS.token }, o))).body });
      assert.equal(r.status, 200, r.text);
    }
    await send(d.port, { method: 'GET', path: '/?x=1' }); // not a POST /: skipped
  } finally {
    const ex = await stopDouble(d);
    assert.equal(ex.code, 0);
  }
  const ok = await runReplay(['--record', rec, '--secret', STS.secret]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^1\.\.9$/m);
  assert.equal((ok.stdout.match(/^ok \d+ - /mg) || []).length, 9);
  assert.match(ok.stdout, /^ok 1 - a\*\*\*@example\.com \(line 1\) body matches pop-core$/m);
  assert.doesNotMatch(ok.stdout, /^not ok/m);

  // --from-line, and a --security-token that differs from the one sent
  const from = await runReplay(['--record', rec, '--secret', STS.secret, '--from-line', '3']);
  assert.equal(from.code, 0, from.stdout);
  assert.match(from.stdout, /^1\.\.3$/m);
  const tok = await runReplay(['--record', rec, '--secret', STS.secret, '--security-token', 'other', '--from-line', '3']);
  assert.equal(tok.code, 1);
  assert.match(tok.stdout, /^# value differs for SecurityToken/m);

  // wrong secret: body and signature both differ
  const ws = await runReplay(['--record', rec, '--secret', 'wrong']);
  assert.equal(ws.code, 1);

  const entries = fs.readFileSync(rec, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const tamper = (fn) => {
    const e = JSON.parse(JSON.stringify(entries[0]));
    fn(e);
    const f = path.join(tmp, `tampered-${crypto.randomUUID()}.jsonl`);
    fs.writeFileSync(f, JSON.stringify(e) + '\n');
    return f;
  };
  // '@' sent raw: decodes (and verifies) the same, but is not pop-core's bytes
  const raw = await runReplay(['--record', tamper((e) => { e.body = e.body.replace('%40', '@'); }), '--secret', STS.secret]);
  assert.equal(raw.code, 1, raw.stdout);
  assert.match(raw.stdout, /^not ok 1 - .* body matches pop-core$/m);
  assert.match(raw.stdout, /^# expected: /m);
  assert.match(raw.stdout, /^# got: /m);
  assert.match(raw.stdout, /^ok 3 - .*signature reproduces/m);
  // extra signed parameter (Go/Python SDK style RegionId), re-signed correctly
  const extra = await runReplay(['--record', tamper((e) => {
    const p = Object.fromEntries(new URLSearchParams(e.body));
    delete p.Signature;
    p.RegionId = 'cn-hangzhou';
    const sig = OpenApiUtil.getRPCSignature(p, 'POST', STS.secret);
    const canon = Object.keys(p).sort().map((k) => `${k}=${encodeURIComponent(p[k])}`).join('&');
    e.body = canon + '&Signature=' + encodeURIComponent(sig);
  }), '--secret', STS.secret]);
  assert.equal(extra.code, 1);
  assert.match(extra.stdout, /^# params only in module: RegionId$/m);
  // wrong transport
  const tr = await runReplay(['--record', tamper((e) => { e.url = '/?a=1'; e.headers['content-type'] = 'text/plain'; }), '--secret', STS.secret]);
  assert.equal(tr.code, 1);
  assert.match(tr.stdout, /^not ok 2 - /m);
  // nothing to replay
  const none = await runReplay(['--record', tamper((e) => { e.method = 'GET'; }), '--secret', STS.secret]);
  assert.equal(none.code, 1);
  assert.match(none.stdout, /^not ok 1 - no POST \/ request/m);
});

test('--delay-ms delays answers; --host-id changes HostId', async () => {
  const d = await startDouble(['--delay-ms', '300', '--host-id', 'example.test']);
  try {
    const t0 = Date.now();
    const r = await send(d.port, { method: 'PUT' });
    assert.ok(Date.now() - t0 >= 290, `answered after ${Date.now() - t0} ms`);
    assert.equal(r.json.HostId, 'example.test');
  } finally {
    assert.equal((await stopDouble(d)).code, 0);
  }
});
