#!/bin/bash
# Boot Debian's x86-64 Linux under qkvm-system-x86_64 with KVM, nested:
#
#   host: qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt   (outer, L1)
#     L1: Debian's kernel, kvm + kvm_amd loaded -> /dev/kvm
#       qkvm-system-x86_64 -accel kvm -kernel vmlinux (PVH)      (inner, L2)
#         L2: the same kernel, root=/dev/vda on virtio-blk-pci: a small
#             initramfs loads the virtio and ext4 modules and switch_roots
#             to the ext4 image the test made (busybox, the other modules,
#             /sbin/init, an id file); that init shows / is /dev/vda with
#             the image's id, loads virtio-rng/-net/-console from the root
#             and reads virtio-rng-pci (/dev/hwrng); gets an address by
#             DHCP from -netdev user (virtio-net-pci), fetches a page from
#             an HTTP server in L1 (10.0.2.2 = L1's loopback) and serves one
#             that L1 fetches through hostfwd; writes a file to / and
#             reboots (qkvm resets the machine); the second boot, from the
#             same root, reads the file back and powers off through ACPI
#             (S5) -> qkvm exits 0; each boot writes a line to /dev/hvc0
#             (virtconsole on virtio-serial-pci, a TCP socket chardev L1's
#             nc is connected to) and to /dev/vportNp1 (virtserialport nr=1
#             named org.qemu.guest_agent.0 in sysfs, a second socket), and
#             the first boot reads the line L1 sent to each
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

for t in qemu-system-x86_64 cpio xz dpkg-deb apt-get gzip ldd mke2fs; do
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

# --- the inner guest's modules ---------------------------------------------
# Debian builds the virtio and ext4 drivers as modules (CONFIG_VIRTIO_PCI,
# _BLK, _NET, _CONSOLE, HW_RANDOM_VIRTIO, EXT4_FS, JBD2, FS_MBCACHE, CRC16,
# CRYPTO_CRC32C =m in its config-$kver).  As with Debian's own initramfs,
# the initramfs carries what mounting the root needs; the rest is loaded
# from the root file system.  Each list is in insmod (dependency) order.
ROOT_MODS="drivers/virtio/virtio_ring drivers/virtio/virtio
  drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev
  drivers/virtio/virtio_pci drivers/block/virtio_blk lib/crc16
  crypto/crc32c_generic fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4"
LATE_MODS="drivers/char/hw_random/virtio-rng net/core/failover
  drivers/net/net_failover drivers/net/virtio_net drivers/char/virtio_console"
# (virtio_console drives all of virtio-serial: hvc0 and the vportNpM ports)
put_mods() {    # put_mods DIR MODULE...: copy the .ko files into DIR
  local dir=$1 m; shift; mkdir -p "$dir"
  for m in "$@"; do
    cp "$mods/$m.ko" "$dir/" || fail "module $m.ko missing from $kpkg"
  done
}
mod_names() { local m; for m in "$@"; do printf '%s ' "${m##*/}"; done; }
# shell text that insmods the modules of the list from DIR, in order
insmod_text() { local dir=$1; shift
  echo "for m in $(mod_names "$@"); do insmod $dir/\$m.ko || echo \"QKVM-INSMOD-FAILED \$m\"; done"
}

# --- inner initramfs: load the storage drivers, mount root=, switch_root ----
I=$B/inner; mkdir -p "$I"/{bin,proc,sys,dev,root}
cp "$B/bb/bin/busybox" "$I/bin/"
put_mods "$I/mods" $ROOT_MODS
cat > "$I/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
root=; fstype=ext4; mode=ro
for w in \$(cat /proc/cmdline); do
  case \$w in root=*) root=\${w#root=};; rootfstype=*) fstype=\${w#*=};; rw|ro) mode=\$w;; esac
done
$(insmod_text /mods $ROOT_MODS)
for i in \$(seq 50); do [ -b "\$root" ] && break; sleep 0.2; done
echo "QKVM-INITRAMFS root=\$root uptime=\$(cut -d' ' -f1 /proc/uptime)"
if ! mount -t \$fstype -o \$mode "\$root" /root; then
  echo "QKVM-ROOT-MOUNT-FAILED \$root"; poweroff -f
fi
# what Debian's initramfs does: the API file systems move to the new root
for d in dev proc sys; do mount --move /\$d /root/\$d; done
exec switch_root /root /sbin/init
INIT
chmod +x "$I/init"
(cd "$I" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$B/inner.cpio.gz"

# --- the root file system on the virtio disk: busybox, the late modules, init
# (an ext4 image made without root by mke2fs -d; its id proves which disk
# the inner Linux runs from)
R=$B/rootfs; mkdir -p "$R"/{bin,sbin,etc,proc,sys,dev,tmp,www}
cp "$B/bb/bin/busybox" "$R/bin/"
put_mods "$R/lib/modules/qkvm" $LATE_MODS
ROOT_ID=root-$(cat /proc/sys/kernel/random/uuid)
echo "$ROOT_ID" > "$R/etc/qkvm-root-id"
# udhcpc's script: configure what the lease says
cat > "$R/bin/dhcp.sh" <<'DHCP'
#!/bin/busybox sh
[ "$1" = bound ] || exit 0
ifconfig "$interface" "$ip" netmask "$subnet" && route add default gw "$router" &&
  echo "QKVM-NET-DHCP ip=$ip router=$router"
DHCP
chmod +x "$R/bin/dhcp.sh"
cat > "$R/sbin/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin 2>/dev/null
echo "QKVM-LINUX-USERSPACE-OK cpus=\$(grep -c ^processor /proc/cpuinfo) uptime=\$(cut -d' ' -f1 /proc/uptime)"
# this IS the root: / is the virtio disk, and it holds the image the test made
echo "QKVM-ROOT \$(awk '\$2 == "/" { m = \$1 " " \$3 " " substr(\$4, 1, 2) } END { print m }' /proc/mounts) fs=\$(stat -f -c %T /) id=\$(cat /etc/qkvm-root-id) sectors=\$(cat /sys/block/vda/size)"
$(insmod_text /lib/modules/qkvm $LATE_MODS)
# virtio-rng-pci: the driver bound, and reads return bytes
n=\$(head -c 64 /dev/hwrng 2>/dev/null | wc -c)
echo "QKVM-VIRTIO-RNG bytes=\$n current=\$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
grep -i virtio /proc/interrupts | sed 's/^/QKVM-IRQ /'
# virtio-serial's ports: the MULTIPORT handshake makes their devices
# (asynchronously).  port_line TAG FD DEVICE-PATTERN waits for the device,
# holds it open on descriptor FD (a tty's last close would discard typed
# input; the line the host sent must still be there when port_got reads
# it) and writes a line to the host side.  A virtserialport's write waits
# while its host side is not connected: bounded, so that a missing peer
# fails the test instead of hanging it
port_line() {
  for i in 1 2 3 4 5 6 7 8 9 10; do
    for dev in \$3; do break; done; [ -c "\$dev" ] && break; sleep 1
  done
  if ! { [ -c "\$dev" ] && eval "exec \$2<>\$dev"; }; then
    echo "QKVM-\$1-MISSING"
  elif ! timeout 20 sh -c "echo QKVM-\$1-LINE boot-\$(cut -d' ' -f1 /proc/uptime) >&\$2"; then
    echo "QKVM-\$1-WRITE-FAILED \$dev"
  fi
}
port_got() { read -t 20 l <&\$2; echo "QKVM-\$1-GOT \$l"; }
# the virtconsole (port 0) is /dev/hvc0; the virtserialport (nr=1, the
# guest agent's) is /dev/vportNp1, its name only in sysfs (the
# /dev/virtio-ports/NAME link is udev's)
port_line HVC 3 /dev/hvc0
port_line VPORT 4 '/dev/vport*p1'
for f in /sys/class/virtio-ports/*; do echo "QKVM-PORT \${f##*/} name=\$(cat \$f/name)"; done
# virtio-net-pci on -netdev user: DHCP, then HTTP through slirp's NAT
ifconfig lo up; ifconfig eth0 up
if timeout 60 udhcpc -i eth0 -n -q -t 5 -s /bin/dhcp.sh 2>/dev/null; then
  # busybox-static's wget crashes in the resolver here; nc speaks HTTP/1.0
  echo "QKVM-NET-GOT \$(printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' |
    timeout 20 nc 10.0.2.2 8080 2>&1 | grep page-)"
fi
if [ -f /persist ]; then
  echo "QKVM-BLK-READBACK \$(cat /persist)"
  poweroff -f
fi
# first boot: the lines L1 sent before the ports were open arrive now
port_got HVC 3; port_got VPORT 4
# hostfwd: L1's client reaches a server in this guest (one connection)
printf 'HTTP/1.0 200 OK\\r\\n\\r\\nguest-%s\\n' "\$(cat /etc/qkvm-root-id)" |
  timeout 60 nc -l -p 80 >/dev/null && echo "QKVM-HOSTFWD-SERVED"
# a file written to the root before a reboot is there after it (reboot
# only after a successful write: a failure must not loop)
if echo "persist-\$(cat /proc/sys/kernel/random/uuid)" > /persist; then
  echo "QKVM-BLK-WROTE \$(cat /persist)"
  sync; mount -o remount,ro /
  reboot -f
fi
poweroff -f
INIT
chmod +x "$R/sbin/init"
ROOT_MB=32
mke2fs -q -t ext4 -L qkvm-root -d "$R" "$B/root.img" ${ROOT_MB}M >/dev/null ||
  fail "mke2fs -d could not make the root image"

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
cp "$B/vmlinux" "$B/inner.cpio.gz" "$B/root.img" "$O/inner/"
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
# a virtio-serial port's peer (port_peer TCP-PORT TAG): connect once qkvm
# listens, send one line, keep stdin open (an EOF would hang up) and
# collect what the guest writes in /tmp/TAG.out
port_peer() {
  for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1
    (echo "QKVM-\$2-IN-\$\$"; sleep 600) | nc 127.0.0.1 \$1 > /tmp/\$2.out && break
  done
}
port_peer 4555 HVC &
port_peer 4556 VPORT &
# hostfwd: fetch the page the inner guest serves on its port 80
(for i in \$(seq 90); do sleep 2
   printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 5580 > /tmp/fwd.out 2>/dev/null
   grep -q guest- /tmp/fwd.out && break
 done) &
# no -no-reboot: the inner guest reboots once (see its /init)
timeout 600 /bin/qkvm-system-x86_64 -m 256 -nodefaults -display none -serial stdio \
  -device virtio-rng-pci,id=rng0 -drive file=/inner/root.img,format=raw,if=virtio \
  -netdev user,id=n0,hostfwd=tcp:127.0.0.1:5580-:80 -device virtio-net-pci,netdev=n0 \
  -chardev socket,id=vcon,host=127.0.0.1,port=4555,server=on,wait=off \
  -device virtio-serial-pci,id=vs0 \
  -device virtconsole,chardev=vcon,bus=vs0.0 \
  -chardev socket,id=vport,host=127.0.0.1,port=4556,server=on,wait=off \
  -device virtserialport,chardev=vport,bus=vs0.0,nr=1,name=org.qemu.guest_agent.0 $EXTRA_ARGS \
  -kernel /inner/vmlinux -initrd /inner/inner.cpio.gz -append "console=ttyS0 root=/dev/vda rw panic=-1 quiet"
echo "QKVM-RC=\$? start=\$t0 end=\$(cut -d' ' -f1 /proc/uptime)"
sleep 1; for p in HVC VPORT; do sed "s/^/OUTER-\$p /" /tmp/\$p.out; done
echo "OUTER-HOSTFWD \$(grep guest- /tmp/fwd.out)"
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
# the root file system is the test's image on /dev/vda, mounted rw
grep -aq "QKVM-ROOT /dev/vda ext4 rw fs=ext2/ext3 id=$ROOT_ID sectors=$((ROOT_MB * 2048))" "$B/outer.log" ||
  fail "the inner Linux's root is not the ${ROOT_MB} MiB ext4 image $ROOT_ID on /dev/vda"
[ "$(grep -a -c '^QKVM-ROOT ' "$B/outer.log")" = 2 ] ||
  fail "the inner Linux did not boot twice from its virtio root"
wrote=$(grep -a 'QKVM-BLK-WROTE' "$B/outer.log" | head -1 | awk '{print $2}' | tr -d '\r')
read=$(grep -a 'QKVM-BLK-READBACK' "$B/outer.log" | head -1 | awk '{print $2}' | tr -d '\r')
[ -n "$wrote" ] || fail "the inner Linux did not write its file to the virtio root"
[ "$wrote" = "$read" ] ||
  fail "after the reboot the virtio root held '$read', not '$wrote'"
grep -aq 'QKVM-NET-DHCP ip=10.0.2.15 router=10.0.2.2' "$B/outer.log" ||
  fail "the inner Linux got no DHCP lease from -netdev user"
page=$(grep -a 'OUTER-PAGE' "$B/outer.log" | head -1 | awk '{print $2}' | tr -d '\r')
grep -aq "QKVM-NET-GOT $page" "$B/outer.log" ||
  fail "the inner Linux did not fetch the page ($page) over virtio-net"
grep -aq "OUTER-HOSTFWD guest-$ROOT_ID" "$B/outer.log" ||
  fail "L1 did not fetch the inner guest's page through hostfwd"
# each virtio-serial port (check_port TAG DEVICE KIND): one line per boot
# (the guest reboots once) through the chardev socket, and the line L1 sent
check_port() {
  [ "$(grep -a -c "^OUTER-$1 QKVM-$1-LINE boot-" "$B/outer.log")" = 2 ] ||
    fail "the inner Linux's two lines to $2 did not reach the $3 chardev"
  grep -aq "QKVM-$1-GOT QKVM-$1-IN-[0-9]" "$B/outer.log" ||
    fail "the line L1 sent to the $3 chardev did not reach $2"
}
check_port HVC /dev/hvc0 virtconsole
tr -d '\r' < "$B/outer.log" | grep -aqE '^QKVM-PORT vport[0-9]+p1 name=org\.qemu\.guest_agent\.0$' ||
  fail "the inner Linux has no virtio-serial port 1 named org.qemu.guest_agent.0 in /sys/class/virtio-ports"
check_port VPORT /dev/vportNp1 virtserialport
echo PASS
