#!/usr/bin/env node
'use strict';
// A local HTTP server that misbehaves on purpose, for the upstream-fault
// tests (t/080-upstream-faults.t).  It speaks HTTP/1.x over raw TCP so that
// it can send exactly the bytes (or the resets) a test wants.
//
//   node t/lib/misbehave.js --port N [--listen 127.0.0.1] [--parent-pid P]
//
// (--parent-pid: exit when process P is gone, so that a test that dies
// never leaves it behind)
// prints "misbehave listening on 127.0.0.1:N" when ready.  The behaviour is
// the first path segment of the request (e.g. "POST /truncated"), or the
// "X-Misbehave" request header when present.  A delay (ms) for the slow
// behaviours comes from the "delay" query parameter or the
// "X-Misbehave-Delay" header.  Every request is read completely (headers and
// a Content-Length body) before the behaviour starts.  Unknown behaviours
// get a 404 envelope (InvalidApi.NotFound).  Run with --list for the list.
//
// Requests are counted per behaviour: "GET /__stats" (no behaviour applied)
// answers {"requests": N, "byBehaviour": {...}}.

const net = require('net');
const zlib = require('zlib');
const crypto = require('crypto');

const EMAIL = 'alice@example.com';

function requestId() {
  const h = crypto.randomBytes(16).toString('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function successJson() {
  return JSON.stringify({
    RequestId: requestId(),
    SuccessList: [{ Code: 'Success', Message: 'Success', Email: EMAIL }],
    FailList: [],
  });
}

function envelope(code, message) {
  return JSON.stringify({
    RequestId: requestId(),
    HostId: 'domain.aliyuncs.com',
    Code: code,
    Message: message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${code}&product=Domain`,
  });
}

const STATUS_TEXT = {
  200: 'OK', 204: 'No Content', 302: 'Found', 400: 'Bad Request', 403: 'Forbidden',
  404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable',
};

// head(status, headers): the status line and header block, as a Buffer.
function head(status, headers) {
  let s = `HTTP/1.1 ${status} ${STATUS_TEXT[status] || 'Status'}\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}

// A complete reply with Content-Length, then close (Connection: close).
function reply(sock, status, type, body, extra = {}) {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const h = { 'Content-Type': type, 'Content-Length': b.length, Connection: 'close', ...extra };
  sock.end(Buffer.concat([head(status, h), b]));
}

const JSON_TYPE = 'application/json;charset=utf-8';
const HTML_500 = '<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>' +
  '<body><h1>Internal Server Error</h1><p>The server encountered an error.</p></body></html>\n';
const HTML_200 = '<!DOCTYPE html>\n<html><head><title>Welcome</title></head>' +
  '<body><p>{"RequestId":"not-really-json"}</p></body></html>\n';

function bigJson(bytes) {
  // a valid success reply made enormous by one long unknown field
  const pad = 'x'.repeat(Math.max(0, bytes - 200));
  return JSON.stringify({
    RequestId: requestId(),
    SuccessList: [{ Code: 'Success', Message: 'Success', Email: EMAIL }],
    FailList: [],
    Padding: pad,
  });
}

function nestedJson(depth) {
  // the success shape, with an unknown field nested "depth" arrays deep
  return `{"RequestId":"${requestId()}","SuccessList":[{"Code":"Success","Message":"Success",` +
    `"Email":"${EMAIL}"}],"FailList":[],"Deep":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

function sleep(ms) { return new Promise((res) => setTimeout(res, ms)); }

// Behaviours: (sock, req) => void.  req = { method, path, query, headers, body, delay }
const B = {
  ok: (s) => reply(s, 200, JSON_TYPE, successJson()),
  // success for every address of the request's Email parameter (comma
  // separated), in order; addresses containing "fail" go to FailList
  'ok-echo': (s, q) => {
    const form = new URLSearchParams(q.body.toString('utf8'));
    const emails = (form.get('Email') || '').split(',').filter((e) => e);
    const item = (e, ok) => ok ? { Code: 'Success', Message: 'Success', Email: e }
      : { Code: 'SendTokenQuotaExceeded', Message: 'Quota exceeded.', Email: e };
    reply(s, 200, JSON_TYPE, JSON.stringify({
      RequestId: requestId(),
      SuccessList: emails.filter((e) => !e.includes('fail')).map((e) => item(e, true)),
      FailList: emails.filter((e) => e.includes('fail')).map((e) => item(e, false)),
    }));
  },
  'ok-chunked': (s) => {
    const body = Buffer.from(successJson());
    const half = body.length >> 1;
    s.end(Buffer.concat([
      head(200, { 'Content-Type': JSON_TYPE, 'Transfer-Encoding': 'chunked', Connection: 'close' }),
      Buffer.from(half.toString(16) + '\r\n'), body.subarray(0, half), Buffer.from('\r\n'),
      Buffer.from((body.length - half).toString(16) + '\r\n'), body.subarray(half), Buffer.from('\r\n'),
      Buffer.from('0\r\n\r\n'),
    ]));
  },
  'html-500': (s) => reply(s, 500, 'text/html', HTML_500),
  'html-502': (s) => reply(s, 502, 'text/html', HTML_500.replace(/500 Internal Server Error|Internal Server Error/g, 'Bad Gateway')),
  'html-503': (s) => reply(s, 503, 'text/html', '<html><body>Service Unavailable</body></html>\n'),
  'html-200': (s) => reply(s, 200, 'text/html', HTML_200),
  // Content-Length larger than what is sent; what is sent is a complete,
  // valid success JSON, so only the framing tells that the reply is cut.
  truncated: (s) => {
    const body = Buffer.from(successJson());
    s.end(Buffer.concat([head(200, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length + 64 }), body]));
  },
  // the first half of the JSON, Content-Length right, then close
  'truncated-half': (s) => {
    const body = Buffer.from(successJson());
    s.end(Buffer.concat([head(200, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length }),
      body.subarray(0, body.length >> 1)]));
  },
  // chunked: the whole JSON in one chunk, then close without the last chunk
  'truncated-chunked': (s) => {
    const body = Buffer.from(successJson());
    s.end(Buffer.concat([
      head(200, { 'Content-Type': JSON_TYPE, 'Transfer-Encoding': 'chunked' }),
      Buffer.from(body.length.toString(16) + '\r\n'), body, Buffer.from('\r\n'),
    ]));
  },
  // headers and part of the body, then RST
  'reset-mid-body': async (s) => {
    const body = Buffer.from(successJson());
    s.write(Buffer.concat([head(200, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length }),
      body.subarray(0, 20)]));
    await sleep(50);
    s.resetAndDestroy();
  },
  // the complete JSON but Content-Length larger, then (once nginx has read
  // it) RST
  'reset-after-json': async (s) => {
    const body = Buffer.from(successJson());
    s.write(Buffer.concat([head(200, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length + 10 }), body]));
    await sleep(300);
    s.resetAndDestroy();
  },
  // RST before any byte of the reply
  'reset-before-headers': (s) => s.resetAndDestroy(),
  xml: (s) => reply(s, 200, 'text/xml', '<?xml version=\'1.0\' encoding=\'UTF-8\'?>' +
    `<ResendEmailVerificationResponse><RequestId>${requestId()}</RequestId><SuccessList>` +
    `<SendResult><Email>${EMAIL}</Email><Code>Success</Code><Message>Success</Message></SendResult>` +
    '</SuccessList><FailList/></ResendEmailVerificationResponse>'),
  gzip: (s) => reply(s, 200, JSON_TYPE, zlib.gzipSync(Buffer.from(successJson())),
    { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' }),
  empty: (s) => reply(s, 200, JSON_TYPE, ''),
  'empty-close': (s) => s.end(head(200, { 'Content-Type': JSON_TYPE, Connection: 'close' })),
  'no-content': (s) => s.end(head(204, { Connection: 'close' })),
  nested: (s, q) => reply(s, 200, JSON_TYPE, nestedJson(Number(q.query.get('depth')) || 10000)),
  enormous: (s, q) => reply(s, 200, JSON_TYPE, bigJson(Number(q.query.get('bytes')) || 5 * 1024 * 1024)),
  // the same, chunked in 4 KB pieces: no Content-Length to tell the size
  'enormous-chunked': (s, q) => {
    const body = Buffer.from(bigJson(Number(q.query.get('bytes')) || 5 * 1024 * 1024));
    const parts = [head(200, { 'Content-Type': JSON_TYPE, 'Transfer-Encoding': 'chunked', Connection: 'close' })];
    for (let i = 0; i < body.length; i += 4096) {
      const c = body.subarray(i, i + 4096);
      parts.push(Buffer.from(c.length.toString(16) + '\r\n'), c, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('0\r\n\r\n'));
    s.end(Buffer.concat(parts));
  },
  'json-string': (s) => reply(s, 200, JSON_TYPE, '"Success"'),
  'json-null': (s) => reply(s, 200, JSON_TYPE, 'null'),
  'json-trailing': (s) => reply(s, 200, JSON_TYPE, successJson() + '{"RequestId":"second"}'),
  'success-500': (s) => reply(s, 500, JSON_TYPE, successJson()),
  'huge-headers': (s) => {
    const body = Buffer.from(successJson());
    s.end(Buffer.concat([head(200, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length,
      'X-Junk': 'j'.repeat(64 * 1024) }), body]));
  },
  garbage: (s) => s.end(Buffer.from('\x00\x01\x02 this is not HTTP at all\r\n\r\n', 'latin1')),
  // a valid success reply after "delay" ms, the headers at once and the body
  // in slow chunks spread over the delay
  'slow-ok': async (s, q) => {
    const body = Buffer.from(successJson());
    const delay = q.delay === null ? 1000 : q.delay;
    s.write(head(200, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length, Connection: 'close' }));
    const n = 5;
    const step = Math.ceil(body.length / n);
    for (let i = 0; i < n; i++) {
      await sleep(delay / n);
      if (s.destroyed) return;
      s.write(body.subarray(i * step, (i + 1) * step));
    }
    s.end();
  },
  // nothing for "delay" ms, then the whole reply
  'late-ok': async (s, q) => {
    await sleep(q.delay === null ? 1000 : q.delay);
    if (!s.destroyed) reply(s, 200, JSON_TYPE, successJson());
  },
  // headers, then nothing (the socket stays open until the peer closes)
  stall: (s) => {
    s.write(head(200, { 'Content-Type': JSON_TYPE, 'Content-Length': 120 }));
  },
  // half of the body, then nothing
  'stall-mid-body': (s) => {
    const body = Buffer.from(successJson());
    s.write(Buffer.concat([head(200, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length }),
      body.subarray(0, body.length >> 1)]));
  },
  // accept and read the request, then never answer
  'no-headers': () => {},
  // the error envelope, as the gateway sends it
  'sig-mismatch': (s) => reply(s, 400, JSON_TYPE, envelope('SignatureDoesNotMatch',
    'Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DX')),
  'key-not-found': (s) => reply(s, 404, JSON_TYPE, envelope('InvalidAccessKeyId.NotFound', 'Specified access key is not found.')),
  throttling: (s) => reply(s, 400, JSON_TYPE, envelope('Throttling.User', 'Request was denied due to user flow control.')),
  'throttling-api': (s) => reply(s, 400, JSON_TYPE, envelope('Throttling.Api', 'Request was denied due to api flow control.')),
  'throttling-429': (s) => reply(s, 429, JSON_TYPE, envelope('Throttling', 'Request was denied due to request throttling.'),
    { 'Retry-After': '7' }),
  unavailable: (s) => reply(s, 503, JSON_TYPE, envelope('ServiceUnavailable',
    'The request has failed due to a temporary failure of the server.')),
  'internal-error': (s) => reply(s, 500, JSON_TYPE, envelope('InternalError',
    'The request processing has failed due to some unknown error, exception or failure.')),
};

const stats = { requests: 0, byBehaviour: {} };

function parseRequest(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const [method, target] = (lines.shift() || '').split(' ');
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const len = Number(headers['content-length'] || 0);
  if (buf.length < end + 4 + len) return null;
  const url = new URL(target || '/', 'http://127.0.0.1');
  const d = headers['x-misbehave-delay'] || url.searchParams.get('delay');
  return {
    method, path: url.pathname, query: url.searchParams, headers,
    body: buf.subarray(end + 4, end + 4 + len),
    behaviour: headers['x-misbehave'] || url.pathname.split('/')[1] || 'ok',
    delay: d === null || d === undefined ? null : Number(d),
  };
}

function handle(sock) {
  let buf = Buffer.alloc(0);
  let started = false;
  sock.on('error', () => {});
  sock.on('data', (chunk) => {
    if (started) return;
    buf = Buffer.concat([buf, chunk]);
    if (buf.length > 1024 * 1024) { sock.destroy(); return; }
    const req = parseRequest(buf);
    if (!req) return;
    started = true;
    if (req.path === '/__stats') {
      reply(sock, 200, JSON_TYPE, JSON.stringify(stats));
      return;
    }
    stats.requests++;
    stats.byBehaviour[req.behaviour] = (stats.byBehaviour[req.behaviour] || 0) + 1;
    const fn = B[req.behaviour];
    if (!fn) {
      reply(sock, 404, JSON_TYPE, envelope('InvalidApi.NotFound', `no behaviour "${req.behaviour}"`));
      return;
    }
    Promise.resolve().then(() => fn(sock, req)).catch((e) => {
      process.stderr.write(`misbehave: ${req.behaviour}: ${e.stack}\n`);
      sock.destroy();
    });
  });
}

function main(argv) {
  let port = 0;
  let listen = '127.0.0.1';
  let parent = 0;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') port = Number(argv[++i]);
    else if (argv[i] === '--listen') listen = argv[++i];
    else if (argv[i] === '--parent-pid') parent = Number(argv[++i]);
    else if (argv[i] === '--list') { console.log(Object.keys(B).sort().join('\n')); return; }
    else {
      process.stderr.write('usage: node t/lib/misbehave.js --port N [--listen 127.0.0.1] [--parent-pid P] [--list]\n');
      process.exit(2);
    }
  }
  if (!(port > 0 && port < 65536)) {
    process.stderr.write('misbehave: --port N is required\n');
    process.exit(2);
  }
  const server = net.createServer(handle);
  server.on('error', (e) => { process.stderr.write(`misbehave: ${e.message}\n`); process.exit(1); });
  server.listen(port, listen, () => {
    process.stdout.write(`misbehave listening on ${listen}:${port}\n`);
  });
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
  if (parent > 0) {
    setInterval(() => {
      try { process.kill(parent, 0); } catch (e) { process.exit(0); }
    }, 500).unref();
  }
}

if (require.main === module) main(process.argv.slice(2));

module.exports = { behaviours: Object.keys(B) };
