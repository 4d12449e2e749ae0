#!/bin/sh
# Builds ngx_http_resend_verify_module.so for Debian's own nginx, against
# the tree that the nginx-dev package installs (headers, auto/, configure,
# and conf_flags: the exact configure flags of Debian's nginx).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/debian}
src=/usr/share/nginx/src

if [ ! -f "$src/conf_flags" ]; then
    echo "build-module: $src/conf_flags is missing: apt-get install nginx-dev" >&2
    exit 1
fi

if [ ! -f "$out/objs/Makefile" ] || [ "$top/config" -nt "$out/objs/Makefile" ]; then
    rm -rf "$out"
    mkdir -p "$out"
    cp -a "$src/." "$out/"

    # conf_flags is a bash array: NGX_CONF_FLAGS=( ... )
    flags=$(sed -n 's/^NGX_CONF_FLAGS=(\(.*\))$/\1/p' "$src/conf_flags")

    cd "$out"
    # shellcheck disable=SC2086
    ./configure $flags \
        --with-cc-opt="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2" \
        --with-ld-opt="-Wl,-z,relro -Wl,-z,now -fPIC" \
        --add-dynamic-module="$top" > "$out/configure.log" 2>&1 \
        || { tail -n 30 "$out/configure.log" >&2; exit 1; }
fi

cd "$out"
make -f objs/Makefile modules >"$out/make.log" 2>&1 \
    || { grep -E "error|warning" "$out/make.log" >&2 || tail -n 30 "$out/make.log" >&2; exit 1; }

echo "$out/objs/ngx_http_resend_verify_module.so"
