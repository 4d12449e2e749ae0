#!/bin/bash
# The nginx builds of the compatibility matrix (mk/matrix.mk).
#
#   tools/nginx-matrix.sh source VERSION       the source tree (prints its path)
#   tools/nginx-matrix.sh build VERSION MODE   builds, prints the binary's path
#   tools/nginx-matrix.sh shared               the ../shared/nginx directory
#
# MODE static: the module compiled into nginx (--add-module);
# MODE dynamic: an nginx without it plus the module as a .so of the same
# build (--add-dynamic-module), for load_module: build/matrix/VERSION-dynamic/
# objs/ngx_http_resend_verify_module.so.
#
# Where the sources come from:
#   1.22.1  Debian 12's source package (tools/nginx-source.sh, the tree the
#           default private nginx uses)
#   1.26.3  Debian 13's source package: apt-get source inside the Debian 13
#           root (tools/debian13-root.sh), its orig tarball checked by SHA-256
#   others  ../shared/nginx/nginx-VERSION.tar.gz next to the checkout (or
#           $RV_NGINX_SOURCES), checked against its SHA256SUMS; these are
#           archives of nginx's repository (auto/configure, no ./configure)
#
# Every build: --with-debug --with-http_ssl_module --with-threads
# --with-http_v2_module (NGX_CONF_FLAGS), and --with-http_v3_module from
# 1.25 on.  A build is configured again only when its flags or the module's
# config change, and make then rebuilds only what changed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
matrix=$build/matrix
flags=${NGX_CONF_FLAGS:---with-debug --with-http_ssl_module --with-threads --with-http_v2_module}
cc_opt=${NGX_CC_OPT:--g -O1 -fno-omit-frame-pointer}
sha_1_26_3=69ee2b237744036e61d24b836668aad3040dda461fe6f570f1787eab570c75aa

die() { echo "nginx-matrix: $*" >&2; exit 1; }

# ../shared/nginx of the checkout; for a git worktree, also the one next to
# the main checkout
shared_dir() {
    local d c
    for d in "${RV_NGINX_SOURCES:-}" "$top/../shared/nginx"; do
        [ -n "$d" ] && [ -f "$d/SHA256SUMS" ] && { (cd "$d" && pwd); return 0; }
    done
    c=$(git -C "$top" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
    if [ -n "$c" ] && [ -f "$c/../../shared/nginx/SHA256SUMS" ]; then
        (cd "$c/../../shared/nginx" && pwd)
        return 0
    fi
    return 1
}

ver_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

source_tree() {
    local v=$1 d tarball sums tmp root
    case $v in
    1.22.1)
        "$top/tools/nginx-source.sh"
        echo "$build/nginx-$v"
        return ;;
    esac

    d=$matrix/src/nginx-$v
    if [ -f "$d/src/core/nginx.c" ]; then echo "$d"; return; fi
    mkdir -p "$matrix/src"

    if [ "$v" = 1.26.3 ]; then
        tarball=$matrix/src/nginx_$v.orig.tar.gz
        if [ ! -f "$tarball" ]; then
            "$top/tools/debian13-root.sh" --deb-src dpkg-dev >&2
            root=${RV_DEBIAN13_ROOT:-$build/debian13}
            tmp=$(mktemp -d "$root/tmp/nginx-src.XXXXXX")
            # apt may fail on the .dsc of a security update whose orig
            # tarball it did fetch: the tarball and its checksum are what count
            "$top/tools/debian13-root.sh" --run --lock "$root" -- sh -c \
                "cd /tmp/$(basename "$tmp") && apt-get source --download-only nginx=$v" \
                > "$matrix/src/apt-get-source-$v.log" 2>&1 || true
            [ -f "$tmp/nginx_$v.orig.tar.gz" ] \
                || { cat "$matrix/src/apt-get-source-$v.log" >&2; rm -rf "$tmp";
                     die "apt-get source nginx=$v failed in the Debian 13 root"; }
            mv "$tmp/nginx_$v.orig.tar.gz" "$tarball"
            rm -rf "$tmp"
        fi
        echo "$sha_1_26_3  $tarball" | sha256sum -c --quiet - \
            || { rm -f "$tarball"; die "$tarball has the wrong checksum"; }
    else
        sums=$(shared_dir) || die "nginx $v: ../shared/nginx (nginx-$v.tar.gz, SHA256SUMS) is missing next to the checkout $top; set RV_NGINX_SOURCES to that directory"
        tarball=$sums/nginx-$v.tar.gz
        [ -f "$tarball" ] || die "$tarball is missing"
        (cd "$sums" && grep " nginx-$v.tar.gz\$" SHA256SUMS | sha256sum -c --quiet -) \
            || die "$tarball does not match $sums/SHA256SUMS"
    fi

    rm -rf "$d.tmp"
    mkdir -p "$d.tmp"
    tar -C "$d.tmp" -xzf "$tarball"
    mv "$d.tmp/nginx-$v" "$d"
    rmdir "$d.tmp"
    echo "$d"
}

build() {
    local v=$1 mode=$2 src out f conf want
    src=$(source_tree "$v")
    out=$matrix/$v-$mode

    f="$flags"
    ver_ge "$v" 1.25.0 && f="$f --with-http_v3_module"
    case $mode in
        static)  f="$f --add-module=$top" ;;
        dynamic) f="$f --add-dynamic-module=$top" ;;
        *)       die "unknown mode $mode (static, dynamic)" ;;
    esac
    want="$f --with-cc-opt=$cc_opt"

    conf=./configure
    [ -x "$src/configure" ] || conf=auto/configure

    if [ ! -f "$out/objs/Makefile" ] || [ "$top/config" -nt "$out/objs/Makefile" ] \
       || [ "$(cat "$out/flags" 2>/dev/null)" != "$want" ]
    then
        rm -rf "$out"
        mkdir -p "$out"
        # shellcheck disable=SC2086
        (cd "$src" && $conf --prefix="$out" --builddir="$out/objs" $f \
            --with-cc-opt="$cc_opt") > "$out/configure.log" 2>&1 \
            || { tail -n 30 "$out/configure.log" >&2; die "configure of $v ($mode) failed"; }
        echo "$want" > "$out/flags"
    fi

    (cd "$src" && make -f "$out/objs/Makefile" -j"${MATRIX_JOBS:-2}") > "$out/make.log" 2>&1 \
        || { grep -E "error|warning" "$out/make.log" >&2 || tail -n 30 "$out/make.log" >&2;
             die "build of $v ($mode) failed"; }
    [ "$mode" = static ] || [ -f "$out/objs/ngx_http_resend_verify_module.so" ] \
        || die "$out/objs/ngx_http_resend_verify_module.so was not built"
    echo "$out/objs/nginx"
}

case ${1:-} in
    shared) shared_dir ;;
    source) [ $# = 2 ] || die "usage: $0 source VERSION"; source_tree "$2" ;;
    build)  [ $# = 3 ] || die "usage: $0 build VERSION static|dynamic"; build "$2" "$3" ;;
    *)      die "usage: $0 source VERSION | build VERSION static|dynamic" ;;
esac
