#!/usr/bin/env python3
"""Tables for the bench/*.sh scripts, from their key=value result lines.

    report.py throughput build/bench/throughput/results.txt
    report.py delay build/bench/delay/results.txt --ideal 4000
"""

import argparse
import statistics
import sys


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            row = {}
            for tok in line.split():
                if '=' in tok:
                    k, v = tok.split('=', 1)
                    try:
                        row[k] = float(v)
                    except ValueError:
                        row[k] = v
            if row:
                rows.append(row)
    return rows


def rps(row):
    return row['requests'] / (row['duration_us'] / 1e6)


def errors(row):
    return int(sum(row[k] for k in ('errors_connect', 'errors_read',
                                    'errors_write', 'errors_status',
                                    'errors_timeout')))


def med(xs):
    return statistics.median(xs)


def by_case(rows):
    cases = {}
    for row in rows:
        cases.setdefault(row['case'], []).append(row)
    return cases


def paired_ratios(cases, a, b, f):
    """f(a)/f(b) for each round in which both ran"""
    rb = {row['round']: row for row in cases.get(b, [])}
    return [f(row) / f(rb[row['round']])
            for row in cases.get(a, []) if row['round'] in rb]


NAMES = {
    'module': 'module (`resend_verify`)',
    'module3': 'module, `resend_verify_signature acs3-hmac-sha256`',
    'module3-sm3': 'module, `resend_verify_signature acs3-hmac-sm3`',
    'modulef': 'module, `resend_verify_credentials_file`',
    'modulek': 'module, `resend_verify_credentials uri` (STS, steady state)',
    'proxy': 'plain `proxy_pass`',
    'return': '`return 200`',
}


def cpus(rs):
    """median busy share of the nginx CPU and of the load CPU, counting
    every process on them (other work on a shared machine included)"""
    if 'cpu_nginx_total' not in rs[0]:
        return '-'
    a = med([r['cpu_nginx_busy'] / max(r['cpu_nginx_total'], 1) for r in rs])
    b = med([r['cpu_load_busy'] / max(r['cpu_load_total'], 1) for r in rs])
    return f'{a * 100:.0f} % / {b * 100:.0f} %'


def usersys(rs):
    """median user and system µs per request, from /proc/PID/stat ticks"""
    if 'utime_ticks' not in rs[0]:
        return '-'
    u = med([r['utime_ticks'] / r['clk_tck'] * 1e6 / r['requests'] for r in rs])
    s = med([r['stime_ticks'] / r['clk_tck'] * 1e6 / r['requests'] for r in rs])
    return f'{u:.1f} + {s:.1f}'


WORKLOADS = [
    ('', 'one address, `detail off`'),
    ('2', 'two addresses, `detail on`, `max_emails 10`, a reply with both '
          'lists'),
]


def throughput(args):
    rows = parse(args.results)
    cases = by_case(rows)
    nrounds = len({r['round'] for r in rows})

    print()
    print(f'{nrounds} interleaved rounds per case; req/s: median (min..max); '
          'ratio: of the medians (min..max of the per-round ratios); '
          'latency: median of the rounds; CPU/req: on-CPU time of the nginx '
          'worker (user+sys, /proc/PID/schedstat) per request')
    for sfx, title in WORKLOADS:
        if not any(c + sfx in cases for c in ('module', 'proxy', 'return')):
            continue
        throughput_table(args, cases, sfx, title)
    if args.error_log_lines is not None:
        print(f'nginx error log lines during the run: {args.error_log_lines}')


def throughput_table(args, cases, sfx, title):
    base = cases.get('proxy' + sfx)
    base_rps = med([rps(r) for r in base]) if base else None
    base_cpu = (med([r['cpu_ns_0'] / r['requests'] for r in base])
                if base else None)

    print()
    print(f'Workload: {title}')
    print()
    print('| case | req/s | ratio to proxy_pass | p50 ms | p99 ms | errors '
          '| worker CPU µs/req (user + sys) | CPU/req vs proxy_pass '
          '| req/s at 1 busy core (1/CPU) | worker busy | worker waited '
          '| responder busy | CPU 0 / CPU 1 busy (all processes) |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for c in ('module', 'modulef', 'modulek', 'module3', 'module3-sm3',
              'proxy', 'return'):
        if c + sfx not in cases or (sfx and c.startswith('module3')):
            continue
        rs = cases[c + sfx]
        x = [rps(r) for r in rs]
        cpu = med([r['cpu_ns_0'] / r['requests'] for r in rs])
        busy = med([r['cpu_ns_0'] / (r['duration_us'] * 1e3) for r in rs])
        rbusy = med([r['cpu_ns_1'] / (r['duration_us'] * 1e3) for r in rs])
        wait = med([r['wait_ns_0'] / (r['duration_us'] * 1e3) for r in rs])
        ratio = med(x) / base_rps if base_rps else float('nan')
        pr = paired_ratios(cases, c + sfx, 'proxy' + sfx, rps)
        ratio_s = f'{ratio:.3f}×'
        if c != 'proxy' and pr:
            ratio_s += f' ({min(pr):.3f}..{max(pr):.3f})'
        cpu_s = f'{cpu / base_cpu:.3f}×' if base_cpu else '-'
        pc = paired_ratios(cases, c + sfx, 'proxy' + sfx,
                           lambda r: r['cpu_ns_0'] / r['requests'])
        if c != 'proxy' and pc:
            cpu_s += f' ({min(pc):.3f}..{max(pc):.3f})'
        print(f'| {NAMES[c]} | {med(x):,.0f} ({min(x):,.0f}..{max(x):,.0f}) '
              f'| {ratio_s} '
              f'| {med([r["p50_us"] for r in rs]) / 1e3:.2f} '
              f'| {med([r["p99_us"] for r in rs]) / 1e3:.2f} '
              f'| {sum(errors(r) for r in rs)} '
              f'| {cpu / 1e3:.1f} ({usersys(rs)}) | {cpu_s} '
              f'| {1e9 / cpu:,.0f} '
              f'| {busy * 100:.0f} % | {wait * 100:.0f} % '
              f'| {rbusy * 100:.0f} % | {cpus(rs)} |')
    print()
    if sfx == '' and 'modulef' in cases and 'modulek' in cases:
        pr = paired_ratios(cases, 'modulek', 'modulef', rps)
        pc = paired_ratios(cases, 'modulek', 'modulef',
                           lambda r: r['cpu_ns_0'] / r['requests'])
        print(f'keyless credentials (a broker, steady state) against the '
              f'credentials file, paired by round: req/s {med(pr):.3f}× '
              f'({min(pr):.3f}..{max(pr):.3f}), worker CPU per request '
              f'{med(pc):.3f}× ({min(pc):.3f}..{max(pc):.3f})')
        print()
    if 'module' + sfx in cases and base:
        goal = 0.95 if sfx == '' else 0.9
        x = med([rps(r) for r in cases['module' + sfx]]) / base_rps
        y = med([r['cpu_ns_0'] / r['requests']
                 for r in cases['module' + sfx]]) / base_cpu
        print(f'goal: module ≥ {goal}× proxy_pass req/s: {x:.3f}× '
              f'{"MET" if x >= goal else "NOT MET"}; CPU per request ≤ '
              f'1.15× proxy_pass: {y:.3f}× {"MET" if y <= 1.15 else "NOT MET"}')
        busy = min(med([r['cpu_ns_0'] / (r['duration_us'] * 1e3)
                        for r in cases[c + sfx]])
                   for c in ('module', 'proxy', 'return') if c + sfx in cases)
        if busy < 0.9:
            print(f'note: the worker was {busy * 100:.0f} % busy (< 90 %) in '
                  'at least one case: its req/s were bounded by something '
                  'else than the worker (waiting for a CPU: see "worker '
                  'waited"; wrk and the responder on the other CPU); the '
                  'CPU time per request is the measure that does not depend '
                  'on it')


def delay(args):
    rows = parse(args.results)
    cases = by_case(rows)
    nrounds = len({r['round'] for r in rows})
    ideal = args.ideal

    print()
    print(f'{nrounds} interleaved rounds per case; ideal = connections / '
          f'delay = {ideal:,.0f} req/s')
    print()
    print('| case | req/s | % of ideal | mean ms | p50 ms | p99 ms | errors '
          '| worker CPU µs/req (user + sys) | worker busy | worker waited '
          '| responder busy | CPU 0 / CPU 1 busy (all processes) |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    verdict = []
    for c in ('module', 'proxy'):
        if c not in cases:
            continue
        rs = cases[c]
        x = [rps(r) for r in rs]
        cpu = med([r['cpu_ns_0'] / r['requests'] for r in rs])
        busy = med([r['cpu_ns_0'] / (r['duration_us'] * 1e3) for r in rs])
        wait = med([r['wait_ns_0'] / (r['duration_us'] * 1e3) for r in rs])
        rbusy = med([r['cpu_ns_1'] / (r['duration_us'] * 1e3) for r in rs])
        pct = med(x) / ideal * 100
        print(f'| {NAMES[c]} | {med(x):,.0f} ({min(x):,.0f}..{max(x):,.0f}) '
              f'| {pct:.1f} % ({min(x) / ideal * 100:.1f}..'
              f'{max(x) / ideal * 100:.1f}) '
              f'| {med([r["mean_us"] for r in rs]) / 1e3:.1f} '
              f'| {med([r["p50_us"] for r in rs]) / 1e3:.1f} '
              f'| {med([r["p99_us"] for r in rs]) / 1e3:.1f} '
              f'| {sum(errors(r) for r in rs)} '
              f'| {cpu / 1e3:.1f} ({usersys(rs)}) | {busy * 100:.0f} % '
              f'| {wait * 100:.0f} % '
              f'| {rbusy * 100:.0f} % | {cpus(rs)} |')
        verdict.append((c, pct))
    print()
    for c, pct in verdict:
        print(f'target: {c} ≥ 95 % of ideal: {pct:.1f} % '
              f'{"MET" if pct >= 95 else "NOT MET"}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('kind', choices=('throughput', 'delay'))
    ap.add_argument('results')
    ap.add_argument('--ideal', type=float, default=4000)
    ap.add_argument('--error-log-lines', type=int)
    args = ap.parse_args()
    {'throughput': throughput, 'delay': delay}[args.kind](args)


if __name__ == '__main__':
    sys.exit(main())
