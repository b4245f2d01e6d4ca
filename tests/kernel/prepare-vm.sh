#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prepares the kernel-test guest in DIR: a stock Debian cloud kernel (wireguard.ko) and a
# busybox initramfs, both from Debian's archive via `apt-get download` (nothing installed).
#   prepare-vm.sh DIR
# Leaves DIR/vmlinuz, DIR/base.cpio.gz and DIR/ready (the kernel version). Idempotent: a
# DIR whose `ready` names the current kernel package is kept. About 15 s and 30 MB.
set -eu

[ $# -eq 1 ] || { echo "usage: prepare-vm.sh DIR" >&2; exit 2; }
dir=$1
here=$(cd "$(dirname "$0")" && pwd)

for tool in apt-get apt-cache dpkg-deb depmod modprobe cpio gzip ldd; do
    command -v "$tool" >/dev/null || { echo "prepare-vm: $tool is missing" >&2; exit 1; }
done

# The versioned package behind the meta-package, e.g. linux-image-6.1.0-56-cloud-amd64.
kernel_package() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'
}
kpkg=$(kernel_package)
if [ -z "$kpkg" ]; then
    apt-get update -q >/dev/null
    kpkg=$(kernel_package)
fi
[ -n "$kpkg" ] || { echo "prepare-vm: linux-image-cloud-amd64 not known to apt" >&2; exit 1; }
kver=${kpkg#linux-image-}

if [ -f "$dir/ready" ] && [ "$(cat "$dir/ready")" = "$kver" ] && [ "$dir/ready" -nt "$here/init" ] && [ "$dir/ready" -nt "$here/prepare-vm.sh" ]; then
    echo "prepare-vm: $dir is ready ($kver)"
    exit 0
fi

rm -rf "$dir"
mkdir -p "$dir/debs"
(
    cd "$dir/debs"
    # busybox-static conflicts with the installed busybox, and installing a kernel would run
    # /boot hooks: download and extract both instead.
    if ! apt-get -o APT::Sandbox::User=root download -q busybox-static "$kpkg" >/dev/null; then
        apt-get update -q >/dev/null
        apt-get -o APT::Sandbox::User=root download -q busybox-static "$kpkg" >/dev/null
    fi
)
dpkg-deb -x "$dir"/debs/busybox-static_*.deb "$dir/busybox"
dpkg-deb -x "$dir"/debs/"$kpkg"_*.deb "$dir/kernel"
depmod -b "$dir/kernel" "$kver"   # the .deb carries no modules.dep

root=$dir/root
mkdir -p "$root/bin" "$root/lib/modules/wgvm" "$root/usr/bin" "$root/usr/sbin"
cp "$dir/busybox/bin/busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 755 "$root/init"

# Modules in load order, decompressed (busybox insmod reads plain .ko only).
: > "$root/lib/modules/wgvm/load-order"
modprobe -d "$dir/kernel" -S "$kver" --show-depends -a wireguard veth dummy tun |
    awk '$1 == "insmod" {print $2}' | while read -r ko; do
        name=$(basename "$ko")
        case "$name" in
            *.xz) xz -dc "$ko" > "$root/lib/modules/wgvm/${name%.xz}"; name=${name%.xz} ;;
            *.zst) zstd -qdc "$ko" > "$root/lib/modules/wgvm/${name%.zst}"; name=${name%.zst} ;;
            *) cp "$ko" "$root/lib/modules/wgvm/$name" ;;
        esac
        echo "$name" >> "$root/lib/modules/wgvm/load-order"
    done
grep -q '^wireguard.ko$' "$root/lib/modules/wgvm/load-order" ||
    { echo "prepare-vm: $kpkg has no wireguard.ko" >&2; exit 1; }

# wg and ip from the host, with their libraries at the host's paths.
for prog in "$(command -v wg)" "$(command -v ip)"; do
    cp --parents -L "$prog" "$root"
    ldd "$prog" | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | while read -r lib; do
        cp --parents -L "$lib" "$root"
    done
done

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$dir/base.cpio.gz"
cp "$dir/kernel/boot/vmlinuz-$kver" "$dir/vmlinuz"
rm -rf "$dir/debs" "$dir/busybox" "$root"
rm -rf "$dir/kernel"
echo "$kver" > "$dir/ready"
echo "prepare-vm: $dir ready ($kver)"
