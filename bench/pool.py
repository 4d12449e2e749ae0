#!/usr/bin/env python3
"""Request pool memory from an nginx debug log (bench/memory.sh).

nginx --with-debug logs every pool block it allocates ("posix_memalign:
P:SIZE"), every large allocation ("malloc: P:SIZE"), and, when the request
pool is destroyed right after "http close request", each large allocation
("free: P") and each block with its unused tail ("free: P, unused: N").
For each request: blocks held, bytes used in them (size - unused, headers
included), large allocations (pool-owned malloc()s).

    pool.py debug.log:START:END [...]   (byte offsets of each case's part)
"""

import re
import statistics
import sys

ALLOC = re.compile(r'(?:posix_memalign|memalign|malloc): ([0-9A-Fa-f]+):(\d+)')
FREE_BLOCK = re.compile(r'free: ([0-9A-Fa-f]+), unused: (\d+)')
FREE_LARGE = re.compile(r'free: ([0-9A-Fa-f]+)$')


def requests(path, start, end):
    sizes = {}
    out = []
    cur = None
    with open(path, 'rb') as f:
        f.seek(start)
        data = f.read(end - start).decode('utf-8', 'replace')
    for line in data.splitlines():
        m = ALLOC.search(line)
        if m:
            sizes[int(m.group(1), 16)] = int(m.group(2))
        if line.endswith('http close request'):
            cur = {'blocks': 0, 'held': 0, 'used': 0, 'large': 0,
                   'nlarge': 0}
            continue
        if cur is None:
            continue
        if 'run cleanup' in line or line.endswith('http log handler'):
            continue
        m = FREE_BLOCK.search(line)
        if m:
            size = sizes.get(int(m.group(1), 16), 0)
            cur['blocks'] += 1
            cur['held'] += size
            cur['used'] += size - int(m.group(2))
            continue
        m = FREE_LARGE.search(line)
        if m and not cur['blocks']:
            p = int(m.group(1), 16)
            if p:
                cur['large'] += sizes.get(p, 0)
                cur['nlarge'] += 1
            continue
        if cur['blocks']:
            out.append(cur)
        cur = None
    if cur and cur['blocks']:
        out.append(cur)
    return out


def main():
    print()
    print('| case | requests | pool blocks | bytes used in blocks '
          '| large allocations (pool-owned) | pool memory per request |')
    print('|---|---:|---:|---:|---:|---:|')
    for arg in sys.argv[1:]:
        name, path, start, end = arg.split(':')
        rs = requests(path, int(start), int(end))
        if not rs:
            print(f'| {name} | 0 | | | | |')
            continue
        med = lambda k: statistics.median(r[k] for r in rs)
        print(f'| {name} | {len(rs)} | {med("blocks"):.0f} '
              f'({med("held"):,.0f} B) | {med("used"):,.0f} B '
              f'| {med("nlarge"):.0f} ({med("large"):,.0f} B) '
              f'| {med("used") + med("large"):,.0f} B used, '
              f'{med("held") + med("large"):,.0f} B held |')


if __name__ == '__main__':
    sys.exit(main())
