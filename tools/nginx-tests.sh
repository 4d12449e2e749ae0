#!/bin/bash
# nginx's own test suite (nginx-tests) against two builds of the same nginx,
# one without the module and one with it: the results must be identical,
# file by file (pass/fail, the failed tests' numbers, skips), since the
# module's header and body filters see every request and must leave the
# rest of nginx alone.
#
#   tools/nginx-tests.sh NGINX_WITHOUT NGINX_WITH
#
# The suite is ../shared/nginx/nginx-tests-*.tar.gz next to the checkout
# ($RV_NGINX_TESTS names another), checked against SHA256SUMS.  It runs as a
# user other than root (as root, nginx's workers run as nobody and cannot
# read the suite's 0700 temporary directories): as root, the system user
# rvtests (created if missing).  Both binaries are copied, with the suite,
# into a directory of its own under /tmp, so that a checkout the user cannot
# read (a 0700 /root) does not matter.  Results: build/nginx-tests/
# {without,with}.txt; NGINX_TESTS_JOBS (2) files at a time.  A file whose
# result differs is run again, both builds, up to NGINX_TESTS_RERUNS (3)
# times, and is a difference only if it differs every time.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/nginx-tests
jobs=${NGINX_TESTS_JOBS:-2}
user=rvtests

die() { echo "nginx-tests: $*" >&2; exit 1; }

[ $# = 2 ] || die "usage: $0 NGINX_WITHOUT NGINX_WITH"
without=$1 with=$2
[ -x "$without" ] || die "$without: not an executable"
[ -x "$with" ] || die "$with: not an executable"

tarball=${RV_NGINX_TESTS:-}
if [ -z "$tarball" ]; then
    d=$("$top/tools/nginx-matrix.sh" shared) \
        || die "../shared/nginx (nginx-tests-*.tar.gz, SHA256SUMS) is missing next to the checkout $top; set RV_NGINX_TESTS to the tarball"
    tarball=$(ls "$d"/nginx-tests-*.tar.gz 2>/dev/null | head -n 1)
    [ -n "$tarball" ] || die "no nginx-tests-*.tar.gz in $d"
    (cd "$d" && grep " $(basename "$tarball")\$" SHA256SUMS | sha256sum -c --quiet -) \
        || die "$tarball does not match $d/SHA256SUMS"
fi

run_as=()
if [ "$(id -u)" = 0 ]; then
    id -u "$user" >/dev/null 2>&1 \
        || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    run_as=(runuser -u "$user" --)
fi

work=$(mktemp -d /tmp/rv-nginx-tests.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
tar -C "$work" -xzf "$tarball"
suite=$(ls -d "$work"/nginx-tests* | head -n 1)
cp "$without" "$work/nginx-without"
cp "$with" "$work/nginx-with"
cp "$top/tools/nginx-tests-run.pl" "$work/run.pl"
[ ${#run_as[@]} = 0 ] || chown -R "$user" "$work"

mkdir -p "$out"
for b in without with; do
    start=$(date +%s)
    (cd "$suite" && env TMPDIR="$work" TEST_NGINX_BINARY="$work/nginx-$b" \
        timeout 1800 "${run_as[@]}" perl "$work/run.pl" "$jobs") > "$out/$b.txt" 2> "$out/$b.stderr" \
        || die "the suite did not complete with nginx-$b (see $out/$b.stderr)"
    echo "nginx-tests: nginx $b the module: $(tail -n 1 "$out/$b.txt" | cut -f 2-) ($(( $(date +%s) - start )) s)"
done

# file by file
summary() {
    awk -F'\t' -v b="$1" '
        $1 == "total" { next }
        { n[$2]++ }
        END { printf "%s: %d pass, %d fail, %d skipped\n", b, n["pass"], n["fail"], n["skip"] }' "$out/$1.txt"
}
summary without
summary with
awk -F'\t' '$2 == "fail" { print "  fails without the module too: " $0 }' "$out/without.txt"

# one file with one build: its result line
one() {
    (cd "$suite" && env TMPDIR="$work" TEST_NGINX_BINARY="$work/nginx-$1" \
        timeout 600 "${run_as[@]}" perl "$work/run.pl" 1 "$2") 2>> "$out/rerun.stderr" \
        | grep -v '^total' || true
}

if diff -u "$out/without.txt" "$out/with.txt" > "$out/diff.txt"; then
    echo "nginx-tests: identical results with and without the module (0 differences)"
    exit 0
fi

n=$(grep -c '^+[^+]' "$out/diff.txt" || true)
echo "nginx-tests: $n files differ with the module:"
cat "$out/diff.txt"

# Some of nginx's own tests depend on timing (seen: proxy_h2_keepalive.t
# failing without the module on a loaded machine).  A file that differs is
# run again with both builds, up to NGINX_TESTS_RERUNS (3) times: it is a
# difference of the module's only if no rerun gives both builds the same
# result.
: > "$out/rerun.stderr"
real=0
for f in $(awk -F'\t' '/^\+[^+]/ { sub(/^\+/, "", $1); print $1 }' "$out/diff.txt"); do
    same=0
    for i in $(seq 1 "${NGINX_TESTS_RERUNS:-3}"); do
        a=$(one without "$f")
        b=$(one with "$f")
        if [ -n "$a" ] && [ "$a" = "$b" ]; then
            same=$i
            break
        fi
        echo "  $f, rerun $i: without: ${a:-no result}; with: ${b:-no result}"
    done
    if [ $same != 0 ]; then
        echo "nginx-tests: $f: the same with and without the module on rerun $same ($a): a timing-dependent test of nginx's, not the module"
    else
        echo "nginx-tests: $f: differs with the module on every rerun"
        real=1
    fi
done

if [ $real = 1 ]; then
    exit 1
fi
echo "nginx-tests: no difference of the module's (the files above differed once and not again)"
