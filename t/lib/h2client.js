#!/usr/bin/env node
'use strict';
// An HTTP/2 client for the tests (t/100-http2.t): requests on ONE session,
// over TLS with ALPN "h2" (https://) or cleartext with prior knowledge
// (http://), with control over how the body goes out.
//
//   node t/lib/h2client.js JOB.json
//
// JOB: {
//   "url": "https://127.0.0.1:N" | "http://127.0.0.1:N",
//   "timeout_ms": 20000,
//   "concurrent": false,      // true: all requests at once; else one by one
//   "requests": [{
//     "method": "POST", "path": "/resend", "headers": {"name": "value"},
//     "body": "text",           // or "body_b64"
//     "content_length": true,   // send a content-length header
//     "frames": 1,              // the body in this many DATA frames, each
//                               // written once the previous one went out
//     "reset": "mid-body" | "in-flight",
//                               // mid-body: half the frames, then RST_STREAM
//                               // (CANCEL), no END_STREAM.  in-flight: the
//                               // whole body, then RST_STREAM once "wait_url"
//                               // (misbehave's /__stats) shows that
//                               // "wait_key" got "wait_count" requests
//     "wait_url": "http://127.0.0.1:M/__stats", "wait_key": "no-headers",
//     "wait_count": 1
//   }]
// }
//
// Prints one JSON line: {"results": [{"status", "headers", "body", "reset",
// "error"}...], "error": null}.  Talks to 127.0.0.1 only; bounded by
// timeout_ms as a whole.

const http2 = require('http2');
const http = require('http');
const fs = require('fs');

function fail(msg) {
  process.stdout.write(JSON.stringify({ results: [], error: msg }) + '\n');
  process.exit(2);
}

const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const url = new URL(job.url);
if (url.hostname !== '127.0.0.1') fail('only 127.0.0.1');

const timer = setTimeout(() => fail(`timed out after ${job.timeout_ms || 20000} ms`),
  job.timeout_ms || 20000);

function getJson(u) {
  return new Promise((resolve, reject) => {
    const t = new URL(u);
    if (t.hostname !== '127.0.0.1') { reject(new Error('only 127.0.0.1')); return; }
    http.get(u, (res) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { s += d; });
      res.on('end', () => { try { resolve(JSON.parse(s)); } catch (e) { reject(e); } });
    }).on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUpstream(rq) {
  for (;;) {
    const st = await getJson(rq.wait_url);
    if ((st.byBehaviour[rq.wait_key] || 0) >= (rq.wait_count || 1)) return;
    await sleep(20);
  }
}

function split(buf, n) {
  const out = [];
  const step = Math.max(1, Math.ceil(buf.length / Math.max(1, n)));
  for (let i = 0; i < buf.length; i += step) out.push(buf.subarray(i, i + step));
  return out;
}

function writeFrame(stream, chunk) {
  return new Promise((resolve) => stream.write(chunk, () => setImmediate(resolve)));
}

function one(session, rq) {
  return new Promise((resolve) => {
    const body = rq.body_b64 !== undefined ? Buffer.from(rq.body_b64, 'base64')
      : Buffer.from(rq.body || '', 'utf8');
    const h = {
      ':method': rq.method || 'POST',
      ':path': rq.path || '/',
      ':scheme': url.protocol.replace(':', ''),
      ':authority': rq.authority || url.host,
      ...(rq.headers || {}),
    };
    if (rq.content_length) h['content-length'] = String(body.length);
    const res = { status: null, headers: {}, body: '', reset: false, error: null };
    const stream = session.request(h, { endStream: body.length === 0 && !rq.reset });
    const chunks = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      res.body = Buffer.concat(chunks).toString('utf8');
      resolve(res);
    };
    stream.on('response', (hd) => {
      res.status = hd[':status'];
      for (const [k, v] of Object.entries(hd)) if (k[0] !== ':') res.headers[k] = v;
    });
    stream.on('data', (d) => chunks.push(d));
    stream.on('end', finish);
    stream.on('close', () => {
      if (stream.rstCode && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR
          && !res.reset) res.error = `stream reset by the server, code ${stream.rstCode}`;
      finish();
    });
    stream.on('error', (e) => { if (!res.reset) res.error = String(e.message || e); });

    (async () => {
      if (body.length === 0 && !rq.reset) return;
      const frames = split(body, rq.frames || 1);
      const send = rq.reset === 'mid-body' ? frames.slice(0, Math.max(1, frames.length >> 1))
        : frames;
      for (const f of send) await writeFrame(stream, f);
      if (rq.reset === 'mid-body') {
        res.reset = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
      if (rq.reset === 'in-flight') {
        await writeFrame(stream, Buffer.alloc(0));
        stream.end();
        await waitUpstream(rq);
        res.reset = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
      stream.end();
    })().catch((e) => { res.error = String(e.message || e); finish(); });
  });
}

async function main() {
  const opts = url.protocol === 'https:'
    ? { rejectUnauthorized: false, ALPNProtocols: ['h2'] } : {};
  const session = http2.connect(job.url, opts);
  const sessionError = new Promise((_, reject) => session.on('error', reject));
  await Promise.race([new Promise((r) => session.on('connect', r)), sessionError]);
  if (url.protocol === 'https:' && session.alpnProtocol !== 'h2') {
    fail(`ALPN gave "${session.alpnProtocol}", not h2`);
  }
  const reqs = job.requests || [];
  let results;
  if (job.concurrent) {
    results = await Promise.race([Promise.all(reqs.map((rq) => one(session, rq))), sessionError]);
  } else {
    results = [];
    for (const rq of reqs) results.push(await Promise.race([one(session, rq), sessionError]));
  }
  session.close();
  clearTimeout(timer);
  process.stdout.write(JSON.stringify({ results, error: null }) + '\n');
}

main().catch((e) => fail(String(e.message || e)));
