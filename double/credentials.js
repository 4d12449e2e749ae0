#!/usr/bin/env node
'use strict';
// Local test double of the three places temporary credentials come from
// (/work/shared/aliyun/CREDENTIALS.md), on one port:
//
//   the ECS instance metadata service   PUT  /latest/api/token
//                                       GET  /latest/meta-data/ram/security-credentials/
//                                       GET  /latest/meta-data/ram/security-credentials/<role>
//   STS AssumeRoleWithOIDC (2015-04-01) POST /sts/            (form body, unsigned)
//   a credentials broker                GET  /broker/credentials
//
// Every set of credentials it hands out is new (AccessKeyId STS.<hex>, a
// random secret, a long SecurityToken) and is appended to --issued FILE,
// which the Domain API double (double/server.js --sts-issued FILE) reads:
// it accepts exactly these, with their token, until their Expiration.
//
//   node double/credentials.js --port N [--listen 127.0.0.1] --issued FILE
//       [--record FILE] [--lifetime S] [--ms-expiration] [--role NAME]
//       [--imds-v1] [--imds-no-token] [--delay-ms N] [--garbage]
//       [--code CODE] [--expired] [--status N]
//       [--role-arn ARN] [--oidc-provider-arn ARN] [--oidc-token-file PATH]
//
// Misbehaviours: --imds-no-token (an old metadata service: PUT is 404, no
// token needed), --imds-v1 (hardened mode optional: a GET without a token
// works), --delay-ms (slow), --garbage (not JSON), --code (Code is not
// Success), --expired (Expiration in the past), --status (every
// credentials answer has this status and an error body).  By default the
// metadata service is hardened-only: a GET without a valid token is 403.
//
// Requiring this file does not start anything; it exports createCredentials().

const http = require('http');
const fs = require('fs');
const crypto = require('crypto');

const MAX_BODY = 256 * 1024;
const IMDS = '/latest/meta-data/ram/security-credentials/';

function isoSeconds(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function createCredentials(options = {}) {
  const o = Object.assign({
    lifetime: 3600, role: 'EcsRamRoleTest', imdsV1: false, imdsNoToken: false,
    delayMs: 0, garbage: false, code: 'Success', expired: false, status: 0,
    msExpiration: false, issued: null, record: null,
    roleArn: 'acs:ram::1234567890123456:role/resend-verify-rrsa',
    oidcProviderArn: 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-test',
    oidcTokenFile: null,
  }, options);
  const now = o.now || (() => Date.now());
  const tokens = new Map(); // metadata token -> expiry (ms)
  let serial = 0;

  function record(entry) {
    if (!o.record) return;
    try { fs.appendFileSync(o.record, JSON.stringify(entry) + '\n'); } catch (e) {
      process.stderr.write(`credentials double: cannot write the record: ${e.message}\n`);
    }
  }

  // a new set, remembered in the issued file for the Domain API double
  function issue(lifetime) {
    serial++;
    const t = now();
    const exp = o.expired ? t - 60 * 1000 : t + lifetime * 1000;
    const c = {
      id: 'STS.' + crypto.randomBytes(12).toString('hex'),
      secret: crypto.randomBytes(20).toString('base64').replace(/[+/=]/g, 'x'),
      // as long as real ones, and with the characters that need encoding
      token: 'CAIS' + crypto.randomBytes(450).toString('base64'),
      expires: exp,
      serial,
    };
    if (o.issued) fs.appendFileSync(o.issued, JSON.stringify(c) + '\n');
    const e = new Date(exp).toISOString();
    c.expiration = o.msExpiration ? e : e.replace(/\.\d{3}Z$/, 'Z');
    return c;
  }

  function validToken(req) {
    const t = req.headers['x-aliyun-ecs-metadata-token'];
    if (t === undefined) return null;
    const exp = tokens.get(t);
    return exp !== undefined && exp > now();
  }

  // the answer to one request: { status, type, body, kind }
  function handle(req, url, body) {
    const path = url.split('?')[0];
    const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';

    if (path === '/latest/api/token') {
      if (o.imdsNoToken) return { status: 404, kind: 'token', body: 'Not Found' };
      if (req.method !== 'PUT') return { status: 405, kind: 'token', body: 'Method Not Allowed' };
      if (req.headers['x-forwarded-for']) return { status: 403, kind: 'token', body: 'Forbidden' };
      const ttl = Number(req.headers['x-aliyun-ecs-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) {
        return { status: 400, kind: 'token', body: 'Bad Request' };
      }
      const t = crypto.randomBytes(32).toString('base64');
      tokens.set(t, now() + ttl * 1000);
      return { status: 200, kind: 'token', body: t };
    }

    if (path.startsWith(IMDS)) {
      if (req.method !== 'GET') return { status: 405, kind: 'imds', body: 'Method Not Allowed' };
      const v = validToken(req);
      if (v === false) return { status: 401, kind: 'imds', body: 'Unauthorized' };
      if (v === null && !o.imdsV1 && !o.imdsNoToken) return { status: 403, kind: 'imds', body: 'Forbidden' };
      const role = path.slice(IMDS.length);
      if (role === '') return { status: 200, kind: 'role', body: o.role + '\n' };
      if (role !== o.role) return { status: 404, kind: 'credentials', body: 'Not Found' };
      return credentials('credentials', o.lifetime, (c) => JSON.stringify({
        AccessKeyId: c.id, AccessKeySecret: c.secret, Expiration: c.expiration,
        SecurityToken: c.token, LastUpdated: isoSeconds(now()), Code: o.code,
      }));
    }

    if (path === '/broker/credentials') {
      if (req.method !== 'GET') return { status: 405, kind: 'broker', body: 'Method Not Allowed' };
      return credentials('broker', o.lifetime, (c) => JSON.stringify({
        Code: o.code, AccessKeyId: c.id, AccessKeySecret: c.secret,
        SecurityToken: c.token, Expiration: c.expiration,
      }));
    }

    if (path === '/sts/' || path === '/sts') {
      return sts(req, query, body);
    }

    return { status: 404, kind: 'other', body: 'Not Found' };
  }

  function credentials(kind, lifetime, render) {
    if (o.status) {
      return { status: o.status, kind, type: 'application/json',
        body: JSON.stringify({ Code: 'InternalError', Message: 'failure injected' }) };
    }
    if (o.garbage) return { status: 200, kind, type: 'application/json', body: '<html>garbage' };
    return { status: 200, kind, type: 'application/json', body: render(issue(lifetime)) };
  }

  function stsError(status, code, message) {
    return { status, kind: 'sts', type: 'application/json', body: JSON.stringify({
      RequestId: crypto.randomUUID().toUpperCase(), HostId: 'sts.aliyuncs.com',
      Code: code, Message: message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${code}&product=Sts`,
    }) };
  }

  function sts(req, query, body) {
    if (req.method !== 'POST') return stsError(400, 'UnsupportedHTTPMethod', 'This http method not supported.');
    // the token never travels in a URL
    if (/(^|&)OIDCToken=/i.test(query)) return stsError(400, 'InvalidParameter', 'OIDCToken in the URL.');
    const ctype = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (ctype !== 'application/x-www-form-urlencoded') {
      return stsError(400, 'InvalidParameter', 'The body is not a form.');
    }
    const p = {};
    for (const [k, v] of new URLSearchParams(body)) {
      if (Object.prototype.hasOwnProperty.call(p, k)) return stsError(400, 'InvalidParameter.Duplicate', `${k} is duplicated.`);
      p[k] = v;
    }
    const need = ['Action', 'Version', 'Format', 'Timestamp', 'RoleArn', 'OIDCProviderArn', 'OIDCToken',
      'RoleSessionName', 'DurationSeconds'];
    for (const n of need) if (!p[n]) return stsError(400, `Missing${n}`, `${n} is mandatory for this action.`);
    if (p.Action !== 'AssumeRoleWithOIDC') return stsError(404, 'InvalidAction.NotFound', 'Specified api is not found.');
    if (p.Version !== '2015-04-01') return stsError(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
    if (p.Format !== 'JSON') return stsError(400, 'InvalidParameter.Format', 'Specified parameter Format is not valid.');
    if ('Signature' in p || 'AccessKeyId' in p) return stsError(400, 'InvalidParameter', 'AssumeRoleWithOIDC is anonymous.');
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(p.Timestamp)) {
      return stsError(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
    }
    if (Math.abs(Date.parse(p.Timestamp) - now()) > 900 * 1000) {
      return stsError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    }
    if (!/^[A-Za-z0-9.@_-]{2,64}$/.test(p.RoleSessionName)) {
      return stsError(400, 'InvalidParameter.RoleSessionName', 'The parameter RoleSessionName is wrongly formed.');
    }
    const d = Number(p.DurationSeconds);
    if (!Number.isInteger(d) || d < 900 || d > 43200) {
      return stsError(400, 'InvalidParameter.DurationSeconds', 'The DurationSeconds is invalid.');
    }
    if (p.OIDCProviderArn !== o.oidcProviderArn) {
      return stsError(401, 'AuthenticationFail.NoPermission', 'No such OIDC Provider registered.');
    }
    if (p.RoleArn !== o.roleArn) return stsError(404, 'EntityNotExist.Role', 'The role not exists.');
    // the token valid now is what the token file holds now
    let current = null;
    try { current = o.oidcTokenFile ? fs.readFileSync(o.oidcTokenFile, 'utf8').trim() : null; } catch (e) { current = null; }
    if (!current || p.OIDCToken !== current) {
      return stsError(401, 'AuthenticationFail.OIDCToken.Invalid', 'The OIDC token is invalid.');
    }
    if (o.status) return stsError(o.status, 'InternalError', 'failure injected');
    if (o.garbage) return { status: 200, kind: 'sts', type: 'application/json', body: '{"Credentials": [' };
    if (o.code !== 'Success') return stsError(401, o.code, 'failure injected');
    const c = issue(options.lifetime ? o.lifetime : d);
    return { status: 200, kind: 'sts', type: 'application/json', body: JSON.stringify({
      RequestId: crypto.randomUUID().toUpperCase(),
      AssumedRoleUser: { AssumedRoleId: '33157794895460****:' + p.RoleSessionName, Arn: p.RoleArn + '/' + p.RoleSessionName },
      Credentials: { SecurityToken: c.token, Expiration: c.expiration, AccessKeySecret: c.secret, AccessKeyId: c.id },
      OIDCTokenInfo: { Subject: 'system:serviceaccount:default:resend-verify', Issuer: 'https://oidc-ack.example', ClientIds: 'sts.aliyuncs.com' },
    }) };
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    let over = false;
    req.on('data', (c) => { size += c.length; if (size > MAX_BODY) over = true; else chunks.push(c); });
    req.on('error', () => {});
    res.on('error', () => {});
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let r;
      try {
        r = over ? { status: 413, kind: 'other', body: 'Too Large' } : handle(req, req.url || '', body);
      } catch (e) {
        process.stderr.write(`credentials double: ${e && e.stack}\n`);
        r = { status: 500, kind: 'other', body: 'Internal Error' };
      }
      record({ time: new Date(now()).toISOString(), method: req.method, url: req.url, headers: req.headers,
        body, status: r.status, kind: r.kind, response: r.body });
      const send = () => {
        if (res.destroyed || res.writableEnded) return;
        res.writeHead(r.status, { 'Content-Type': r.type || 'text/plain', 'Content-Length': Buffer.byteLength(r.body) });
        res.end(r.body);
      };
      // the metadata token comes at once: "slow" is about the credentials
      if (o.delayMs > 0 && r.kind !== 'token') setTimeout(send, o.delayMs); else send();
    });
  });
  server.on('clientError', (err, socket) => { socket.destroy(); });
  return server;
}

function usage(msg) {
  if (msg) process.stderr.write(`credentials double: ${msg}\n`);
  process.stderr.write('usage: node double/credentials.js --port N [--issued FILE] [--record FILE] [--lifetime S] ...\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { listen: '127.0.0.1', port: 0 };
  const flags = { '--imds-v1': 'imdsV1', '--imds-no-token': 'imdsNoToken', '--garbage': 'garbage',
    '--expired': 'expired', '--ms-expiration': 'msExpiration' };
  const vals = { '--listen': 'listen', '--issued': 'issued', '--record': 'record', '--role': 'role',
    '--code': 'code', '--role-arn': 'roleArn', '--oidc-provider-arn': 'oidcProviderArn',
    '--oidc-token-file': 'oidcTokenFile' };
  const ints = { '--port': 'port', '--lifetime': 'lifetime', '--delay-ms': 'delayMs', '--status': 'status' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (flags[a]) { o[flags[a]] = true; continue; }
    if (!vals[a] && !ints[a]) usage(`unknown argument ${a}`);
    if (i + 1 >= argv.length) usage(`${a} needs a value`);
    const v = argv[++i];
    if (ints[a]) {
      if (!/^\d+$/.test(v)) usage(`${a} must be a non-negative integer`);
      o[ints[a]] = Number(v);
    } else {
      o[vals[a]] = v;
    }
  }
  return o;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const server = createCredentials(o);
  server.on('error', (e) => { process.stderr.write(`credentials double: ${e.message}\n`); process.exit(1); });
  server.listen(o.port, o.listen, () => {
    const addr = server.address();
    process.stdout.write(`credentials double listening on ${addr.address}:${addr.port}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    if (server.closeAllConnections) server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { createCredentials };

if (require.main === module) main();
