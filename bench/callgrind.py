#!/usr/bin/env python3
"""Instructions per request from callgrind dumps (bench/instructions.sh).

"The module's own code" is every instruction executed while the innermost
frame that is not a library (libc, libcrypto, libyajl) or an nginx helper
(pool allocation, lists, complex values, string formatting) is a function
of the module (ngx_http_resend_verify_* and the core's rv_*).  It is
computed exactly from the call edges:

    own = sum of inclusive costs of the calls from nginx into the module
          (the content handler, the body handler, the subrequest's
          finalizer, the write event handler, the body filter)
        - sum of inclusive costs of the calls from the module back into
          nginx's request machinery (reading the body, the subrequest,
          send_header, the output filters, finalize_request, and the next
          filter from the module's header and body filters)

Nested calls cancel out (nginx -> module -> nginx -> module counts the
inner module part once).  Library code the module calls (OpenSSL's HMAC
and RAND_bytes, yajl, memcpy) is the module's; library code nginx calls is
nginx's.  Callgrind counts user-space instructions only: the kernel's
network work is not in these numbers (bench/throughput.sh's CPU time per
request has it).
"""

import argparse
import os
import re
import sys

MACHINERY = {
    'ngx_http_read_client_request_body',
    'ngx_http_discard_request_body',
    'ngx_http_subrequest',
    'ngx_http_send_header',
    'ngx_http_output_filter',
    'ngx_http_finalize_request',
}



def is_machinery(caller, callee):
    """a call from the module back into nginx's request machinery: the
    listed entry points, and the next filter from the module's header and
    body filters"""
    return (callee in MACHINERY
            or (caller.endswith('_filter') and 'filter' in callee))

STAGES = [
    ('read the form, validate, mask, join the address',
     ['rv_parse_urlencoded', 'rv_input_done', 'ngx_http_resend_verify_mask',
      'rv_input_join']),
    ('evaluate the key, secret, client IP (complex values)',
     [('ngx_http_resend_verify_call', 'ngx_http_complex_value'),
      ('ngx_http_resend_verify_credentials', 'ngx_http_complex_value')]),
    ('timestamp and SignatureNonce (RAND_bytes)',
     ['rv_format_timestamp', 'rv_make_nonce']),
    ('canonical query, string to sign, HMAC-SHA1 (rv_rpc_sign)',
     ['rv_rpc_sign']),
    ('V3: canonical request, SHA-256, HMAC-SHA256, headers (rv_acs3_sign)',
     ['rv_acs3_sign']),
    ('parse the upstream JSON (yajl), sanitize RequestId',
     ['rv_reply_parse', 'ngx_http_resend_verify_safe_str']),
    ('generate the reply JSON', ['rv_json_ok']),
    ('the browser\'s reply headers (send: add_header)',
     [('ngx_http_resend_verify_send', 'ngx_list_push')]),
]


def is_module(name):
    return name.startswith('ngx_http_resend_verify_') or name.startswith('rv_')


class Profile:
    def __init__(self, path):
        self.self_cost = {}      # (ob, fn) -> Ir
        self.edges = {}          # ((ob, fn), (ob, fn)) -> [calls, Ir]
        self.summary = None
        self.nginx_ob = None
        self.parse(path)

    def parse(self, path):
        names = {'ob': {}, 'fl': {}, 'fn': {}}
        comp = re.compile(r'^\((\d+)\)(?: (.*))?$')

        def name(kind, val):
            m = comp.match(val)
            if not m:
                return val
            if m.group(2) is not None:
                names[kind][m.group(1)] = m.group(2)
                return m.group(2)
            return names[kind][m.group(1)]

        ob = fn = None
        cob = cfn = None
        pending_call = None
        with open(path) as f:
            for line in f:
                line = line.rstrip('\n')
                if not line or line[0] == '#':
                    continue
                c = line[0]
                if c.isdigit() or c in '+-*':
                    parts = line.split()
                    cost = int(parts[1]) if len(parts) > 1 else 0
                    if pending_call is not None:
                        key = ((ob, fn), pending_call)
                        e = self.edges.setdefault(key, [0, 0])
                        e[0] += pending_calls
                        e[1] += cost
                        pending_call = None
                    else:
                        k = (ob, fn)
                        self.self_cost[k] = self.self_cost.get(k, 0) + cost
                    continue
                if '=' not in line.split(':', 1)[0] and ':' in line:
                    k, v = line.split(':', 1)
                    if k == 'summary':
                        self.summary = int(v.split()[0])
                    elif k == 'cmd':
                        self.nginx_ob = v.split()[0]
                    continue
                k, v = line.split('=', 1)
                if k == 'ob':
                    ob = name('ob', v)
                elif k in ('fl', 'fi', 'fe'):
                    name('fl', v)
                elif k == 'fn':
                    fn = name('fn', v)
                    cob = cfn = None
                elif k == 'cob':
                    cob = name('ob', v)
                elif k in ('cfi', 'cfl'):
                    name('fl', v)
                elif k == 'cfn':
                    cfn = name('fn', v)
                elif k == 'calls':
                    pending_call = (cob if cob is not None else ob, cfn)
                    pending_calls = int(v.split()[0])
                    cob = None
                # jump=, jcnd= and the rest are not used

    def kind(self, node):
        ob, fn = node
        if ob == self.nginx_ob:
            return 'module' if is_module(fn) else 'nginx'
        return 'lib'

    def incl(self, callee, caller=None):
        return sum(c for (a, b), (_, c) in self.edges.items()
                   if b[1] == callee and (caller is None or a[1] == caller))

    def own(self):
        into = out = 0
        for (a, b), (_, cost) in self.edges.items():
            ka, kb = self.kind(a), self.kind(b)
            if ka == 'nginx' and kb == 'module':
                into += cost
            elif ka == 'module' and kb == 'nginx':
                if is_machinery(a[1], b[1]):
                    out += cost
        return into - out

    def lib_from_module(self):
        """inclusive cost of the module's calls into each library"""
        by = {}
        for (a, b), (_, cost) in self.edges.items():
            if self.kind(a) == 'module' and self.kind(b) == 'lib':
                lib = b[0].rsplit('/', 1)[-1]
                by[lib] = by.get(lib, 0) + cost
        for (a, b), (_, cost) in self.edges.items():
            # callbacks (yajl -> the module's parser and allocator)
            if self.kind(a) == 'lib' and self.kind(b) == 'module':
                lib = a[0].rsplit('/', 1)[-1]
                by[lib] = by.get(lib, 0) - cost
        return by

    def module_self(self):
        return sum(c for k, c in self.self_cost.items()
                   if self.kind(k) == 'module')


def compare(n, pairs):
    """the same request signed each way (resend_verify_signature): the
    whole request, the module's own code and the signer, per request"""
    rows = []
    for pair in pairs:
        name, path = pair.split(':', 1)
        p = Profile(path)
        sign = (p.incl('rv_rpc_sign') + p.incl('rv_acs3_sign')) / n
        rows.append((name, p.summary / n, p.own() / n, sign))
    print()
    print(f'Per request, case by case (callgrind, {n} requests each):')
    print()
    print('| case | whole request | the module\'s own code '
          '| the signer alone | vs the first: whole request |')
    print('|---|---:|---:|---:|---:|')
    base = rows[0][1]
    for name, tot, own, sign in rows:
        print(f'| `{name}` | {tot:,.0f} | {own:,.0f} | {sign:,.0f} '
              f'| {tot - base:+,.0f} ({tot / base:.3f}×) |')
    if len(pairs) == 2:
        # where the second case's extra instructions are: self cost of
        # each function, per request, the largest differences
        a, b = (Profile(pair.split(':', 1)[1]) for pair in pairs)
        keys = set(a.self_cost) | set(b.self_cost)
        diff = sorted(((b.self_cost.get(k, 0) - a.self_cost.get(k, 0)) / n, k)
                      for k in keys)
        print()
        print(f'The functions that make the difference (self cost per request, '
              f'`{rows[1][0]}` minus `{rows[0][0]}`):')
        print()
        print('| function | object | difference |')
        print('|---|---|---:|')
        for d, (ob, fn) in reversed(diff[-25:]):
            print(f'| {fn} | {os.path.basename(ob or "?")} | {d:+,.0f} |')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--requests', type=int, required=True)
    ap.add_argument('--compare', nargs='+', metavar='NAME:CALLGRIND.OUT')
    ap.add_argument('--module')
    ap.add_argument('--proxy')
    ap.add_argument('--return', dest='ret')
    args = ap.parse_args()
    n = args.requests

    if args.compare:
        compare(n, args.compare)
        return

    if not (args.module and args.proxy and args.ret):
        ap.error('--module, --proxy and --return are required')

    profs = {'module': Profile(args.module), 'proxy': Profile(args.proxy),
             'return': Profile(args.ret)}
    tot = {k: p.summary / n for k, p in profs.items()}
    own = {k: p.own() / n for k, p in profs.items()}

    print()
    print(f'Instructions per request (callgrind, user space, {n} requests '
          'per case, one at a time on one keep-alive connection):')
    print()
    print('| case | whole request | the module\'s own code | share '
          '| vs proxy_pass |')
    print('|---|---:|---:|---:|---:|')
    names = {'module': 'module (`resend_verify`)', 'proxy': 'plain `proxy_pass`',
             'return': '`return 200`'}
    for k in ('module', 'proxy', 'return'):
        print(f'| {names[k]} | {tot[k]:,.0f} | {own[k]:,.0f} '
              f'| {own[k] / tot[k] * 100:.1f} % '
              f'| {tot[k] / tot["proxy"]:.2f}× |')
    m = profs['module']
    delta = tot['module'] - tot['proxy']
    print()
    print(f'module − proxy_pass: {delta:,.0f} instructions per request: '
          f'{own["module"] - own["proxy"]:,.0f} in the module\'s own code, '
          f'{delta - (own["module"] - own["proxy"]):,.0f} in nginx '
          '(the subrequest, its second pass through the phases and filters, '
          'the in-memory capture)')
    print()
    print('(the module\'s header and body filters see every request of the '
          'server, also those the module does not serve: "own code" of the '
          'proxy_pass and return 200 rows)')
    print()
    share = own['module'] / tot['module'] * 100
    print(f'target: the module\'s own code < 10 % of a request\'s '
          f'instructions: {share:.1f} % {"MET" if share < 10 else "NOT MET"}')

    print()
    print('Where the module\'s own code goes (inclusive, per request):')
    print()
    print('| stage | instructions | share of own |')
    print('|---|---:|---:|')
    staged = 0
    for label, fns in STAGES:
        c = 0
        for f in fns:
            if isinstance(f, tuple):
                c += m.incl(f[1], caller=f[0])
            else:
                c += m.incl(f)
        c /= n
        staged += c
        print(f'| {label} | {c:,.0f} | {c / own["module"] * 100:.1f} % |')
    rest = own['module'] - staged
    print(f'| the rest: method and type checks, subrequest setup, headers, '
          f'body filter, glue | {rest:,.0f} | {rest / own["module"] * 100:.1f} % |')
    print(f'| **total** | **{own["module"]:,.0f}** | 100 % |')

    print()
    print('Library code called by the module (inclusive, per request):')
    print()
    for lib, c in sorted(m.lib_from_module().items(), key=lambda x: -x[1]):
        if c / n >= 1:
            print(f'* {lib}: {c / n:,.0f}')
    print()
    print('Calls into libc per request, by the calling library '
          '(heap, locks, system calls):')
    print()
    print('| call | ' + ' | '.join(names[k] for k in profs) + ' |')
    print('|---|' + '---:|' * len(profs))
    groups = [
        ('malloc/calloc/realloc', ('malloc', 'calloc', 'realloc')),
        ('free', ('free', 'cfree')),
        ('posix_memalign (pool blocks)', ('posix_memalign',)),
        ('pthread locks and once', ('pthread_rwlock', 'pthread_once',
                                    'pthread_getspecific', 'pthread_mutex')),
        ('system calls and clock reads (recv, writev, epoll_wait, '
         'getsockopt, getpid, time, gettimeofday, ...)', ('recv', 'writev', 'send', 'epoll_wait', 'epoll_ctl',
                        'getsockopt', 'setsockopt', 'getpid', 'time_syscall',
                        'accept4', 'close', 'read', 'write', 'readv',
                        'gettimeofday', 'clock_gettime')),
    ]
    for label, prefixes in groups:
        cells = []
        for k, p in profs.items():
            by = {}
            for (a, b), (cnt, _) in p.edges.items():
                if 'libc.so' not in b[0] or 'libc.so' in a[0]:
                    continue
                fn = b[1].lstrip('_')
                if fn.startswith('GI_'):
                    fn = fn[3:]
                if any(fn.startswith(x) for x in prefixes):
                    who = a[0].rsplit('/', 1)[-1].split('.so')[0]
                    if who == p.nginx_ob.rsplit('/', 1)[-1]:
                        who = 'nginx'
                    by[who] = by.get(who, 0) + cnt
            tot = sum(by.values()) / n
            parts = ', '.join(f'{w} {c / n:.0f}' for w, c in
                              sorted(by.items(), key=lambda x: -x[1])
                              if c / n >= 0.5)
            cells.append(f'{tot:.0f} ({parts})' if parts else f'{tot:.0f}')
        print(f'| {label} | ' + ' | '.join(cells) + ' |')

    hot = ['HMAC', 'RAND_bytes', 'rv_percent_encode', 'rv_percent_encoded_len',
           'yajl_parse', 'yajl_alloc', 'yajl_gen_alloc', 'yajl_gen_string',
           'rv_yajl_malloc', 'rv_yajl_realloc', 'gmtime_r', 'rv_email_valid',
           'rv_utf8_valid', 'EVP_EncodeBlock', 'OPENSSL_cleanse']
    print()
    print('Selected functions (inclusive, per request): ' + ', '.join(
        f'{h} {m.incl(h) / n:,.0f}' for h in hot if m.incl(h)))
    print(f'Self cost of the module\'s C functions: {m.module_self() / n:,.0f} '
          'per request')
    print()
    print('The 25 costliest functions of the module\'s request (self cost, '
          'every object; per request; against proxy_pass\'s):')
    print()
    print('| function | object | module | proxy_pass |')
    print('|---|---|---:|---:|')
    px = {}
    for (ob, fn), c in profs['proxy'].self_cost.items():
        px[fn] = px.get(fn, 0) + c
    for (ob, fn), c in sorted(m.self_cost.items(), key=lambda x: -x[1])[:25]:
        print(f'| {fn} | {ob.rsplit("/", 1)[-1]} | {c / n:,.0f} '
              f'| {px.get(fn, 0) / n:,.0f} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
