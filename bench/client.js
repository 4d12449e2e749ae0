'use strict';
// A client that sends an exact number of form POSTs over keep-alive
// connections (for the deterministic counts of bench/instructions.sh and
// bench/memory.sh, where wrk's time-bounded runs do not fit), and checks
// that every answer is a 200.
//
//   node bench/client.js --url http://127.0.0.1:3086/module --requests 2000 \
//       [--concurrency 1] [--timeout 60] [--unique 1]
//
// --unique 1: each request names a new address (Email=b<n>%40example.com),
// so that a limit's whole path runs every time.

const http = require('http');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

const url = new URL(args.url);
const total = Number(args.requests || 1);
const concurrency = Number(args.concurrency || 1);
const timeout = Number(args.timeout || 120) * 1000;
const fixed = Buffer.from(args.body || 'Email=bench%40example.com');
const unique = args.unique === '1';
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

let started = 0;
let done = 0;
let bad = 0;

setTimeout(() => {
  process.stderr.write(`client: timed out after ${done} of ${total}\n`);
  process.exit(2);
}, timeout).unref();

function one() {
  if (started >= total) return;
  started++;
  const body = unique ? Buffer.from(`Email=b${started}-${process.pid}%40example.com`) : fixed;
  const req = http.request({
    host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
    agent,
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Content-Length': body.length,
      // what a browser sends with a same-origin form post
      Origin: `http://${url.host}`,
    },
  }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode !== 200) bad++;
      done++;
      if (done === total) {
        agent.destroy();
        process.stdout.write(`client: ${done} requests, ${bad} not 200\n`);
        process.exit(bad ? 1 : 0);
      }
      one();
    });
  });
  req.on('error', (e) => {
    process.stderr.write(`client: ${e.message}\n`);
    process.exit(1);
  });
  req.end(body);
}

for (let i = 0; i < Math.min(concurrency, total); i++) one();
