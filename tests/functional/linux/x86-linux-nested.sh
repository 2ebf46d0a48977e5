#!/bin/bash
# Boot Debian's x86-64 Linux under qkvm-system-x86_64 with KVM, nested:
#
#   host: qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt   (outer, L1)
#     L1: Debian's kernel, kvm + kvm_amd loaded -> /dev/kvm
#       qkvm-system-x86_64 -accel kvm -kernel vmlinux (PVH)      (inner, L2)
#         L2: the same kernel, a busybox /init that prints a marker,
#             loads the virtio drivers and reads virtio-rng-pci (/dev/hwrng);
#             gets an address by DHCP from -netdev user (virtio-net-pci) and
#             fetches a page from an HTTP server in L1 (10.0.2.2 = L1's
#             loopback); on a blank virtio disk it makes an ext2 file system,
#             writes a file and reboots (qkvm resets the machine); then it
#             reads the file back and powers off through ACPI (S5) -> qkvm
#             exits 0; each boot writes a line to /dev/hvc0 (virtconsole
#             on virtio-serial-pci, a TCP socket chardev L1's nc is
#             connected to), and the first boot reads the line L1 sent
#
# Why nested: this host's own /dev/kvm cannot run a stock kernel (its
# instruction emulator fails on cmpxchg16b, xrstor, long-mode int3...),
# see docs/system/linux-boot.rst.
#
# usage: x86-linux-nested.sh QKVM_BINARY WORKDIR [QKVM_EXTRA_ARGS...]
# Exit: 0 pass, 1 fail, 77 skip (with the reason on stdout).
# Downloads (the kernel and busybox-static debs) are cached in WORKDIR/debs.
set -u
QKVM=$1; WORK=$2; shift 2
EXTRA_ARGS="$*"
OUTER_TIMEOUT=${QKVM_NESTED_TIMEOUT:-900}
export LC_ALL=C

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
log() { echo "[nested] $*"; }

for t in qemu-system-x86_64 cpio xz dpkg-deb apt-get gzip ldd; do
  command -v $t >/dev/null || skip "$t is not installed (scripts/install-deps.sh installs it)"
done
[ -x "$QKVM" ] || fail "no qkvm binary at $QKVM"

DEBS=$WORK/debs; B=$WORK/run
mkdir -p "$DEBS"; rm -rf "$B"; mkdir -p "$B"

# --- downloads (cached) ------------------------------------------------------
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$kpkg" ] || skip "apt-cache knows no linux-image-amd64 (run apt-get update)"
kver=${kpkg#linux-image-}
fetch() {   # fetch PACKAGE -> path of its .deb in $DEBS
  local f
  f=$(ls "$DEBS"/"$1"_*.deb 2>/dev/null | head -1)
  if [ -z "$f" ]; then
    (cd "$DEBS" && timeout 600 apt-get download "$1" >/dev/null 2>&1) || return 1
    f=$(ls "$DEBS"/"$1"_*.deb 2>/dev/null | head -1)
  fi
  [ -n "$f" ] && echo "$f"
}
kdeb=$(fetch "$kpkg") || skip "cannot download $kpkg from the Debian registry"
bdeb=$(fetch busybox-static) || skip "cannot download busybox-static from the Debian registry"
log "kernel $(basename "$kdeb"), busybox $(basename "$bdeb")"

mkdir -p "$B/k" "$B/bb"
dpkg-deb -x "$kdeb" "$B/k" && dpkg-deb -x "$bdeb" "$B/bb" || fail "cannot unpack the debs"
vmlinuz=$B/k/boot/vmlinuz-$kver
mods=$B/k/lib/modules/$kver/kernel
# The bzImage carries the ELF vmlinux as an xz stream; vmlinux has a PVH
# entry note, which skips the slow in-guest decompression.
off=$(grep -aob $'\xfd7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "no xz payload in $vmlinuz"
tail -c +$((off + 1)) "$vmlinuz" | xz -dc 2>/dev/null > "$B/vmlinux"
[ "$(head -c 4 "$B/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || fail "extracted vmlinux is not ELF"

# --- inner initramfs: marker line, virtio devices, then ACPI power-off --------
I=$B/inner; mkdir -p "$I"/{bin,proc,sys,dev,mods}
cp "$B/bb/bin/busybox" "$I/bin/"
# the virtio drivers are modules in Debian's kernel; insmod order = deps
VIRTIO_MODS="drivers/virtio/virtio_ring drivers/virtio/virtio
  drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev
  drivers/virtio/virtio_pci drivers/char/hw_random/virtio-rng
  drivers/block/virtio_blk lib/crc16 crypto/crc32c_generic fs/mbcache
  fs/jbd2/jbd2 fs/ext4/ext4 net/core/failover drivers/net/net_failover
  drivers/net/virtio_net drivers/char/virtio_console"
for m in $VIRTIO_MODS; do
  cp "$mods/$m.ko" "$I/mods/" || fail "module $m.ko missing from $kpkg"
done
# udhcpc's script: configure what the lease says
cat > "$I/bin/dhcp.sh" <<'DHCP'
#!/bin/busybox sh
[ "$1" = bound ] || exit 0
ifconfig "$interface" "$ip" netmask "$subnet" && route add default gw "$router" &&
  echo "QKVM-NET-DHCP ip=$ip router=$router"
DHCP
chmod +x "$I/bin/dhcp.sh"
cat > "$I/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo "QKVM-LINUX-USERSPACE-OK cpus=\$(grep -c ^processor /proc/cpuinfo) uptime=\$(cut -d' ' -f1 /proc/uptime)"
for m in $(for m in $VIRTIO_MODS; do printf '%s ' "${m##*/}"; done); do
  insmod /mods/\$m.ko || echo "QKVM-INSMOD-FAILED \$m"
done
# virtio-rng-pci: the driver bound, and reads return bytes
n=\$(head -c 64 /dev/hwrng 2>/dev/null | wc -c)
echo "QKVM-VIRTIO-RNG bytes=\$n current=\$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
grep -i virtio /proc/interrupts | sed 's/^/QKVM-IRQ /'
# virtconsole: the MULTIPORT handshake makes /dev/hvc0 (asynchronously)
for i in 1 2 3 4 5 6 7 8 9 10; do [ -c /dev/hvc0 ] && break; sleep 1; done
# (held open on fd 3: the tty's last close would discard typed input)
if [ -c /dev/hvc0 ] && exec 3<>/dev/hvc0; then
  echo "QKVM-HVC-LINE boot-\$(cut -d' ' -f1 /proc/uptime)" >&3
else
  echo "QKVM-HVC-MISSING"
fi
# virtio-net-pci on -netdev user: DHCP, then HTTP through slirp's NAT
ifconfig lo up; ifconfig eth0 up
if timeout 60 udhcpc -i eth0 -n -q -t 5 -s /bin/dhcp.sh 2>/dev/null; then
  # busybox-static's wget crashes in the resolver here; nc speaks HTTP/1.0
  echo "QKVM-NET-GOT \$(printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' |
    timeout 20 nc 10.0.2.2 8080 2>&1 | grep page-)"
fi
# virtio-blk-pci: a file written before a reboot is there after it
mkdir -p /mnt
if mount -t ext2 /dev/vda /mnt 2>/dev/null; then
  echo "QKVM-BLK-READBACK \$(cat /mnt/persist)"
  umount /mnt
else
  echo "QKVM-BLK-SIZE \$(cat /sys/block/vda/size 2>/dev/null)"
  # first boot: the line L1 sent before the port was open arrives now
  read -t 20 l <&3; echo "QKVM-HVC-GOT \$l"
  # reboot only after a successful write: a failure must not loop
  if mke2fs -q /dev/vda && mount -t ext2 /dev/vda /mnt &&
     echo "persist-\$(cat /proc/sys/kernel/random/uuid)" > /mnt/persist; then
    echo "QKVM-BLK-WROTE \$(cat /mnt/persist)"
    umount /mnt; sync
    reboot -f
  fi
fi
poweroff -f
INIT
chmod +x "$I/init"
(cd "$I" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$B/inner.cpio.gz"

# --- outer initramfs: busybox, kvm modules, qkvm and its libraries -----------
O=$B/outer; mkdir -p "$O"/{bin,dev,proc,sys,tmp,inner,mods}
cp "$B/bb/bin/busybox" "$O/bin/"
for m in virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp arch/x86/kvm/kvm-amd; do
  cp "$mods/$m.ko" "$O/mods/" || fail "module $m.ko missing from $kpkg"
done
cp "$QKVM" "$O/bin/qkvm-system-x86_64"
for l in $(ldd "$QKVM" | grep -o '/[^ ]*'); do
  mkdir -p "$O$(dirname "$l")"; cp -L "$l" "$O$l"
done
cp "$B/vmlinux" "$B/inner.cpio.gz" "$O/inner/"
cat > "$O/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo 1 > /proc/sys/kernel/printk
for m in irqbypass kvm ccp kvm-amd; do insmod /mods/\$m.ko || echo "insmod \$m failed"; done
[ -c /dev/kvm ] && echo "OUTER-KVM-OK" || echo "OUTER-KVM-MISSING"
ifconfig lo 127.0.0.1 up
mkdir -p /www && echo "page-\$\$-\$(cut -d' ' -f1 /proc/uptime)" > /www/index.html
echo "OUTER-PAGE \$(cat /www/index.html)"
httpd -p 127.0.0.1:8080 -h /www
t0=\$(cut -d' ' -f1 /proc/uptime)
dd if=/dev/zero of=/tmp/disk.raw bs=1M count=16 2>/dev/null
# the virtconsole's peer: connect once qkvm listens, send one line, keep
# stdin open (an EOF would hang up) and collect what the guest writes
(for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1
   (echo "QKVM-HVC-IN-\$\$"; sleep 600) | nc 127.0.0.1 4555 > /tmp/hvc.out && break
 done) &
# no -no-reboot: the inner guest reboots once (see its /init)
timeout 600 /bin/qkvm-system-x86_64 -m 256 -nodefaults -display none -serial stdio \
  -device virtio-rng-pci,id=rng0 -drive file=/tmp/disk.raw,format=raw,if=virtio \
  -netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
  -chardev socket,id=vcon,host=127.0.0.1,port=4555,server=on,wait=off \
  -device virtio-serial-pci,id=vs0 \
  -device virtconsole,chardev=vcon,bus=vs0.0 $EXTRA_ARGS \
  -kernel /inner/vmlinux -initrd /inner/inner.cpio.gz -append "console=ttyS0 panic=-1 quiet"
echo "QKVM-RC=\$? start=\$t0 end=\$(cut -d' ' -f1 /proc/uptime)"
sleep 1; sed 's/^/OUTER-HVC /' /tmp/hvc.out
poweroff -f
INIT
chmod +x "$O/init"
(cd "$O" && find . | cpio -o -H newc 2>/dev/null) > "$B/outer.cpio"

# --- boot ------------------------------------------------------------------
log "booting the outer guest under TCG (limit ${OUTER_TIMEOUT}s), log $B/outer.log"
start=$(date +%s.%N)
timeout "$OUTER_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -smp 1 -m 2048 \
  -nodefaults -display none -serial stdio -no-reboot \
  -kernel "$B/vmlinux" -initrd "$B/outer.cpio" -append "console=ttyS0 panic=-1 quiet" \
  > "$B/outer.log" 2>&1
end=$(date +%s.%N)
grep -a -E 'OUTER-|QKVM-|insmod|qkvm-system|virtio|Kernel panic|emulation failure' "$B/outer.log"
echo "outer run: $(echo "$end - $start" | bc 2>/dev/null || echo '?') s"
grep -aq OUTER-KVM-OK "$B/outer.log" || skip "no /dev/kvm inside the outer TCG guest (kvm_amd did not load)"
grep -aq 'QKVM-LINUX-USERSPACE-OK' "$B/outer.log" || fail "the inner Linux did not reach userspace (see $B/outer.log)"
grep -aq 'QKVM-RC=0 ' "$B/outer.log" || fail "qkvm did not exit 0 after the guest powered off"
grep -aq 'QKVM-VIRTIO-RNG bytes=64 current=virtio_rng' "$B/outer.log" ||
  fail "the inner Linux did not read 64 bytes from virtio-rng-pci"
grep -aq 'QKVM-IRQ .*PCI-MSI.*virtio[0-9]-input' "$B/outer.log" ||
  fail "virtio-rng-pci has no MSI-X queue interrupt in the inner Linux"
grep -aq 'QKVM-BLK-SIZE 32768' "$B/outer.log" ||
  fail "the inner Linux did not see a 16 MiB virtio disk"
wrote=$(grep -a 'QKVM-BLK-WROTE' "$B/outer.log" | head -1 | awk '{print $2}' | tr -d '\r')
read=$(grep -a 'QKVM-BLK-READBACK' "$B/outer.log" | head -1 | awk '{print $2}' | tr -d '\r')
[ -n "$wrote" ] || fail "the inner Linux did not write its file to the virtio disk"
[ "$wrote" = "$read" ] ||
  fail "after the reboot the virtio disk held '$read', not '$wrote'"
grep -aq 'QKVM-NET-DHCP ip=10.0.2.15 router=10.0.2.2' "$B/outer.log" ||
  fail "the inner Linux got no DHCP lease from -netdev user"
page=$(grep -a 'OUTER-PAGE' "$B/outer.log" | head -1 | awk '{print $2}' | tr -d '\r')
grep -aq "QKVM-NET-GOT $page" "$B/outer.log" ||
  fail "the inner Linux did not fetch the page ($page) over virtio-net"
# one line per boot (the guest reboots once), through the chardev socket
[ "$(grep -a -c '^OUTER-HVC QKVM-HVC-LINE boot-' "$B/outer.log")" = 2 ] ||
  fail "the inner Linux's two lines to /dev/hvc0 did not reach the virtconsole chardev"
grep -aq 'QKVM-HVC-GOT QKVM-HVC-IN-[0-9]' "$B/outer.log" ||
  fail "the line L1 sent to the virtconsole chardev did not reach /dev/hvc0"
echo PASS
