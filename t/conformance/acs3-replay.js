#!/usr/bin/env node
'use strict';
// Replays V3 (ACS3) requests recorded by double/server.js --record through
// the official SDK: @alicloud/openapi-client 0.4.15 doRequest (transport
// stubbed, t/conformance/acs3-capture.js) with the recorded x-acs-date,
// x-acs-signature-nonce, host, version, algorithm and parameters, and checks
// that the module sent what the SDK sends.
//
//   node t/conformance/acs3-replay.js --record FILE --secret SECRET
//        [--key-id ID] [--security-token T] [--from-line N]
//
// Per recorded `POST /` request, three TAP test points:
//   1. the body is the SDK's, byte for byte
//   2. every header the SDK signs and sends (and Authorization) was sent
//      with the SDK's value, and no other host, content-type or x-acs-*
//      header was sent; the URL is exactly "/"
//   3. the Authorization reproduces with openapi-util hash() and
//      getAuthorization() from the recorded request alone
// Exit status: 0 all passed; 1 a check failed or no request was found; 2 usage.

for (const modName of ['http', 'https', 'net', 'tls']) {
  const m = require(modName);
  for (const fn of ['request', 'get', 'connect', 'createConnection']) {
    if (typeof m[fn] === 'function') {
      m[fn] = function () { throw new Error(`acs3-replay: network access disabled (${modName}.${fn})`); };
    }
  }
}

const fs = require('fs');
const OpenApiUtil = require('@alicloud/openapi-util').default;
const { capture } = require('./acs3-capture.js');

const AUTH_RE = /^(ACS3-HMAC-SHA256|ACS3-HMAC-SM3) Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/;

function usage(msg) {
  if (msg) process.stderr.write(`acs3-replay: ${msg}\n`);
  process.stderr.write('usage: node t/conformance/acs3-replay.js --record FILE --secret SECRET ' +
    '[--key-id ID] [--security-token T] [--from-line N]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { record: null, secret: null, keyId: null, securityToken: null, fromLine: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--record': o.record = val(); break;
      case '--secret': o.secret = val(); break;
      case '--key-id': o.keyId = val(); break;
      case '--security-token': o.securityToken = val(); break;
      case '--from-line': o.fromLine = Number(val()); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!o.record || !o.secret || !(o.fromLine >= 1)) usage();
  return o;
}

function mask(email) {
  if (!email) return '(no Email)';
  return email.split(',').map((a) => {
    const at = a.lastIndexOf('@');
    return (Array.from(a)[0] || '') + '***' + (at >= 0 ? a.slice(at) : '');
  }).join(',');
}

const signed = (n) => n === 'host' || n === 'content-type' || n.startsWith('x-acs-');

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const lines = fs.readFileSync(o.record, 'utf8').split('\n');
  const points = [];
  const add = (ok, desc, diag = []) => points.push({ ok, desc, diag });
  let n = 0;

  for (let ln = o.fromLine; ln <= lines.length; ln++) {
    if (!lines[ln - 1] || !lines[ln - 1].trim()) continue;
    const e = JSON.parse(lines[ln - 1]);
    if (e.method !== 'POST' || String(e.url).split('?')[0] !== '/') continue;
    n++;
    const h = e.headers || {};
    const body = typeof e.body === 'string' ? e.body : '';
    // the generated Domain SDK's order: Email, Lang, UserClientIp
    const got = new Map(new URLSearchParams(body));
    const params = {};
    for (const k of ['Email', 'Lang', 'UserClientIp']) if (got.has(k)) params[k] = got.get(k);
    for (const k of got.keys()) if (!(k in params)) params[k] = got.get(k);
    const who = `${mask(params.Email)} (line ${ln})`;
    const m = AUTH_RE.exec(h.authorization || '');
    if (!m) {
      add(false, `${who}: a V3 Authorization`, [`# authorization: ${JSON.stringify(h.authorization)}`]);
      continue;
    }
    const algorithm = m[1];

    // 1, 2: the SDK's request for the same inputs
    let sdk;
    try {
      sdk = await capture({
        algorithm,
        layout: 'body',
        accessKeyId: o.keyId || m[2],
        accessKeySecret: o.secret,
        securityToken: o.securityToken || h['x-acs-security-token'],
        host: h.host,
        version: h['x-acs-version'],
        date: h['x-acs-date'],
        nonce: h['x-acs-signature-nonce'],
        params,
      });
    } catch (err) {
      add(false, `${who}: the SDK makes the request`, [`# ${err.message}`]);
      continue;
    }
    add(sdk.body === body, `${who}: ${algorithm} body is the SDK's, byte for byte`,
      sdk.body === body ? [] : [`# expected: ${sdk.body}`, `# got:      ${body}`]);

    const diag = [];
    if (e.url !== '/') diag.push(`# url: expected "/" got ${JSON.stringify(e.url)}`);
    const sdkNames = new Set();
    for (const [k, v] of sdk.headers) {
      const l = k.toLowerCase();
      sdkNames.add(l);
      if (h[l] !== v) diag.push(`# ${l}: expected ${JSON.stringify(v)} got ${JSON.stringify(h[l])}`);
    }
    for (const l of Object.keys(h)) {
      if (signed(l) && !sdkNames.has(l)) diag.push(`# ${l}: sent, the SDK does not send it`);
    }
    add(diag.length === 0, `${who}: every header the SDK signs, with its value, and no other`, diag);

    // 3: the signature, from the wire alone
    const payload = OpenApiUtil.hexEncode(OpenApiUtil.hash(Buffer.from(body, 'utf8'), algorithm));
    const auth = OpenApiUtil.getAuthorization({ method: 'POST', pathname: '/', query: {}, headers: h },
      algorithm, payload, m[2], o.secret);
    add(auth === h.authorization, `${who}: Authorization reproduces with openapi-util getAuthorization`,
      auth === h.authorization ? [] : [`# expected: ${auth}`, `# got:      ${h.authorization}`]);
  }

  if (n === 0) {
    process.stdout.write(`1..1\nnot ok 1 - no POST / request in ${o.record} from line ${o.fromLine}\n`);
    process.exit(1);
  }
  const out = [`1..${points.length}`];
  points.forEach((p, i) => {
    out.push(`${p.ok ? 'ok' : 'not ok'} ${i + 1} - ${p.desc}`, ...p.diag);
  });
  const failed = points.filter((p) => !p.ok).length;
  out.push(`# ${n} request(s), ${points.length - failed} passed, ${failed} failed`);
  process.stdout.write(out.join('\n') + '\n');
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  process.stdout.write(`1..1\nnot ok 1 - acs3-replay crashed: ${e && e.stack}\n`);
  process.exit(1);
});
