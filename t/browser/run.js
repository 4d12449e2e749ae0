#!/usr/bin/env node
// Browser tests of the example signup page (examples/signup.html and the
// no-JavaScript landing pages), in Debian's headless Chromium driven by
// playwright-core.  It starts no server: t/070-browser.t starts nginx with
// examples/demo.conf.in and the Domain API double, and passes the page's
// URL in BROWSER_BASE_URL.  Output is TAP; the exit code is non-zero if a
// test fails.  A screenshot of every state goes to
// build/browser-artifacts/<state>.png (or $BROWSER_ARTIFACTS).
//
//   BROWSER_BASE_URL=http://127.0.0.1:2284/ node t/browser/run.js
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BROWSER_BASE_URL;
const CHROMIUM = process.env.BROWSER_EXECUTABLE || '/usr/bin/chromium';
const ARTIFACTS = process.env.BROWSER_ARTIFACTS ||
  path.join(__dirname, '..', '..', 'build', 'browser-artifacts');
const WAIT_MS = 10000;      // every single wait
const TOTAL_MS = 85000;     // the whole run

// playwright's launch() gives the browser a fresh, temporary user data dir
// of its own and removes it on close.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];

if (!BASE) {
  process.stderr.write('run.js: BROWSER_BASE_URL is not set: run it with prove t/070-browser.t, which starts nginx and sets it\n');
  process.exit(2);
}

const url = (p) => new URL(p, BASE).toString();
const run = Date.now().toString(36);                  // addresses unique per run
const addr = (name) => `${name}.${run}@example.com`;

// ---------------------------------------------------------------------------
// a tiny TAP runner

const tests = [];
function test(name, fn) { tests.push({ name, fn }); }

class Failure extends Error {}
function assert(cond, msg) { if (!cond) throw new Failure(msg); }
function eq(got, want, what) {
  assert(got === want, `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

let n = 0;
let failed = 0;
function report(ok, name, why) {
  n++;
  process.stdout.write(`${ok ? 'ok' : 'not ok'} ${n} - ${name}\n`);
  if (!ok) {
    failed++;
    for (const l of String(why).split('\n')) process.stdout.write(`#   ${l}\n`);
  }
}

// ---------------------------------------------------------------------------
// helpers

async function shot(page, state) {
  const file = path.join(ARTIFACTS, `${state}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: WAIT_MS });
  return file;
}

// The visible text of the status region once it has some.
async function statusOf(page) {
  const status = page.getByRole('status');
  await status.locator('strong').waitFor({ state: 'visible', timeout: WAIT_MS });
  return {
    className: await status.getAttribute('class'),
    title: (await status.locator('strong').innerText()).trim(),
    text: (await status.innerText()).trim(),
  };
}

async function visible(page, locator, what) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: WAIT_MS });
  } catch (e) {
    const body = (await page.locator('body').innerText().catch(() => '?')).trim();
    throw new Failure(`${what} is not visible on ${page.url()}\n` +
      `the page shows: ${body.slice(0, 600)}`);
  }
}

// Fills the form and submits it as a visitor does (click on the button).
// With JavaScript: waits for the fetch reply and the status; returns the
// reply and the request.
async function submitJs(page, email, lang) {
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Language of the email').selectOption(lang || 'en');
  const [req] = await Promise.all([
    page.waitForRequest((r) => r.url().endsWith('/signup/resend'), { timeout: WAIT_MS }),
    page.getByRole('button', { name: /send the email again/i }).click({ timeout: WAIT_MS }),
  ]);
  const res = await req.response();
  assert(res, `no reply to the fetch for ${email}`);
  await page.waitForFunction(() => !document.querySelector('#resend button').disabled,
    null, { timeout: WAIT_MS });
  return { req, res, status: await statusOf(page) };
}

// Without JavaScript: the form posts, the browser follows the 303.
async function submitNoJs(page, email) {
  await page.getByLabel('Email address').fill(email);
  const seen = [];
  const onResponse = (r) => { if (r.url().endsWith('/signup/resend')) seen.push(r); };
  page.on('response', onResponse);
  try {
    await Promise.all([
      page.waitForURL((u) => !u.pathname.endsWith('/') || u.search !== '',
        { timeout: WAIT_MS, waitUntil: 'load' }),
      page.getByRole('button', { name: /send the email again/i }).click({ timeout: WAIT_MS }),
    ]);
  } finally {
    page.off('response', onResponse);
  }
  const post = seen[0];
  return { post, status: post ? post.status() : null, url: new URL(page.url()) };
}

async function replyJson(res) {
  try { return JSON.stringify(await res.json()); } catch (e) { return '(not JSON)'; }
}

// ---------------------------------------------------------------------------
// the tests, in order (they share one page per context)

let browser, js, nojs, page, page2;
const pageErrors = [];
const good = addr('alice.browser');

test('Chromium starts', async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: WAIT_MS,
  });
  js = await browser.newContext({ viewport: { width: 800, height: 700 }, locale: 'en-US' });
  js.setDefaultTimeout(WAIT_MS);
  js.setDefaultNavigationTimeout(WAIT_MS);
  page = await js.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

test('the page loads: title, heading, labelled fields, lang attribute', async () => {
  const res = await page.goto(url('/'), { timeout: WAIT_MS });
  eq(res.status(), 200, 'status of /');
  eq(await page.title(), 'Resend the verification email', 'title');
  eq(await page.locator('html').getAttribute('lang'), 'en', '<html lang>');
  await visible(page, page.getByRole('heading', { level: 1, name: 'Resend the verification email' }), 'the heading');
  const input = page.getByLabel('Email address');
  eq(await input.getAttribute('type'), 'email', 'input type');
  eq(await input.getAttribute('autocomplete'), 'email', 'autocomplete');
  eq(await page.getByRole('status').getAttribute('aria-live'), 'polite', 'aria-live of the (empty) status');
  await visible(page, page.getByLabel('Language of the email'), 'the language select');
  await visible(page, page.getByText('If this address belongs to an account that is waiting for verification'), 'the note about privacy');
  await shot(page, 'initial');
});

test('at 320 px wide nothing scrolls sideways', async () => {
  await page.setViewportSize({ width: 320, height: 640 });
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(w <= 320, `the page is ${w} px wide at a 320 px viewport`);
  await visible(page, page.getByRole('button', { name: /send the email again/i }), 'the button');
  await shot(page, 'mobile-320');
  await page.setViewportSize({ width: 800, height: 700 });
});

test('the browser itself refuses "not-an-address": nothing is sent', async () => {
  let sent = 0;
  const count = (r) => { if (r.url().endsWith('/signup/resend')) sent++; };
  page.on('request', count);
  await page.getByLabel('Email address').fill('not-an-address');
  await page.getByRole('button', { name: /send the email again/i }).click();
  await page.waitForTimeout(300);
  page.off('request', count);
  eq(sent, 0, 'requests sent');
  eq(await page.getByLabel('Email address').evaluate((e) => e.validity.valid), false, 'validity.valid');
});

test('JS: a good address: success, sent with fetch as JSON client, button disabled while sending', async () => {
  // hold the request a little to see the button while it is in flight
  let seenDisabled = null;
  await page.route('**/signup/resend', async (route) => {
    seenDisabled = await page.evaluate(() => {
      const b = document.querySelector('#resend button');
      return b.disabled && /sending/i.test(b.textContent);
    });
    await route.continue();
  });
  let r;
  try {
    r = await submitJs(page, good);
  } finally {
    await page.unroute('**/signup/resend');
  }
  eq(seenDisabled, true, 'button disabled with "Sending…" during the request');
  eq(new URL(page.url()).pathname, '/', 'the page stayed (fetch, no navigation)');
  const h = r.req.headers();
  assert(/application\/json/.test(h.accept || ''), `Accept: ${h.accept}`);
  assert(/multipart\/form-data/.test(h['content-type'] || ''), `Content-Type: ${h['content-type']}`);
  eq(r.res.status(), 200, `reply status (${await replyJson(r.res)})`);
  eq(r.status.title, 'Check your inbox', 'status title');
  assert(r.status.text.includes('If the address is waiting for verification, a new email is on its way.'),
    `status text: ${r.status.text}`);
  eq(r.status.className, 'ok', 'status class');
  eq(await page.evaluate(() => document.activeElement.id), 'status', 'focus after the result');
  await shot(page, 'js-sent');
});

test('JS: an address the browser accepts but the module refuses (a..b@example.com): invalid', async () => {
  const r = await submitJs(page, 'a..b@example.com');
  eq(r.res.status(), 400, `reply status (${await replyJson(r.res)})`);
  eq(r.status.title, 'Check the email address', 'status title');
  assert(r.status.text.includes('Enter a valid email address.'), `status text: ${r.status.text}`);
  eq(r.status.className, 'invalid', 'status class');
  const input = page.getByLabel('Email address');
  eq(await input.getAttribute('aria-invalid'), 'true', 'aria-invalid');
  eq(await page.evaluate(() => document.activeElement.id), 'email', 'focus back on the field');
  await shot(page, 'js-invalid');
});

test('JS: the same good address again: cooldown, with the wait from Retry-After', async () => {
  const r = await submitJs(page, good);
  eq(r.res.status(), 429, `reply status (${await replyJson(r.res)})`);
  const body = await r.res.json().catch(() => ({}));
  eq(body.error && body.error.code, 'TooManyRequests', 'error code');
  const after = r.res.headers()['retry-after'];
  assert(/^\d+$/.test(after || ''), `Retry-After: ${after}`);
  eq(r.status.title, 'Please wait before asking again', 'status title');
  assert(r.status.text.includes(`You can ask again in ${after === '1' ? '1 second' : after + ' seconds'}`),
    `status text: ${r.status.text}`);
  eq(r.status.className, 'cooldown', 'status class');
  await shot(page, 'js-cooldown');
});

test('JS: the service unavailable (503): try later', async () => {
  const r = await submitJs(page, addr('unavailable'));
  eq(r.res.status(), 503, `reply status (${await replyJson(r.res)})`);
  eq(r.status.title, 'Try again later', 'status title');
  assert(r.status.text.includes('temporarily unavailable'), `status text: ${r.status.text}`);
  eq(r.status.className, 'later', 'status class');
  await shot(page, 'js-later');
});

test('JS: upstream throttling (429 Throttled) is "try later", not the cooldown', async () => {
  const r = await submitJs(page, addr('throttle'));
  eq(r.res.status(), 429, `reply status (${await replyJson(r.res)})`);
  eq(r.status.title, 'Try again later', 'status title');
  eq(r.status.className, 'later', 'status class');
  await shot(page, 'js-later-throttled');
});

test('JS: an upstream failure (internalerror): server error', async () => {
  const r = await submitJs(page, addr('internalerror'));
  assert(r.res.status() >= 500 && r.res.status() !== 503 && r.res.status() !== 504,
    `reply status ${r.res.status()} (${await replyJson(r.res)})`);
  eq(r.status.title, 'Something went wrong', 'status title');
  assert(r.status.text.includes('Try again later'), `status text: ${r.status.text}`);
  eq(r.status.className, 'error', 'status class');
  await shot(page, 'js-error');
});

test('JS: Chinese (Lang=zh): the title and the message are in Chinese', async () => {
  const r = await submitJs(page, addr('zh.browser'), 'zh');
  eq(r.res.status(), 200, `reply status (${await replyJson(r.res)})`);
  eq(r.status.title, '请查收邮件', 'status title');
  assert(r.status.text.includes('如果该邮箱正在等待验证'), `status text: ${r.status.text}`);
  eq(await page.getByRole('status').getAttribute('lang'), 'zh', 'lang of the status');
  await shot(page, 'js-sent-zh');
});

test('CORS: a page of another origin reads the JSON and Retry-After of a listed endpoint', async () => {
  const origin = `http://localhost:${new URL(BASE).port}`;
  const other = await js.newPage();
  try {
    await other.goto(`${origin}/`, { timeout: WAIT_MS });
    const r = await other.evaluate(async ({ endpoint, email }) => {
      const post = async () => {
        const f = new FormData();
        f.append('Email', email);
        const res = await fetch(endpoint, { method: 'POST', body: f, headers: { Accept: 'application/json' } });
        const body = await res.json().catch(() => null);
        return { status: res.status, body, after: res.headers.get('Retry-After') };
      };
      return [await post(), await post()];
    }, { endpoint: url('/cors/resend'), email: addr('cors') });
    eq(r[0].status, 200, `the first reply (${JSON.stringify(r[0].body)})`);
    eq(r[0].body && r[0].body.ok, true, 'the page read the JSON');
    eq(r[1].status, 429, `the second reply (${JSON.stringify(r[1].body)})`);
    assert(/^\d+$/.test(r[1].after || ''), `Retry-After as the page reads it: ${r[1].after}`);
  } finally {
    await other.close();
  }
});

test('JS: no script errors on the page', async () => {
  eq(pageErrors.length, 0, `page errors: ${pageErrors.join('; ')}`);
});

// --- JavaScript off: the form posts, the module answers 303 -------------

const nojsAddr = addr('nojs.browser');

test('no JS: a good address: 303 to sent.html, which says so', async () => {
  nojs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 800, height: 600 } });
  nojs.setDefaultTimeout(WAIT_MS);
  nojs.setDefaultNavigationTimeout(WAIT_MS);
  page2 = await nojs.newPage();
  await page2.goto(url('/'), { timeout: WAIT_MS });
  const r = await submitNoJs(page2, nojsAddr);
  eq(r.status, 303, 'status of the POST');
  eq(r.url.pathname, '/signup/sent.html', 'landing page');
  eq(r.url.search, '?result=sent', 'query');
  await visible(page2, page2.getByRole('heading', { level: 1, name: 'Check your inbox' }), 'the heading "Check your inbox"');
  await visible(page2, page2.getByText('If the address is waiting for verification, a new email is on its way.'), 'the message');
  await shot(page2, 'nojs-sent');
});

async function noJsFailure(email, code, title, text, state) {
  await page2.goto(url('/'), { timeout: WAIT_MS });
  const r = await submitNoJs(page2, email);
  eq(r.status, 303, 'status of the POST');
  eq(r.url.pathname, '/signup/failed.html', 'landing page');
  eq(r.url.search, `?result=${code}`, 'query');
  eq(await page2.title(), title, 'title');
  await visible(page2, page2.getByRole('heading', { level: 1, name: title }), `the heading "${title}"`);
  await visible(page2, page2.getByRole('alert').getByText(text), `the text "${text}"`);
  await shot(page2, state);
}

test('no JS: an invalid address: 303 to failed.html?result=invalid, which says so', () =>
  noJsFailure('a..b@example.com', 'invalid', 'Check the email address',
    'Enter a valid email address', 'nojs-invalid'));

test('no JS: the same address again: failed.html?result=cooldown', () =>
  noJsFailure(nojsAddr, 'cooldown', 'Please wait before asking again',
    'Wait a minute, then ask again', 'nojs-cooldown'));

test('no JS: the service unavailable: failed.html?result=later', () =>
  noJsFailure(addr('nojs-unavailable'), 'later', 'Try again later',
    'Try again in a few minutes', 'nojs-later'));

test('no JS: an upstream failure: failed.html?result=error', () =>
  noJsFailure(addr('nojs-internalerror'), 'error', 'Something went wrong',
    'The email could not be sent', 'nojs-error'));

test('no JS: an unknown result code shows the generic message, not the code', async () => {
  await page2.goto(url('/signup/failed.html?result=%3Cb%3Ex'), { timeout: WAIT_MS });
  await visible(page2, page2.getByRole('heading', { level: 1, name: 'Something went wrong' }), 'the generic heading');
  const html = await page2.content();
  assert(!/<b>x/.test(html), 'the result code is echoed');
});

// ---------------------------------------------------------------------------

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of fs.readdirSync(ARTIFACTS)) {
    if (f.endsWith('.png')) fs.unlinkSync(path.join(ARTIFACTS, f));
  }
  process.stdout.write(`1..${tests.length}\n`);
  process.stdout.write(`# ${BASE} in ${CHROMIUM}; screenshots in ${ARTIFACTS}\n`);

  for (const t of tests) {
    if (!browser && t.name !== 'Chromium starts') {
      report(false, t.name, 'skipped: Chromium did not start');
      continue;
    }
    try {
      await t.fn();
      report(true, t.name);
    } catch (e) {
      report(false, t.name, e instanceof Failure ? e.message : (e && e.stack) || e);
      // what the visitor saw when it failed
      const p = t.name.startsWith('no JS') ? page2 : page;
      if (p) await shot(p, `FAILED-${n}`).catch(() => {});
    }
  }
}

const watchdog = setTimeout(() => {
  process.stdout.write(`# the browser tests took longer than ${TOTAL_MS / 1000} s, stopping\n`);
  for (let i = n; i < tests.length; i++) report(false, tests[i].name, 'not run: out of time');
  process.exit(1);
}, TOTAL_MS);

main().catch((e) => {
  process.stdout.write(`# ${String(e && e.stack || e).replace(/\n/g, '\n# ')}\n`);
  failed++;
}).then(async () => {
  if (browser) await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]);
  clearTimeout(watchdog);
  process.exit(failed ? 1 : 0);
});
