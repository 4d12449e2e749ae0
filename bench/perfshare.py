#!/usr/bin/env python3
"""Where the nginx worker's CPU time goes (user and kernel), from
`perf report --no-children --sort dso,sym --stdio -g none` of samples of
the worker under load (bench/instructions.sh)."""

import re
import sys

LINE = re.compile(r'^\s*([\d.]+)%\s+(\S+)\s+\[([.k])\]\s+(.*?)\s*$')


def classify(dso, kind, sym):
    if kind == 'k':
        return 'kernel (network, epoll, syscalls)'
    if sym.startswith('rv_') or sym.startswith('ngx_http_resend_verify_'):
        return 'the module\'s C code'
    if 'libcrypto' in dso:
        return 'OpenSSL (called by the module)'
    if 'libyajl' in dso:
        return 'yajl (called by the module)'
    if 'libc.so' in dso:
        return 'libc (nginx\'s and the module\'s: malloc, memcpy, ...)'
    if dso == 'nginx':
        return 'nginx'
    return 'other'


def main():
    out = {}
    for path in sys.argv[1:]:
        name, f = path.split(':', 1)
        share = {}
        for line in open(f, errors='replace'):
            m = LINE.match(line)
            if not m:
                continue
            c = classify(m.group(2), m.group(3), m.group(4))
            share[c] = share.get(c, 0) + float(m.group(1))
        out[name] = share
    cats = ['the module\'s C code', 'OpenSSL (called by the module)',
            'yajl (called by the module)',
            'libc (nginx\'s and the module\'s: malloc, memcpy, ...)',
            'nginx', 'kernel (network, epoll, syscalls)', 'other']
    names = list(out)
    print()
    print('Share of the nginx worker\'s CPU time (perf, cpu-clock samples, '
          'user + kernel, under wrk load):')
    print()
    print('| where | ' + ' | '.join(names) + ' |')
    print('|---|' + '---:|' * len(names))
    for c in cats:
        print(f'| {c} | ' + ' | '.join(f'{out[n].get(c, 0):.1f} %'
                                        for n in names) + ' |')
    m = out.get('module')
    if m:
        own = sum(m.get(c, 0) for c in cats[:3])
        print()
        print(f'the module\'s own code (its C code, OpenSSL, yajl; not '
              f'counting its share of libc) = {own:.1f} % of the worker\'s '
              'CPU time')


if __name__ == '__main__':
    sys.exit(main())
