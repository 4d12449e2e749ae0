#!/usr/bin/env node
'use strict';
// Local test double of the Alibaba Cloud Domain API (RPC gateway) for the one
// action the nginx module calls: ResendEmailVerification (2018-01-29).
// It verifies HMAC-SHA1 "SignatureVersion 1.0" signatures with the official
// @alicloud/openapi-util and follows /work/shared/aliyun/API.md §5 in order;
// a request whose Authorization starts with "ACS3-" takes the V3 path
// (double/acs3.js, API.md §6).
//
//   node double/server.js [--listen 127.0.0.1] [--port N] [--key ID:SECRET[:STSTOKEN]]...
//       [--sts-issued FILE]   (also the STS credentials double/credentials.js issued)
//       [--skew-seconds 900] [--host-id domain.aliyuncs.com] [--record FILE]
//       [--delay-ms N] [--version 2018-01-29]... [--verbose]
//
// Requiring this file does not start anything; it exports createDouble() and
// the form helpers.

const http = require('http');
const fs = require('fs');
const crypto = require('crypto');

const OpenApiUtil = require('@alicloud/openapi-util').default;
const { makeV3, isV3 } = require('./acs3.js');

const DEFAULT_KEY = {
  id: 'LTAI5tTestOnlyKeyId0001',
  secret: 'TestOnlySecret0123456789abcdef',
  token: null,
};
const MAX_BODY = 64 * 1024;
const MAX_NONCES = 100000;
const ACTION = 'ResendEmailVerification';
const REQUIRED = ['Action', 'Version', 'Format', 'AccessKeyId', 'SignatureMethod',
  'SignatureVersion', 'SignatureNonce', 'Timestamp', 'Signature'];
const QUOTA_MESSAGE = 'The maximum number of attempts allowed to send the email verification link is exceeded.';

// ---------------------------------------------------------------------------
// Encoding helpers

// percentEncode per SPEC §2 (identical to pop-core / openapi-util `encode`).
function percentEncode(str) {
  return encodeURIComponent(str)
    .replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28')
    .replace(/\)/g, '%29').replace(/\*/g, '%2A');
}

// SPEC §3/§4: the string to sign (used for the SignatureDoesNotMatch message).
function stringToSign(method, params) {
  const canonical = Object.keys(params).sort()
    .map((k) => percentEncode(k) + '=' + percentEncode(params[k])).join('&');
  return `${method}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

// application/x-www-form-urlencoded decoding (WHATWG rules: '+' = space,
// %XX bytes, UTF-8; malformed escapes stay literal, bad UTF-8 becomes U+FFFD).
// Returns a list of [name, value] pairs, duplicates preserved.
function decodeForm(str) {
  const out = [];
  for (const [k, v] of new URLSearchParams(str)) out.push([k, v]);
  return out;
}

// ---------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const E = {
  unsupportedMethod: () => new ApiError(400, 'UnsupportedHTTPMethod', 'This http method not supported.'),
  duplicate: (n) => new ApiError(400, 'InvalidParameter.Duplicate', `Specified parameter ${n} is duplicated.`),
  missing: (n) => new ApiError(400, `Missing${n}`, `${n} is mandatory for this action.`),
  invalidVersion: () => new ApiError(400, 'InvalidVersion', 'Specified parameter Version is not valid.'),
  invalidSigMethod: () => new ApiError(400, 'InvalidSignatureMethod', 'Specified signature method is not valid.'),
  invalidSigVersion: () => new ApiError(400, 'InvalidSignatureVersion', 'Specified parameter SignatureVersion is not valid.'),
  invalidFormat: () => new ApiError(400, 'InvalidParameter.Format', 'Specified parameter format is not valid.'),
  keyNotFound: () => new ApiError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'),
  tsFormat: () => new ApiError(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.'),
  tsExpired: () => new ApiError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.'),
  sigMismatch: (sts) => new ApiError(400, 'SignatureDoesNotMatch',
    'Specified signature is not matched with our calculation. server string to sign is:' + sts),
  stsExpired: () => new ApiError(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.'),
  stsMismatch: () => new ApiError(400, 'InvalidSecurityToken.MismatchWithAccessKey',
    'Specified SecurityToken does not match the AccessKeyId.'),
  incompleteSignature: (sts) => new ApiError(400, 'IncompleteSignature',
    'The request signature does not conform to Aliyun standards.' + (sts ? ' server string to sign is:' + sts : '')),
  missingSecurityToken: () => new ApiError(400, 'MissingSecurityToken', 'SecurityToken is mandatory for this action.'),
  nonceUsed: () => new ApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.'),
  apiNotFound: () => new ApiError(404, 'InvalidApi.NotFound', 'Specified api is not found, please check your url and method.'),
  throttling: () => new ApiError(400, 'Throttling.User', 'Request was denied due to user flow control.'),
  internal: () => new ApiError(500, 'InternalError', 'The request processing has failed due to some unknown error, exception or failure.'),
  unavailable: () => new ApiError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.'),
  tooLarge: () => new ApiError(413, 'RequestEntityTooLarge', `The request body exceeds ${MAX_BODY} bytes.`),
};

// Strict YYYY-MM-DDTHH:mm:ssZ, a real calendar date/time. Returns ms or null.
function parseTimestamp(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  const dt = new Date(t);
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d ||
      dt.getUTCHours() !== h || dt.getUTCMinutes() !== mi || dt.getUTCSeconds() !== se) return null;
  return t;
}

// local@domain.tld, Unicode allowed, no whitespace, commas or extra '@'.
const EMAIL_RE = /^[^\s,@]+@[^\s,@.]+(?:\.[^\s,@.]+)+$/u;

function timingSafeEqualStr(a, b) {
  const ba = Buffer.from(String(a), 'utf8');
  const bb = Buffer.from(String(b), 'utf8');
  return ba.length === bb.length && crypto.timingSafeEqual(ba, bb);
}

function headerObject(rawHeaders) {
  const h = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1];
    if (!Object.prototype.hasOwnProperty.call(h, name)) h[name] = value;
    else if (Array.isArray(h[name])) h[name].push(value);
    else h[name] = [h[name], value];
  }
  return h;
}

// --sts-issued FILE: the credentials double/credentials.js handed out (one
// JSON object a line: id, secret, token, expires in ms, revoked), read again
// when its size changes (a line with revoked: true revokes a set); they are
// valid with their token until they expire.
function issuedKeys(file, keys) {
  let size = -1;
  return (id) => {
    {
      let st = null;
      try { st = fs.statSync(file); } catch (_) { st = null; }
      if (st && st.size !== size) {
        size = st.size;
        for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
          if (!line.trim()) continue;
          try {
            const c = JSON.parse(line);
            const old = keys.get(c.id);
            keys.set(c.id, { secret: c.secret, token: c.token, expires: c.expires,
              revoked: !!(c.revoked || (old && old.revoked)) });
          } catch (_) { /* a line being written */ size = -1; }
        }
      }
    }
    return keys.get(id);
  };
}

function createDouble(options = {}) {
  const keys = new Map();
  for (const k of (options.keys && options.keys.length ? options.keys : [DEFAULT_KEY])) {
    keys.set(k.id, { secret: k.secret, token: k.token || null });
  }
  const versions = new Set(options.versions && options.versions.length ? options.versions : ['2018-01-29']);
  const skewMs = (options.skewSeconds == null ? 900 : Number(options.skewSeconds)) * 1000;
  const hostId = options.hostId || 'domain.aliyuncs.com';
  const recordFile = options.record || null;
  const delayMs = Number(options.delayMs) || 0;
  const verbose = !!options.verbose;
  const now = options.now || (() => Date.now());
  const nonces = new Map(); // insertion-ordered: oldest first
  const stsIssued = options.stsIssued ? issuedKeys(options.stsIssued, keys) : null;

  function rememberNonce(k) {
    nonces.set(k, true);
    while (nonces.size > MAX_NONCES) nonces.delete(nonces.keys().next().value);
  }

  // API.md §5 step 5, for both paths: the key, or the error
  function findKey(id) {
    const key = stsIssued ? stsIssued(id) : keys.get(id);
    if (!key) throw E.keyNotFound();
    if (key.expires !== undefined && (key.revoked || now() >= key.expires)) throw E.stsExpired();
    return key;
  }

  // API.md §5, steps 10-12, for both paths
  function finish(action, params) {
    const has = (n) => Object.prototype.hasOwnProperty.call(params, n);
    // 10
    if (action !== ACTION) throw E.apiNotFound();
    if (!has('Email') || params.Email === '') throw E.missing('Email');
    // 11
    const lower = params.Email.toLowerCase();
    if (lower.includes('throttle')) throw E.throttling();
    if (lower.includes('internalerror')) throw E.internal();
    if (lower.includes('unavailable')) throw E.unavailable();
    // 12
    const SuccessList = [];
    const FailList = [];
    for (const email of params.Email.split(',')) {
      if (!EMAIL_RE.test(email)) FailList.push({ Code: 'ParameterIllegall', Message: 'Parameter error', Email: email });
      else if (email.toLowerCase().includes('quota')) FailList.push({ Code: 'SendTokenQuotaExceeded', Message: QUOTA_MESSAGE, Email: email });
      else SuccessList.push({ Code: 'Success', Message: 'Success', Email: email });
    }
    return { status: 200, code: 'OK', params, body: { SuccessList, FailList } };
  }

  const handleV3 = makeV3({
    E, findKey, versions, skewMs, now, parseTimestamp, decodeForm, finish,
    nonces: { has: (k) => nonces.has(k), remember: rememberNonce },
  });

  // API.md §5, steps 1-12 (§6 for V3). Returns {status, code, body(object)}; throws ApiError.
  function handle(method, url, headers, body, rawBody) {
    if (isV3(headers)) return handleV3(method, url, headers, body, rawBody);
    // 1
    if (method !== 'GET' && method !== 'POST') throw E.unsupportedMethod();
    // 2
    const qi = url.indexOf('?');
    const pairs = qi >= 0 ? decodeForm(url.slice(qi + 1)) : [];
    let ctype = headers['content-type'];
    if (Array.isArray(ctype)) ctype = ctype[0];
    const mediaType = String(ctype || '').split(';')[0].trim().toLowerCase();
    if (method === 'POST' && mediaType === 'application/x-www-form-urlencoded') {
      pairs.push(...decodeForm(body));
    }
    const seen = new Set();
    for (const [k] of pairs) {
      if (seen.has(k)) throw E.duplicate(k);
      seen.add(k);
    }
    const params = Object.fromEntries(pairs); // own data properties, even "__proto__"
    const has = (n) => Object.prototype.hasOwnProperty.call(params, n);
    // 3
    for (const n of REQUIRED) if (!has(n) || params[n] === '') throw E.missing(n);
    // 4
    if (!versions.has(params.Version)) throw E.invalidVersion();
    if (params.SignatureMethod !== 'HMAC-SHA1') throw E.invalidSigMethod();
    if (params.SignatureVersion !== '1.0') throw E.invalidSigVersion();
    const fmt = params.Format.toLowerCase();
    if (fmt !== 'json' && fmt !== 'xml') throw E.invalidFormat();
    // 5
    const key = findKey(params.AccessKeyId);
    // 6
    const ts = parseTimestamp(params.Timestamp);
    if (ts === null) throw E.tsFormat();
    if (Math.abs(now() - ts) > skewMs) throw E.tsExpired();
    // 7
    const signed = Object.fromEntries(pairs.filter(([k]) => k !== 'Signature'));
    const expected = OpenApiUtil.getRPCSignature(signed, method, key.secret);
    if (!timingSafeEqualStr(expected, params.Signature)) throw E.sigMismatch(stringToSign(method, signed));
    // 8
    if (key.token !== null) {
      if (!has('SecurityToken') || params.SecurityToken !== key.token) throw E.stsMismatch();
    } else if (has('SecurityToken')) {
      throw E.stsMismatch();
    }
    // 9
    const nk = params.AccessKeyId + '\n' + params.SignatureNonce;
    if (nonces.has(nk)) throw E.nonceUsed();
    rememberNonce(nk);
    // 10-12
    return finish(params.Action, params);
  }

  function envelope(requestId, err) {
    return {
      RequestId: requestId,
      HostId: hostId,
      Code: err.code,
      Message: err.message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(err.code)}&product=Domain&requestId=${requestId}`,
    };
  }

  function record(entry) {
    if (!recordFile) return;
    try {
      fs.appendFileSync(recordFile, JSON.stringify(entry) + '\n');
    } catch (e) {
      process.stderr.write(`double: cannot write record file: ${e.message}\n`);
    }
  }

  function respond(req, res, received, raw, truncated) {
    const bodyStr = raw.toString('utf8');
    const requestId = crypto.randomUUID().toUpperCase();
    const url = req.url || '';
    const headers = headerObject(req.rawHeaders || []);
    let status;
    let code;
    let payload;
    let params = {};
    try {
      if (truncated) throw E.tooLarge();
      const r = handle(req.method, url, headers, bodyStr, raw);
      status = r.status;
      code = r.code;
      params = r.params;
      payload = Object.assign({ RequestId: requestId }, r.body);
    } catch (e) {
      const err = e instanceof ApiError ? e : E.internal();
      if (!(e instanceof ApiError)) process.stderr.write(`double: internal error: ${e && e.stack}\n`);
      status = err.status;
      code = err.code;
      payload = envelope(requestId, err);
      if (!Object.keys(params).length) {
        try { params = paramsForRecord(req.method, url, headers, bodyStr, truncated); } catch (_) { params = {}; }
      }
    }
    const text = JSON.stringify(payload);
    const entry = {
      time: received.toISOString(),
      method: req.method,
      url,
      headers,
      body: bodyStr,
      params,
      status,
      code,
      response: text,
    };
    if (truncated) entry.truncated = true;
    record(entry);
    if (verbose) process.stderr.write(`double: ${req.method} ${url} -> ${status} ${code}\n`);
    const send = () => {
      if (res.destroyed || res.writableEnded) return;
      const h = {
        'Content-Type': 'application/json;charset=utf-8',
        'x-acs-request-id': requestId,
        'Content-Length': Buffer.byteLength(text),
      };
      if (truncated) h.Connection = 'close';
      res.writeHead(status, h);
      res.end(text);
    };
    if (delayMs > 0) setTimeout(send, delayMs); else send();
  }

  // Best-effort merged params for the record when the request failed early.
  function paramsForRecord(method, url, headers, body, truncated) {
    const qi = url.indexOf('?');
    const pairs = qi >= 0 ? decodeForm(url.slice(qi + 1)) : [];
    let ctype = headers['content-type'];
    if (Array.isArray(ctype)) ctype = ctype[0];
    const mediaType = String(ctype || '').split(';')[0].trim().toLowerCase();
    if (!truncated && method === 'POST' && mediaType === 'application/x-www-form-urlencoded') pairs.push(...decodeForm(body));
    const out = {};
    for (const [k, v] of pairs) if (!Object.prototype.hasOwnProperty.call(out, k)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  }

  const server = http.createServer((req, res) => {
    const received = new Date();
    let done = false;
    const chunks = [];
    let size = 0;
    const fail = () => {
      if (done) return;
      done = true;
      try {
        respond(req, res, received, Buffer.concat(chunks), true);
      } catch (e) {
        res.destroy();
      }
    };
    req.on('error', () => { done = true; });
    res.on('error', () => {});
    const cl = Number(req.headers['content-length']);
    if (Number.isFinite(cl) && cl > MAX_BODY) {
      req.resume(); // drain and discard
      fail();
      return;
    }
    req.on('data', (c) => {
      if (done) return;
      size += c.length;
      if (size > MAX_BODY) {
        fail();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      try {
        respond(req, res, received, Buffer.concat(chunks), false);
      } catch (e) {
        process.stderr.write(`double: ${e && e.stack}\n`);
        try { res.writeHead(500); res.end(); } catch (_) { res.destroy(); }
      }
    });
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

// ---------------------------------------------------------------------------
// CLI

function usage(msg) {
  if (msg) process.stderr.write(`double: ${msg}\n`);
  process.stderr.write('usage: node double/server.js [--listen 127.0.0.1] [--port N] [--key ID:SECRET[:STSTOKEN]]... ' +
    '[--sts-issued FILE] [--skew-seconds 900] [--host-id domain.aliyuncs.com] [--record FILE] [--delay-ms N] [--version V]... [--verbose]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { listen: '127.0.0.1', port: 0, keys: [], versions: [], skewSeconds: 900,
    hostId: 'domain.aliyuncs.com', record: null, delayMs: 0, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const val = () => {
      if (v !== undefined) return v;
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const int = (s, name) => {
      if (!/^\d+$/.test(s)) usage(`${name} must be a non-negative integer`);
      return Number(s);
    };
    switch (a) {
      case '--listen': o.listen = val(); break;
      case '--port': o.port = int(val(), a); if (o.port > 65535) usage('bad --port'); break;
      case '--key': {
        const parts = val().split(':');
        if (parts.length < 2 || !parts[0] || !parts[1]) usage('--key must be ID:SECRET[:STSTOKEN]');
        const token = parts.length > 2 ? parts.slice(2).join(':') : null;
        o.keys.push({ id: parts[0], secret: parts[1], token: token || null });
        break;
      }
      case '--sts-issued': o.stsIssued = val(); break;
      case '--skew-seconds': o.skewSeconds = int(val(), a); break;
      case '--host-id': o.hostId = val(); break;
      case '--record': o.record = val(); break;
      case '--delay-ms': o.delayMs = int(val(), a); break;
      case '--version': o.versions.push(val()); break;
      case '--verbose': o.verbose = true; break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  return o;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const server = createDouble(o);
  server.on('error', (e) => {
    process.stderr.write(`double: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(o.port, o.listen, () => {
    const addr = server.address();
    const host = addr.family === 'IPv6' || addr.family === 6 ? `[${addr.address}]` : addr.address;
    process.stdout.write(`double listening on ${host}:${addr.port}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    if (server.closeAllConnections) server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { createDouble, decodeForm, percentEncode, stringToSign, parseTimestamp, DEFAULT_KEY };

if (require.main === module) main();
