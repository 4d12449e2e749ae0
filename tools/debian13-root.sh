#!/bin/bash
# A Debian 13 (trixie) root on a Debian 12 machine, for the tests that need
# Debian 13's programs (its nginx and the module's package built for it,
# curl with HTTP/3, valkey-server).  Root only.
#
#   tools/debian13-root.sh [--deb-src] [DIR] [PKG...]
#       makes DIR if it is not a complete root yet (debootstrap
#       --variant=minbase trixie, from the Debian mirror that
#       /etc/apt/sources.list.d/ names), then installs the PKGs that are
#       missing in it with apt-get.  A PKG ending in .deb is a file on the
#       host (it is copied into the root and installed with its
#       dependencies).  --deb-src adds trixie's deb-src line (apt-get source).
#       Idempotent: run it again and it does only what is missing.
#
#   tools/debian13-root.sh --run [--lock] [--bind PATH]... [DIR] -- CMD...
#       runs CMD inside DIR (chroot), with /proc mounted for it alone: in
#       a mount namespace of its own, so the mount is gone when CMD ends,
#       however it ends, and commands running at the same time do not see
#       or undo each other's mounts.  The process is CMD itself (exec), so
#       its id is the one to stop it by.  --bind PATH makes a host
#       directory visible at the same path inside.  --lock holds the
#       root's apt lock while CMD runs (for apt-get or dpkg inside).
#
# DIR is the first argument when it contains a '/' (./root, /var/tmp/x);
# otherwise $RV_DEBIAN13_ROOT, else build/debian13 in the checkout.  Every
# change to the root (debootstrap, apt-get) holds `flock DIR.apt.lock`, so
# several checkouts can share one root.  The root's apt never starts
# services (policy-rc.d), and gets the host's resolv.conf.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
suite=trixie

die() { echo "debian13-root: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"

run=0 lock=0 debsrc=0 binds=()
while [ $# -gt 0 ]; do
    case $1 in
        --run)      run=1; shift ;;
        --lock)     lock=1; shift ;;
        --deb-src)  debsrc=1; shift ;;
        --bind)     [ $# -ge 2 ] || die "--bind needs a path"
                    binds+=("$(cd "$2" && pwd)") || die "--bind $2: no such directory"
                    shift 2 ;;
        *)          break ;;
    esac
done

root=${RV_DEBIAN13_ROOT:-$top/build/debian13}
if [ $# -gt 0 ] && [ "$1" != -- ] && [[ $1 == */* ]] && [[ $1 != *.deb ]]; then
    root=$1
    shift
fi
root=$(realpath -m "$root")
lockfile=$root.apt.lock

# A mirror of the Debian archive, from the host's apt sources (deb822
# .sources or one-line .list); not the security archive.
mirror() {
    local u
    if [ -n "${RV_DEBIAN_MIRROR:-}" ]; then echo "$RV_DEBIAN_MIRROR"; return; fi
    u=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n' \
        | grep -E '^https?://[^ ]*/debian/?$' | head -n 1 || true)
    if [ -z "$u" ]; then
        u=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }' \
            || true)
    fi
    echo "${u:-http://deb.debian.org/debian}"
}

complete() {
    [ -x "$root/usr/bin/apt-get" ] && [ -f "$root/etc/debian_version" ] \
        && [ ! -e "$root/debootstrap" ]
}

# CMD inside the root, /proc (and the binds) in a private mount namespace
inside() {
    local b
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    for b in "${binds[@]}"; do mkdir -p "$root$b"; done
    exec unshare --mount --propagation private -- /bin/bash -c '
        set -e
        root=$1; shift
        mount -t proc proc "$root/proc"
        while [ "$1" != -- ]; do mount --bind "$1" "$root$1"; shift; done
        shift
        exec chroot "$root" /usr/bin/env -i \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive \
            "$@"
    ' debian13-root "$root" "${binds[@]}" -- "$@"
}

if [ "$run" = 1 ]; then
    [ "${1:-}" = -- ] && shift
    [ $# -gt 0 ] || die "--run: no command"
    complete || die "$root is not a Debian 13 root yet: run tools/debian13-root.sh $root"
    if [ "$lock" = 1 ]; then
        exec 9>"$lockfile"
        flock 9
    fi
    inside "$@"
fi

# Make or complete the root, then install the packages: under the lock.
mkdir -p "$(dirname "$root")"
exec 9>"$lockfile"
flock 9

if ! complete; then
    if ! command -v debootstrap >/dev/null 2>&1; then
        echo "debian13-root: apt-get install debootstrap (host)"
        flock /tmp/apt.lock apt-get install -y -qq --no-install-recommends \
            debootstrap debian-archive-keyring >/dev/null
    fi
    if [ -e "$root" ] && [ -n "$(ls -A "$root" 2>/dev/null)" ]; then
        # only ever remove what debootstrap itself left half-done
        [ -d "$root/debootstrap" ] \
            || die "$root exists and is not a Debian root: remove it or pick another DIR"
        echo "debian13-root: removing the unfinished debootstrap in $root"
        rm -rf --one-file-system "$root"
    fi
    m=$(mirror)
    echo "debian13-root: debootstrap --variant=minbase $suite $root $m (log: $root.debootstrap.log)"
    debootstrap --variant=minbase "$suite" "$root" "$m" > "$root.debootstrap.log" 2>&1 \
        || { tail -n 20 "$root.debootstrap.log" >&2; die "debootstrap failed"; }
fi

# services never start inside (nginx's postinst would otherwise try)
if [ ! -x "$root/usr/sbin/policy-rc.d" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
fi

updated=0
if [ "$debsrc" = 1 ] && [ ! -f "$root/etc/apt/sources.list.d/deb-src.list" ]; then
    m=$(sed -n 's/^deb \([^ ]*\) .*/\1/p' "$root/etc/apt/sources.list" | head -n 1)
    echo "deb-src ${m:-$(mirror)} $suite main" > "$root/etc/apt/sources.list.d/deb-src.list"
    (inside apt-get update -qq)
    updated=1
fi

[ $# -gt 0 ] || exit 0

pkgs=() debs=()
for p in "$@"; do
    if [[ $p == *.deb ]]; then
        [ -f "$p" ] || die "$p: no such file"
        debs+=("$p")
    elif ! (inside dpkg-query -W -f '${Status}' "$p" 2>/dev/null) | grep -q "ok installed"; then
        pkgs+=("$p")
    fi
done

if [ ${#debs[@]} -gt 0 ]; then
    rm -rf "$root/tmp/debs"
    mkdir -p "$root/tmp/debs"
    for d in "${debs[@]}"; do
        cp "$d" "$root/tmp/debs/"
        pkgs+=("/tmp/debs/$(basename "$d")")
    done
fi

[ ${#pkgs[@]} -gt 0 ] || exit 0

echo "debian13-root: apt-get install ${pkgs[*]} (in $root)"
if [ "$updated" = 0 ] && ! (inside apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1)
then
    (inside apt-get update -qq)
    updated=1
fi
if [ "$updated" = 1 ]; then
    (inside apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null)
fi
rm -rf "$root/tmp/debs"
