'use strict';
// The V3 (ACS3-HMAC-SHA256, ACS3-HMAC-SM3) path of the Domain API double,
// in the order of /work/shared/aliyun/API.md section 6. The signature is
// recomputed with the official @alicloud/openapi-util (hash(),
// getAuthorization()) from the request as received: the raw path, the
// decoded query, every received header (the helper picks host,
// content-type and x-acs-*), the hash of the body bytes.

const crypto = require('crypto');
const OpenApiUtil = require('@alicloud/openapi-util').default;

const ALGORITHMS = new Set(['ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3']);
const AUTH_RE = /^(\S+) Credential=([^,\s]+),SignedHeaders=([^,\s]+),Signature=([0-9a-f]+)$/;
const REQUIRED = ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce',
  'x-acs-content-sha256'];

function isV3(headers) {
  const a = headers.authorization;
  return typeof a === 'string' && a.startsWith('ACS3-');
}

function signedName(name) {
  return name === 'host' || name === 'content-type' || name.startsWith('x-acs-');
}

// SPEC.md 9.3/9.4, for the error message only: what the server signed
function serverStringToSign(alg, method, pathname, query, headers, payload) {
  const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  const cq = Object.keys(query).sort().map((k) => `${k}=${enc(query[k])}`).join('&');
  const names = Object.keys(headers).filter(signedName).sort();
  const ch = names.map((n) => `${n}:${String(headers[n]).trim()}\n`).join('');
  const canonical = `${method}\n${pathname}\n${cq}\n${ch}\n${names.join(';')}\n${payload}`;
  return `${alg}\n${OpenApiUtil.hexEncode(OpenApiUtil.hash(Buffer.from(canonical, 'utf8'), alg))}`;
}

function timingSafeEqualStr(a, b) {
  const ba = Buffer.from(String(a), 'utf8');
  const bb = Buffer.from(String(b), 'utf8');
  return ba.length === bb.length && crypto.timingSafeEqual(ba, bb);
}

/**
 * @param {object} d  what the double shares with this path: E (errors),
 *   findKey(id) (the key, or throws), versions, skewMs, now(),
 *   parseTimestamp(), decodeForm(),
 *   nonces ({has, remember}), finish(params) (API.md 5, steps 10-12)
 */
function makeV3(d) {
  const { E } = d;

  return function handleV3(method, url, headers, body, rawBody) {
    // 1
    if (method !== 'GET' && method !== 'POST') throw E.unsupportedMethod();
    // 2
    const qi = url.indexOf('?');
    const pathname = qi >= 0 ? url.slice(0, qi) : url;
    const queryPairs = qi >= 0 ? d.decodeForm(url.slice(qi + 1)) : [];
    const pairs = queryPairs.slice();
    for (const [name, value] of Object.entries(headers)) {
      if (Array.isArray(value) && signedName(name)) throw E.duplicate(name);
    }
    const mediaType = String(headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (method === 'POST' && mediaType === 'application/x-www-form-urlencoded') {
      pairs.push(...d.decodeForm(body));
    }
    const seen = new Set();
    for (const [k] of pairs) {
      if (seen.has(k) || k === 'Action' || k === 'Version') throw E.duplicate(k);
      seen.add(k);
    }
    const params = Object.fromEntries(pairs);
    // 3
    const m = AUTH_RE.exec(headers.authorization);
    if (!m) throw E.incompleteSignature('');
    const [, alg, credential, signedHeaders, signature] = m;
    if (!ALGORITHMS.has(alg)) throw E.invalidSigMethod();
    // 4
    for (const n of REQUIRED) {
      if (typeof headers[n] !== 'string' || headers[n].trim() === '') throw E.incompleteSignature('');
    }
    // 5
    const key = d.findKey(credential);
    // 6
    if (!d.versions.has(headers['x-acs-version'])) throw E.invalidVersion();
    // 7
    const ts = d.parseTimestamp(headers['x-acs-date']);
    if (ts === null) throw E.tsFormat();
    if (Math.abs(d.now() - ts) > d.skewMs) throw E.tsExpired();
    // 8
    if (headers['x-acs-accesskey-id'] !== undefined && headers['x-acs-accesskey-id'] !== credential) {
      throw E.incompleteSignature('');
    }
    // 9
    const query = Object.fromEntries(queryPairs);
    const payload = OpenApiUtil.hexEncode(OpenApiUtil.hash(rawBody, alg));
    const expected = OpenApiUtil.getAuthorization({ method, pathname, query, headers }, alg, payload,
      credential, key.secret);
    const em = AUTH_RE.exec(expected);
    const sts = serverStringToSign(alg, method, pathname, query, headers, payload);
    if (!em || em[3] !== signedHeaders) throw E.incompleteSignature(sts);
    if (!timingSafeEqualStr(em[4], signature)) throw E.sigMismatch(sts);
    // 10
    const token = headers['x-acs-security-token'];
    if (key.token != null) {
      if (token === undefined) throw E.missingSecurityToken();
      if (token !== key.token) throw E.stsMismatch();
    } else if (token !== undefined) {
      throw E.stsMismatch();
    }
    // 11
    const nk = credential + '\n' + headers['x-acs-signature-nonce'];
    if (d.nonces.has(nk)) throw E.nonceUsed();
    d.nonces.remember(nk);
    // 12: API.md 5, steps 10-12
    return d.finish(headers['x-acs-action'], params);
  };
}

module.exports = { makeV3, isV3 };
