'use strict';
// Node 20's `node --test double/` only picks files named like *.test.js,
// test-*.js or test.js; this shim makes it run double/selftest.js.
require('./selftest.js');
