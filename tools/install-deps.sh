#!/bin/sh
# Installs what the build, the tests and the demo need and are missing:
# Debian packages (as root; run once with sudo otherwise) and the npm
# packages of the Domain API double (package-lock.json pins them).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

pkgs="gcc make perl nginx nginx-dev libyajl-dev libidn2-dev libssl-dev libpcre2-dev
      zlib1g-dev libtest-base-perl libwww-perl libhttp-daemon-perl
      libtext-diff-perl ca-certificates clang libclang-rt-14-dev
      dpkg-dev debootstrap redis-server openssl libio-socket-ssl-perl gdb ${RESEND_VERIFY_EXTRA_PKGS:-}"

command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"

missing=""
for p in $pkgs; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || missing="$missing $p"
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-deps: missing Debian packages:$missing" >&2
        echo "install-deps: run as root: apt-get install$missing" >&2
        exit 1
    fi

    echo "install-deps: apt-get install$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -f "$top/node_modules/.package-lock.json" ] \
   || [ "$top/package-lock.json" -nt "$top/node_modules/.package-lock.json" ]
then
    echo "install-deps: npm ci"
    (cd "$top" && npm ci --no-audit --no-fund --loglevel=error)
fi
