'use strict';
// A canned Domain API responder that answers every request with the same
// JSON after a delay (bench/delay.sh: 100 ms; bench/memory.sh: 2 s), so
// that requests stay in flight in nginx.  It checks nothing.  It exits by
// itself after --lifetime seconds, whatever happens to the script.
//
//   node bench/responder.js --port 3084 --delay 100 --lifetime 300 --body '{...}'

const http = require('http');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

const port = Number(args.port);
const delay = Number(args.delay || 0);
const lifetime = Number(args.lifetime || 600);
const body = Buffer.from(args.body || '{}');
const headers = {
  'Content-Type': 'application/json;charset=utf-8',
  'Content-Length': String(body.length),
};

let inflight = 0;
let served = 0;

const server = http.createServer((req, res) => {
  inflight++;
  req.resume();
  req.on('end', () => {
    setTimeout(() => {
      res.writeHead(200, headers);
      res.end(body);
      inflight--;
      served++;
    }, delay);
  });
});

server.keepAliveTimeout = 120000;
server.headersTimeout = 125000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;
server.listen(port, '127.0.0.1', 8192, () => {
  process.stdout.write(`responder: listening on 127.0.0.1:${port}, delay ${delay} ms\n`);
});

setTimeout(() => {
  process.stdout.write(`responder: lifetime over, served ${served}\n`);
  process.exit(0);
}, lifetime * 1000).unref();

process.on('SIGTERM', () => {
  process.stdout.write(`responder: served ${served}, in flight ${inflight}\n`);
  process.exit(0);
});
