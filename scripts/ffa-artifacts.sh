#!/usr/bin/env bash
# Build Linux's own FF-A driver and hvrr's client module for the Debian
# kernel of the Linux tier, and an initramfs that loads them
# (guests/ffa-linux/README.md says why and what the client checks).
#
#   scripts/ffa-artifacts.sh          fetch/build (idempotent; nothing is rebuilt when
#                                     the inputs are those of the cache), print the paths
#   scripts/ffa-artifacts.sh --check  only verify an existing cache, print the paths
#
# Needs the Linux artifacts first (scripts/linux-artifacts.sh). Cached outside
# the repository in ${HVRR_FFA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hvrr/ffa};
# nothing here is ever committed.
#
# Packages (Debian 12, by name, matching the kernel's version exactly):
#   linux-source-6.12                      drivers/firmware/arm_ffa
#   linux-headers-<kver>:arm64, linux-headers-<base>-common   (extracted, not installed)
#   linux-kbuild-<base>                    host tools (fixdep, modpost) for this machine
#   gcc-12-aarch64-linux-gnu               installed (the headers name aarch64-linux-gnu-gcc-12)
#
# Outputs (last lines on stdout):
#   initrd=<cache>/initrd-ffa.cpio.gz   the Linux tier's initramfs + the three modules
#   modules=<cache>/modules             ffa-core.ko ffa-module.ko hvrr_ffa_client.ko
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${HVRR_FFA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hvrr/ffa}"
LINUX_CACHE="${HVRR_LINUX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hvrr/linux}"
MODE="${1:-}"
DEBS="$CACHE/debs"
ROOT="$CACHE/root"
MODDIR="$CACHE/modules"
INITRD="$CACHE/initrd-ffa.cpio.gz"
MODS=(ffa-core.ko ffa-module.ko hvrr_ffa_client.ko)
# Bumped when the initramfs changes shape; --check refuses an older cache.
# 2: /init powers off after the marker when the command line has hvrr.poweroff.
FORMAT=2

log() { echo "ffa-artifacts: $*" >&2; }
die() { echo "ffa-artifacts: error: $*" >&2; exit 1; }

print_paths() {
  echo "initrd=$INITRD"
  echo "modules=$MODDIR"
}

if [ "$MODE" = "--check" ]; then
  [ -s "$INITRD" ] || die "missing $INITRD (run scripts/ffa-artifacts.sh)"
  for m in "${MODS[@]}"; do [ -s "$MODDIR/$m" ] || die "missing $MODDIR/$m (run scripts/ffa-artifacts.sh)"; done
  gzip -t "$INITRD" || die "$INITRD is not a valid gzip file"
  [ "$(cat "$CACHE/initrd.format" 2>/dev/null)" = "$FORMAT" ] || die "$INITRD is of an older format (run scripts/ffa-artifacts.sh)"
  log "cache OK: $CACHE"
  print_paths
  exit 0
fi

command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || die "needs apt-get and dpkg-deb (a Debian machine)"
[ -s "$LINUX_CACHE/kernel-version" ] && [ -d "$LINUX_CACHE/initramfs" ] || die "no Linux artifacts in $LINUX_CACHE (run scripts/linux-artifacts.sh first)"
KVER=$(cat "$LINUX_CACHE/kernel-version")           # e.g. 6.12.118+deb12-arm64
BASE="${KVER%-arm64}"                                # e.g. 6.12.118+deb12
case "$KVER" in 6.12.*-arm64) ;; *) die "kernel $KVER: the FF-A build supports Debian's 6.12 arm64 kernels only" ;; esac

SUDO=""
[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && SUDO="sudo"; } || true
if ! command -v aarch64-linux-gnu-gcc-12 >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
  log "installing gcc-12-aarch64-linux-gnu make"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc-12-aarch64-linux-gnu make >&2 \
    || die "could not install gcc-12-aarch64-linux-gnu"
fi

mkdir -p "$DEBS"
download() { # $1 = package[:arch]; prints the .deb
  local name="${1%%:*}"
  if ! ls "$DEBS/${name}_"*.deb >/dev/null 2>&1; then
    log "apt-get download $1"
    (cd "$DEBS" && apt-get download -q "$1" >&2) || die "apt-get download $1 failed"
  fi
  ls "$DEBS/${name}_"*.deb | sort -V | tail -1
}
SRC_DEB=$(download linux-source-6.12)
HDR_DEB=$(download "linux-headers-$KVER:arm64")
COMMON_DEB=$(download "linux-headers-$BASE-common")
KBUILD_DEB=$(download "linux-kbuild-$BASE")
# The source must be the kernel's own version (the headers are by construction).
want=$(dpkg-deb -f "$HDR_DEB" Version)
have=$(dpkg-deb -f "$SRC_DEB" Version)
[ "$want" = "$have" ] || die "linux-source-6.12 is $have but the kernel is $want (apt-get update, or a matching HVRR_LINUX_PKG)"

stamp="$SRC_DEB $HDR_DEB $COMMON_DEB $KBUILD_DEB"
if [ "$(cat "$ROOT/.from" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$ROOT"; mkdir -p "$ROOT"
  for d in $HDR_DEB $COMMON_DEB $KBUILD_DEB; do dpkg-deb -x "$d" "$ROOT"; done
  log "extracting drivers/firmware/arm_ffa from $(basename "$SRC_DEB")"
  dpkg-deb --fsys-tarfile "$SRC_DEB" | tar -xO ./usr/src/linux-source-6.12.tar.xz \
    | tar -xJ -C "$ROOT" --wildcards 'linux-source-6.12/drivers/firmware/arm_ffa/*'
  # The arm64 headers' Makefile includes the common one by its /usr/src path.
  sed -i "s#include /usr/src/#include $ROOT/usr/src/#" "$ROOT/usr/src/linux-headers-$KVER/Makefile"
  echo "$stamp" > "$ROOT/.from"
fi
KDIR="$ROOT/usr/src/linux-headers-$KVER"

# Nothing to do when the cache was built from these very inputs (the packages,
# the client's source, this script, the Linux tier's initramfs).
key=$( { echo "$stamp"; cat "$HERE/guests/ffa-linux/Kbuild" "$HERE/guests/ffa-linux/hvrr_ffa_client.c" "$0";
  (cd "$LINUX_CACHE/initramfs" && find . -type f | LC_ALL=C sort | xargs sha256sum); } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$CACHE/.built" 2>/dev/null)" = "$key" ] && bash "$0" --check >/dev/null 2>&1; then
  log "cache up to date: $CACHE"
  print_paths
  exit 0
fi

build() { # $1 = directory with a Kbuild; extra make arguments follow
  local dir="$1"; shift
  # No pahole here: no BTF for the modules.
  make -s -C "$KDIR" M="$dir" CONFIG_DEBUG_INFO_BTF_MODULES= "$@" modules >&2 || die "module build in $dir failed"
}

rm -rf "$CACHE/build" "$MODDIR"; mkdir -p "$CACHE/build/driver" "$CACHE/build/client" "$MODDIR"
cp "$ROOT/linux-source-6.12/drivers/firmware/arm_ffa/"*.[ch] "$CACHE/build/driver/"
# The kernel's Makefile keys on CONFIG_ARM_FFA_TRANSPORT and
# CONFIG_ARM_FFA_SMCCC, which Debian's .config leaves unset; arm_ffa.h
# declares the driver's API only when IS_REACHABLE(CONFIG_ARM_FFA_TRANSPORT).
cat > "$CACHE/build/driver/Kbuild" <<'EOF'
ccflags-y += -DCONFIG_ARM_FFA_TRANSPORT_MODULE=1 -DCONFIG_ARM_FFA_SMCCC=1
ffa-core-objs := bus.o
ffa-module-objs := driver.o smccc.o
obj-m := ffa-core.o ffa-module.o
EOF
log "building the FF-A driver for $KVER"
build "$CACHE/build/driver"
cp "$HERE/guests/ffa-linux/Kbuild" "$HERE/guests/ffa-linux/hvrr_ffa_client.c" "$CACHE/build/client/"
sed -i '1i ccflags-y += -DCONFIG_ARM_FFA_TRANSPORT_MODULE=1' "$CACHE/build/client/Kbuild"
log "building hvrr_ffa_client"
build "$CACHE/build/client" KBUILD_EXTRA_SYMBOLS="$CACHE/build/driver/Module.symvers"
cp "$CACHE/build/driver/ffa-core.ko" "$CACHE/build/driver/ffa-module.ko" "$CACHE/build/client/hvrr_ffa_client.ko" "$MODDIR/"

# The Linux tier's initramfs plus the modules, loaded after the virtio ones.
STAGE="$CACHE/initramfs"
rm -rf "$STAGE"; cp -a "$LINUX_CACHE/initramfs" "$STAGE"
cp "$MODDIR"/*.ko "$STAGE/lib/modules/"
printf '%s\n' "${MODS[@]}" >> "$STAGE/lib/modules/load-order"
# hvrr.poweroff (the ffa-linux scenario's command line): power off after the
# marker instead of starting the shell, so the run ends by itself (the client
# has run by then: insmod returns after its probes).
grep -q '^exec setsid cttyhack sh$' "$STAGE/init" || die "$STAGE/init has no 'exec setsid cttyhack sh' line to precede"
sed -i 's|^exec setsid cttyhack sh$|grep -qw hvrr.poweroff /proc/cmdline \&\& exec poweroff -f\n&|' "$STAGE/init"
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --quiet) | gzip -9n > "$INITRD.tmp"
mv "$INITRD.tmp" "$INITRD"
echo "$FORMAT" > "$CACHE/initrd.format"
echo "$key" > "$CACHE/.built"
log "built $INITRD"
print_paths
