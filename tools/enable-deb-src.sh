#!/bin/sh
# Adds deb-src entries for Debian 12's archive, so that `apt-get source`
# works (the nginx source tree for the private test binary comes from it).
set -eu

f=/etc/apt/sources.list.d/resend-verify-deb-src.sources

cat > "$f" <<'END'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
END

apt-get update -qq
