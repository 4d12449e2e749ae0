#!/usr/bin/env node
'use strict';
// Replays requests recorded by double/server.js --record through the official
// @alicloud/pop-core 1.8.0 RPCClient (transport stubbed, no network) and checks
// that the module's POST bodies are byte-for-byte what the SDK would send.
//
//   node t/conformance/popcore-replay.js --record FILE --secret SECRET
//        [--key-id ID] [--security-token T] [--from-line N]
//
// Per recorded `POST /` request, three TAP test points:
//   1. body matches pop-core (byte for byte; param-set differences reported)
//   2. transport: URL is exactly "/" and Content-Type is application/x-www-form-urlencoded
//   3. the recorded Signature reproduces with @alicloud/openapi-util getRPCSignature
// Exit status: 0 all passed; 1 a check failed or no request was found; 2 usage.

// Belt and braces: this script never needs the network. Make any attempt fail.
for (const modName of ['http', 'https', 'net', 'tls']) {
  const m = require(modName);
  for (const fn of ['request', 'get', 'connect', 'createConnection']) {
    if (typeof m[fn] === 'function') {
      m[fn] = function () { throw new Error(`popcore-replay: network access disabled (${modName}.${fn})`); };
    }
  }
}

const fs = require('fs');
const OpenApiUtil = require('@alicloud/openapi-util').default;
const { capture } = require('./popcore-capture.js');

function usage(msg) {
  if (msg) process.stderr.write(`popcore-replay: ${msg}\n`);
  process.stderr.write('usage: node t/conformance/popcore-replay.js --record FILE --secret SECRET ' +
    '[--key-id ID] [--security-token T] [--from-line N]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { record: null, secret: null, keyId: null, securityToken: null, fromLine: 1 };
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
    switch (a) {
      case '--record': o.record = val(); break;
      case '--secret': o.secret = val(); break;
      case '--key-id': o.keyId = val(); break;
      case '--security-token': o.securityToken = val(); break;
      case '--from-line': {
        const s = val();
        if (!/^[1-9]\d*$/.test(s)) usage('--from-line must be a positive integer');
        o.fromLine = Number(s);
        break;
      }
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!o.record) usage('--record is required');
  if (!o.secret) usage('--secret is required');
  return o;
}

function decodeForm(str) {
  const out = [];
  for (const [k, val] of new URLSearchParams(str)) out.push([k, val]);
  return out;
}

function mask(email) {
  if (email === undefined) return '(no Email)';
  if (email === '') return '(empty Email)';
  return email.split(',').map((a) => {
    const at = a.lastIndexOf('@');
    const local = at >= 0 ? a.slice(0, at) : a;
    const first = Array.from(local)[0] || '';
    return first + '***' + (at >= 0 ? a.slice(at) : '');
  }).join(',');
}

// Escape diagnostics so one value stays on one "# " line.
function show(s) {
  return JSON.stringify(s);
}

function headerValue(headers, name) {
  if (!headers) return undefined;
  return headers[name];
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let text;
  try {
    text = fs.readFileSync(o.record, 'utf8');
  } catch (e) {
    process.stdout.write(`1..1\nnot ok 1 - cannot read record file ${o.record}: ${e.message}\n`);
    process.exit(1);
  }
  const lines = text.split('\n');
  const notes = [];
  const requests = [];
  for (let n = o.fromLine; n <= lines.length; n++) {
    const line = lines[n - 1];
    if (!line.trim()) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch (e) {
      requests.push({ line: n, bad: `line ${n} is not JSON: ${e.message}` });
      continue;
    }
    const url = String(entry.url || '');
    const pathPart = url.split('?')[0];
    if (entry.method === 'POST' && pathPart === '/') requests.push({ line: n, entry });
    else notes.push(`# skipped line ${n}: ${entry.method} ${show(url)}`);
  }

  const points = [];
  const add = (ok, desc, diag = []) => points.push({ ok, desc, diag });

  for (const r of requests) {
    if (r.bad) {
      add(false, r.bad);
      continue;
    }
    const e = r.entry;
    const got = typeof e.body === 'string' ? e.body : '';
    const pairs = decodeForm(got);
    const params = {};
    const dups = [];
    for (const [k, v] of pairs) {
      if (Object.prototype.hasOwnProperty.call(params, k)) dups.push(k);
      else Object.defineProperty(params, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    const has = (k) => Object.prototype.hasOwnProperty.call(params, k);
    const who = `${mask(params.Email)} (line ${r.line})`;

    // 1. body vs pop-core
    const sdkParams = {};
    for (const k of ['Email', 'Lang', 'UserClientIp', 'Timestamp', 'SignatureNonce']) {
      if (has(k)) sdkParams[k] = params[k];
    }
    const accessKeyId = o.keyId || params.AccessKeyId || '(missing AccessKeyId)';
    const securityToken = o.securityToken || (has('SecurityToken') ? params.SecurityToken : undefined);
    let sdk = null;
    let sdkErr = null;
    try {
      sdk = await capture({
        accessKeyId,
        accessKeySecret: o.secret,
        securityToken,
        apiVersion: params.Version || '2018-01-29',
        params: sdkParams,
        method: 'POST',
      });
    } catch (err) {
      sdkErr = err;
    }
    if (sdkErr || !sdk || typeof sdk.body !== 'string') {
      add(false, `${who} body matches pop-core`, [`# pop-core failed: ${sdkErr ? sdkErr.message : 'no body captured'}`]);
    } else if (sdk.body === got && dups.length === 0) {
      add(true, `${who} body matches pop-core`);
    } else {
      const diag = [`# expected: ${sdk.body}`, `# got:      ${got}`];
      let i = 0;
      while (i < sdk.body.length && i < got.length && sdk.body[i] === got[i]) i++;
      diag.push(`# first difference at byte offset ${i}`);
      if (dups.length) diag.push(`# duplicate params in module body: ${dups.join(', ')}`);
      const sdkMap = new Map(decodeForm(sdk.body));
      const gotNames = new Set(Object.keys(params));
      const onlyModule = [...gotNames].filter((k) => !sdkMap.has(k));
      const onlySdk = [...sdkMap.keys()].filter((k) => !gotNames.has(k));
      if (onlyModule.length) diag.push(`# params only in module: ${onlyModule.join(', ')}`);
      if (onlySdk.length) diag.push(`# params only in pop-core: ${onlySdk.join(', ')}`);
      if (!onlyModule.length && !onlySdk.length) diag.push('# param name sets are identical');
      for (const [k, v] of sdkMap) {
        if (gotNames.has(k) && params[k] !== v) {
          diag.push(`# value differs for ${k}: module=${show(params[k])} pop-core=${show(v)}`);
        }
      }
      const sdkOrder = [...sdkMap.keys()].join(',');
      const gotOrder = pairs.map(([k]) => k).join(',');
      if (sdkOrder !== gotOrder) diag.push(`# param order: module=${gotOrder} pop-core=${sdkOrder}`);
      add(false, `${who} body matches pop-core`, diag);
    }

    // 2. transport: URL and Content-Type
    const tdiag = [];
    if (e.url !== '/') tdiag.push(`# url: expected "/" got ${show(e.url)}`);
    const ct = headerValue(e.headers, 'content-type');
    if (Array.isArray(ct)) {
      tdiag.push(`# content-type sent ${ct.length} times: ${show(ct)}`);
    } else if (typeof ct !== 'string') {
      tdiag.push('# content-type: missing');
    } else {
      const media = ct.split(';')[0].trim().toLowerCase();
      if (media !== 'application/x-www-form-urlencoded') {
        tdiag.push(`# content-type: expected application/x-www-form-urlencoded got ${show(ct)}`);
      } else if (ct !== 'application/x-www-form-urlencoded') {
        notes.push(`# note line ${r.line}: content-type ${show(ct)} differs from pop-core's exact "application/x-www-form-urlencoded"`);
      }
    }
    add(tdiag.length === 0, `${who} url is "/" and content-type is application/x-www-form-urlencoded`, tdiag);

    // 3. signature reproduces with openapi-util
    const signed = {};
    for (const [k, v] of pairs) {
      if (k !== 'Signature' && !Object.prototype.hasOwnProperty.call(signed, k)) {
        Object.defineProperty(signed, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
    }
    let sig = null;
    let sigErr = null;
    try {
      sig = OpenApiUtil.getRPCSignature(signed, 'POST', o.secret);
    } catch (err) {
      sigErr = err;
    }
    if (!sigErr && has('Signature') && sig === params.Signature) {
      add(true, `${who} signature reproduces with openapi-util getRPCSignature`);
    } else {
      add(false, `${who} signature reproduces with openapi-util getRPCSignature`, sigErr
        ? [`# getRPCSignature failed: ${sigErr.message}`]
        : [`# expected: ${sig}`, `# got:      ${has('Signature') ? params.Signature : '(no Signature)'}`]);
    }
  }

  if (requests.length === 0) {
    process.stdout.write(`1..1\nnot ok 1 - no POST / request found in ${o.record} from line ${o.fromLine}\n`);
    for (const n of notes) process.stdout.write(n + '\n');
    process.exit(1);
  }
  const out = [`1..${points.length}`];
  points.forEach((p, i) => {
    out.push(`${p.ok ? 'ok' : 'not ok'} ${i + 1} - ${p.desc}`);
    out.push(...p.diag);
  });
  out.push(...notes);
  const failed = points.filter((p) => !p.ok).length;
  out.push(`# ${requests.length} request(s), ${points.length - failed} passed, ${failed} failed`);
  process.stdout.write(out.join('\n') + '\n');
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  process.stdout.write(`1..1\nnot ok 1 - popcore-replay crashed: ${e && e.message}\n`);
  process.exit(1);
});
