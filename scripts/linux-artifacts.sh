#!/usr/bin/env bash
# Fetch and build the Linux guest artifacts for hvrr (issue 5, item 3).
#
#   scripts/linux-artifacts.sh            fetch/build (idempotent), print the paths
#   scripts/linux-artifacts.sh --check    only verify an existing cache, print the paths
#   scripts/linux-artifacts.sh --rebuild  rebuild initrd and disk (keeps downloads)
#
# Everything is cached outside the repository in
#   ${HVRR_LINUX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hvrr/linux}
# Nothing here is ever committed.
#
# Packages (Debian 12 arm64, by name):
#   linux-image-6.12.*+deb12-arm64-unsigned  (bookworm-security; newest available)
#   fallback: linux-image-6.1.0-*-arm64-unsigned
#   busybox-static:arm64
# Override the kernel package with HVRR_LINUX_PKG=<name> (e.g. a 6.1 package).
#
# Outputs (last lines on stdout):
#   kernel=<cache>/Image            raw arm64 Image (vmlinuz-* from the package)
#   initrd=<cache>/initrd.cpio.gz   busybox + /init + virtio modules (.ko, decompressed)
#   disk=<cache>/disk.img           8 MiB ext2 with /hello.txt = "hvrr-disk-ok"
#   modules=<cache>/modules         the decompressed modules (virtio, ext4) and load-order
set -euo pipefail

CACHE="${HVRR_LINUX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hvrr/linux}"
MODE="${1:-}"
DEBS="$CACHE/debs"
ROOT="$CACHE/root"          # dpkg-deb -x of the kernel package
BBROOT="$CACHE/busybox"     # dpkg-deb -x of busybox-static
STAGE="$CACHE/initramfs"    # initramfs staging tree
MODDIR="$CACHE/modules"
KERNEL="$CACHE/Image"
INITRD="$CACHE/initrd.cpio.gz"
DISK="$CACHE/disk.img"
DISK_TEXT="hvrr-disk-ok"
# Bump when /init or the initramfs layout changes: a cache built by an older
# script is rebuilt (and --check refuses it).
INITRD_FORMAT=3
FORMAT_STAMP="$CACHE/initrd.format"
# virtio transport/devices, then ext4 (Debian builds it as a module; it mounts the
# ext2 test disk) with the crc32c implementation it asks the crypto API for.
# ext4's chain (~0.3 G guest instructions to load) is loaded only when /dev/vda exists.
VIRTIO_MODS=(virtio_mmio virtio_blk failover net_failover virtio_net)
DISK_MODS=(crc32c_generic ext4)

log() { echo "linux-artifacts: $*" >&2; }
die() { echo "linux-artifacts: error: $*" >&2; exit 1; }

print_paths() {
  echo "kernel=$KERNEL"
  echo "initrd=$INITRD"
  echo "disk=$DISK"
  echo "modules=$MODDIR"
  echo "run: hvrr run --bare --kernel $KERNEL --initrd $INITRD --append \"console=ttyAMA0 earlycon=pl011,0x9000000 cryptomgr.notests rdinit=/init\" --mem 512M" >&2
}

no_apt() {
  cat >&2 <<EOF
linux-artifacts: apt-get/dpkg-deb are not available on this machine.
Build the artifacts on a Debian/Ubuntu machine with this script (then copy $CACHE), or pass files by hand:
  --kernel  a raw arm64 Linux Image: /boot/vmlinuz-<ver> from the Debian package
            linux-image-6.12.<n>+deb12-arm64-unsigned (or linux-image-6.1.0-<n>-arm64-unsigned)
            (must start with the arm64 Image header: magic "ARMd" at offset 0x38)
  --initrd  a gzip'ed newc cpio archive with a static arm64 busybox, /init, and the
            modules virtio_mmio.ko virtio_blk.ko failover.ko net_failover.ko virtio_net.ko
            (the /init this script writes prints HVRR-LINUX-READY when the guest is up)
  --disk    optional: a raw disk image for virtio-blk (/dev/vda in the guest)
  e.g.  hvrr record boot-linux --kernel Image --initrd initrd.cpio.gz --disk disk.img
        hvrr run --bare --kernel Image --initrd initrd.cpio.gz \\
          --append "console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init" --mem 512M
EOF
  exit 2
}

check_image() {
  # arm64 Image header: magic "ARM\x64" (0x644d5241 LE) at offset 0x38
  local magic
  magic=$(od -An -tx1 -j56 -N4 "$1" | tr -d ' \n')
  [ "$magic" = "41524d64" ] || die "$1 is not a raw arm64 Image (magic at 0x38 is '$magic')"
}

if [ "$MODE" = "--check" ]; then
  for f in "$KERNEL" "$INITRD" "$DISK"; do [ -s "$f" ] || die "missing $f (run scripts/linux-artifacts.sh)"; done
  check_image "$KERNEL"
  gzip -t "$INITRD" || die "$INITRD is not a valid gzip file"
  [ "$(cat "$FORMAT_STAMP" 2>/dev/null)" = "$INITRD_FORMAT" ] || die "$INITRD was built by an older script (run scripts/linux-artifacts.sh)"
  log "cache OK: $CACHE"
  print_paths
  exit 0
fi

command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || no_apt

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 && SUDO="sudo" || true
fi

mkdir -p "$CACHE" "$DEBS"

# --- host tools ---------------------------------------------------------------
need_pkgs=()
command -v cpio >/dev/null 2>&1 || need_pkgs+=(cpio)
command -v gzip >/dev/null 2>&1 || need_pkgs+=(gzip)
command -v xz   >/dev/null 2>&1 || need_pkgs+=(xz-utils)
command -v mke2fs >/dev/null 2>&1 || need_pkgs+=(e2fsprogs)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing host tools: ${need_pkgs[*]}"
  $SUDO apt-get install -y -q "${need_pkgs[@]}" >&2 || die "could not install ${need_pkgs[*]}"
fi

# --- arm64 package lists (only if needed) ------------------------------------------
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  log "dpkg --add-architecture arm64"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -q >&2
elif ! apt-cache policy busybox-static:arm64 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  $SUDO apt-get update -q >&2
fi

# --- kernel package name ---------------------------------------------------------
pick_kernel() {
  if [ -n "${HVRR_LINUX_PKG:-}" ]; then echo "$HVRR_LINUX_PKG"; return; fi
  local p
  p=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-arm64-unsigned$' | awk '{print $1}' | sort -V | tail -1)
  if [ -z "$p" ]; then
    p=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-arm64-unsigned$' | awk '{print $1}' | sort -V | tail -1)
  fi
  echo "$p"
}
KPKG=$(pick_kernel)
[ -n "$KPKG" ] || die "no linux-image-6.12.*+deb12-arm64-unsigned or linux-image-6.1.0-*-arm64-unsigned package in the apt lists"
log "kernel package: $KPKG"

download() { # $1 = package[:arch]; leaves exactly one matching .deb in $DEBS
  local name="${1%%:*}"
  if ! ls "$DEBS/${name}_"*.deb >/dev/null 2>&1; then
    log "apt-get download $1"
    (cd "$DEBS" && apt-get download -q "$1" >&2) || die "apt-get download $1 failed"
  fi
  ls "$DEBS/${name}_"*.deb | sort -V | tail -1
}
KDEB=$(download "$KPKG")
BBDEB=$(download "busybox-static:arm64")

# --- extract (no root install) --------------------------------------------------
stamp_ok() { [ -f "$1/.from" ] && [ "$(cat "$1/.from")" = "$2" ]; }
if ! stamp_ok "$ROOT" "$KDEB"; then
  rm -rf "$ROOT"; mkdir -p "$ROOT"
  log "dpkg-deb -x $(basename "$KDEB")"
  dpkg-deb -x "$KDEB" "$ROOT"
  echo "$KDEB" > "$ROOT/.from"
  rm -f "$INITRD" "$KERNEL"
fi
if ! stamp_ok "$BBROOT" "$BBDEB"; then
  rm -rf "$BBROOT"; mkdir -p "$BBROOT"
  dpkg-deb -x "$BBDEB" "$BBROOT"
  echo "$BBDEB" > "$BBROOT/.from"
  rm -f "$INITRD"
fi

VMLINUZ=$(ls "$ROOT"/boot/vmlinuz-* | head -1)
KVER=$(basename "$VMLINUZ"); KVER="${KVER#vmlinuz-}"
check_image "$VMLINUZ"
if [ ! -s "$KERNEL" ] || ! cmp -s "$VMLINUZ" "$KERNEL"; then cp "$VMLINUZ" "$KERNEL"; fi
echo "$KVER" > "$CACHE/kernel-version"

# --- virtio modules + deps ----------------------------------------------------------
# Debian packages ship no modules.dep (depmod runs at install time), so the
# dependencies come from each module's own .modinfo "depends=" field; paths
# come from modules.order (or a find over kernel/ as a fallback).
KMODROOT="$ROOT/lib/modules/$KVER"
[ -d "$KMODROOT/kernel" ] || die "no $KMODROOT/kernel"
rm -rf "$MODDIR"; mkdir -p "$MODDIR"
: > "$MODDIR/load-order"
mod_path() { # $1 = module name (dashes and underscores equivalent) -> path of .ko*
  local n="${1//-/_}" f
  f=$(find "$KMODROOT/kernel" -name "${n}.ko*" -o -name "${n//_/-}.ko*" | head -1)
  [ -n "$f" ] || die "module $1 not found under $KMODROOT/kernel"
  echo "$f"
}
# Debian signs its modules; the kernel then checks every signature at insmod
# (SHA-256 of the module + the public-key verify), even when signatures are not
# enforced: ~25 M guest instructions of pure crypto per module, more than a third
# of the whole boot's module loading. The test initramfs carries the modules
# without the appended signature (the kernel then logs "module verification
# failed ... tainting kernel" once and loads them), like cryptomgr.notests skips
# the crypto self-tests. The appended block is: signature, struct
# module_signature (12 bytes, sig_len big-endian in the last 4), magic.
SIG_MAGIC="~Module signature appended~"
strip_sig() { # $1 = .ko
  local f="$1" sz siglen
  [ "$(tail -c 28 "$f")" = "$SIG_MAGIC" ] || return 0
  sz=$(stat -c %s "$f")
  siglen=$(od -An -tu1 -j $((sz - 28 - 4)) -N 4 "$f" | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}')
  truncate -s $((sz - 28 - 12 - siglen)) "$f"
}
declare -A seen=()
add_mod() { # $1 = module name; decompresses it and its deps, deps first
  local n="${1//-/_}" f ko deps d
  [ -n "${seen[$n]:-}" ] && return 0
  seen[$n]=1
  f=$(mod_path "$n")
  ko="$MODDIR/$n.ko"
  case "$f" in
    *.ko.xz)  xz -dc "$f" > "$ko" ;;
    *.ko.zst) zstd -dcq "$f" > "$ko" ;;
    *.ko.gz)  gzip -dc "$f" > "$ko" ;;
    *)        cp "$f" "$ko" ;;
  esac
  strip_sig "$ko"
  deps=$(tr '\0' '\n' < "$ko" | grep -a -m1 '^depends=' | cut -d= -f2 | tr ',' ' ') || true
  for d in $deps; do add_mod "$d"; done
  echo "$n.ko" >> "$ORDER_FILE"
}
ORDER_FILE="$MODDIR/load-order"
for m in "${VIRTIO_MODS[@]}"; do add_mod "$m"; done
ORDER_FILE="$MODDIR/load-order-disk"
: > "$ORDER_FILE"
for m in "${DISK_MODS[@]}"; do add_mod "$m"; done
log "modules (load order): $(tr '\n' ' ' < "$MODDIR/load-order")+ if /dev/vda: $(tr '\n' ' ' < "$MODDIR/load-order-disk")"

# --- initramfs ------------------------------------------------------------------
if [ ! -s "$INITRD" ] || [ "$MODE" = "--rebuild" ] || [ "$(cat "$FORMAT_STAMP" 2>/dev/null)" != "$INITRD_FORMAT" ]; then
  rm -rf "$STAGE"
  mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc,mnt,lib/modules}
  cp "$BBROOT/bin/busybox" "$STAGE/bin/busybox"
  chmod 755 "$STAGE/bin/busybox"
  # applet symlinks: the static busybox lists its applets with their install paths
  # (run it on the host only if it can execute; otherwise use a fixed list)
  applets=""
  if command -v qemu-aarch64-static >/dev/null 2>&1; then
    applets=$(qemu-aarch64-static "$STAGE/bin/busybox" --list-full 2>/dev/null || true)
  elif [ "$(uname -m)" = aarch64 ]; then
    applets=$("$STAGE/bin/busybox" --list-full 2>/dev/null || true)
  fi
  if [ -z "$applets" ]; then
    for a in sh ash cat cp echo ls mkdir mknod mount umount rm rmdir ln ps kill sleep dmesg \
             uname hostname true false test grep sed awk head tail wc cut tr sort uniq \
             dd od hexdump md5sum sha256sum vi more less find xargs chmod chown date env \
             free top uptime df du stty tty setsid cttyhack clear reset sync; do
      applets+="bin/$a"$'\n'
    done
    for a in insmod rmmod lsmod modprobe ip ifconfig route ping poweroff reboot halt \
             switch_root mdev init sysctl losetup blockdev mke2fs fsck; do
      applets+="sbin/$a"$'\n'
    done
  fi
  while IFS= read -r a; do
    [ -n "$a" ] || continue
    [ "$a" = bin/busybox ] && continue
    mkdir -p "$STAGE/$(dirname "$a")"
    [ -e "$STAGE/$a" ] || [ -L "$STAGE/$a" ] || ln -s /bin/busybox "$STAGE/$a"
  done <<< "$applets"
  [ -L "$STAGE/bin/sh" ] || ln -s busybox "$STAGE/bin/sh"
  cp "$MODDIR"/*.ko "$MODDIR/load-order" "$MODDIR/load-order-disk" "$STAGE/lib/modules/"
  cat > "$STAGE/init" <<'EOF'
#!/bin/sh
# hvrr initramfs /init
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s 2>/dev/null   # every applet (the image carries a fixed subset)
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mknod -m 600 /dev/console c 5 1
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null
echo "hvrr-init: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpu(s)"
for m in $(cat /lib/modules/load-order); do
  insmod /lib/modules/$m 2>/dev/null && echo "hvrr-init: loaded $m" || echo "hvrr-init: insmod $m failed"
done
ip link set lo up 2>/dev/null
if [ -e /sys/class/net/eth0/address ]; then
  mac=$(cat /sys/class/net/eth0/address)
  n=$(( 0x${mac##*:} ))
  [ "$n" -ge 1 ] && [ "$n" -le 254 ] || n=$(( (n % 254) + 1 ))
  ip link set eth0 up
  ip addr add 10.0.0.$n/24 dev eth0
  echo "hvrr-init: eth0 $mac 10.0.0.$n/24"
  # hvrr.vms=N on the command line (hvrr record boot-linux --vms N): ping every
  # other VM 10.0.0.1..N through the hypervisor's vswitch (retrying while the
  # peer is still booting), then report.
  vms=$(sed -n 's/.*hvrr\.vms=\([0-9]*\).*/\1/p' /proc/cmdline)
  k=1
  while [ -n "$vms" ] && [ "$k" -le "$vms" ]; do
    if [ "$k" -ne "$n" ]; then
      i=0
      until ping -c 1 -W 1 10.0.0.$k >/dev/null 2>&1 || [ "$i" -ge 30 ]; do i=$((i + 1)); done
      if ping -c 3 -W 2 10.0.0.$k; then echo "HVRR-PING-OK 10.0.0.$k"; else echo "HVRR-PING-FAIL 10.0.0.$k"; fi
    fi
    k=$((k + 1))
  done
fi
if [ -b /dev/vda ]; then
  for m in $(cat /lib/modules/load-order-disk); do
    insmod /lib/modules/$m 2>/dev/null && echo "hvrr-init: loaded $m" || echo "hvrr-init: insmod $m failed"
  done
  mkdir -p /mnt/disk && mount -t ext2 -o ro /dev/vda /mnt/disk && echo "hvrr-init: /dev/vda mounted on /mnt/disk"
fi
echo HVRR-LINUX-READY
exec setsid cttyhack sh
EOF
  chmod 755 "$STAGE/init"
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$STAGE/etc/passwd"
  printf 'root:x:0:\n' > "$STAGE/etc/group"
  printf 'hvrr\n' > "$STAGE/etc/hostname"
  log "building $INITRD"
  (cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --quiet) | gzip -9n > "$INITRD.tmp"
  mv "$INITRD.tmp" "$INITRD"
  echo "$INITRD_FORMAT" > "$FORMAT_STAMP"
fi

# --- disk image -------------------------------------------------------------------
if [ ! -s "$DISK" ] || [ "$MODE" = "--rebuild" ]; then
  rm -rf "$CACHE/disk-root"; mkdir -p "$CACHE/disk-root"
  echo "$DISK_TEXT" > "$CACHE/disk-root/hello.txt"
  rm -f "$DISK"
  E2FSPROGS_FAKE_TIME=0 mke2fs -q -F -t ext2 -b 1024 -L hvrr -U 00000000-0000-0000-0000-0000000000a5 \
    -E root_owner=0:0 -d "$CACHE/disk-root" "$DISK" 8M >&2
fi

print_paths
