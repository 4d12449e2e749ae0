#!/bin/sh
# Puts the nginx 1.22.1 source tree (the version Debian 12 ships) under
# build/nginx-1.22.1, for the private test binary.  nginx-dev installs
# headers only, so the source comes from Debian's source package of nginx
# (its orig tarball is the upstream release, checked by its SHA-256).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
ver=1.22.1
sha=9ebb333a9e82b952acd3e2b4aeb1d4ff6406f72491bab6cd9fe69f0dea737f31
tarball=$build/nginx_$ver.orig.tar.gz

[ -f "$build/nginx-$ver/src/core/nginx.c" ] && exit 0

mkdir -p "$build"

if [ ! -f "$tarball" ] && [ -n "${NGINX_TARBALL:-}" ]; then
    cp "$NGINX_TARBALL" "$tarball"
fi

if [ ! -f "$tarball" ]; then
    if ! grep -rqs "^Types:.*deb-src\|^deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
        if [ "$(id -u)" = 0 ]; then
            "$top/tools/enable-deb-src.sh"
        else
            echo "nginx-source: enable deb-src in apt, or set NGINX_TARBALL" >&2
            exit 1
        fi
    fi

    # apt may fail on the .dsc of a security update whose orig tarball it
    # did fetch: the tarball and its checksum are what count
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get source --download-only "nginx=$(dpkg-query -W -f '${Version}' nginx-dev 2>/dev/null || echo 1.22.1)" >/dev/null 2>&1 \
        || apt-get source --download-only nginx >/dev/null 2>&1 || true)
    [ -f "$tmp/nginx_$ver.orig.tar.gz" ] && mv "$tmp/nginx_$ver.orig.tar.gz" "$tarball"
    rm -rf "$tmp"
fi

if [ ! -f "$tarball" ]; then
    echo "nginx-source: could not fetch nginx_$ver.orig.tar.gz with apt-get source" >&2
    exit 1
fi

echo "$sha  $tarball" | sha256sum -c --quiet - || {
    echo "nginx-source: $tarball has the wrong checksum" >&2
    rm -f "$tarball"
    exit 1
}

tar -C "$build" -xzf "$tarball"
