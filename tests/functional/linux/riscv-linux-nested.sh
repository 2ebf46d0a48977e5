#!/bin/bash
# Boot Debian trixie's riscv64 Linux under qkvm-system-riscv64 with KVM,
# nested on this x86-64 host:
#
#   host: qemu-system-riscv64 -M virt -cpu rv64,h=true (TCG)     (outer, L1)
#     L1: trixie's riscv64 kernel, kvm.ko loaded -> /dev/kvm
#       qkvm-system-riscv64 -accel kvm -cpu host (cross-built)  (inner, L2)
#         L2: the same kernel, a busybox /init that prints a marker, reads
#             one line from the console (UART receive interrupt through
#             the PLIC), echoes it, and powers off (SBI SRST) -> exit 0
#       before that, the same qkvm runs tests/guests/riscv/hostile.c (a
#       freestanding guest: garbage SBI calls and MMIO writes), is stopped
#       and quit over QMP; one PASS/FAIL line per check of that run
#
# usage: riscv-linux-nested.sh SRC_DIR WORKDIR
# Exit: 0 pass, 1 fail, 77 skip (with the reason on stdout).
# Everything downloaded (trixie riscv64 debs: kernel, busybox and the
# libraries qkvm links) is checked against the signed InRelease and
# cached in WORKDIR/debs; the cross build is in WORKDIR/cross-build.
set -u
SRC=$(cd "$1" && pwd); mkdir -p "$2"; WORK=$(cd "$2" && pwd)
OUTER_TIMEOUT=${QKVM_NESTED_TIMEOUT:-1200}
SUITE=trixie
export LC_ALL=C

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
log() { echo "[riscv-nested] $*"; }

for t in qemu-system-riscv64 riscv64-linux-gnu-gcc riscv64-linux-gnu-readelf \
         curl gpgv xz cpio gzip dpkg-deb meson ninja pkg-config; do
  command -v $t >/dev/null || skip "$t is not installed (scripts/install-deps.sh installs it)"
done
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$KEYRING" ] || skip "no $KEYRING (debian-archive-keyring)"

DEBS=$WORK/debs; B=$WORK/run; SYSROOT=$WORK/sysroot
mkdir -p "$DEBS"; rm -rf "$B"; mkdir -p "$B"

# --- the trixie riscv64 index, signed --------------------------------------
MIRROR=$(apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' 2>/dev/null |
         grep -v -- '-security' | grep -E '^https?://' | head -1)
MIRROR=${MIRROR%/}
[ -n "$MIRROR" ] || skip "apt names no Debian mirror"
fetch() { curl -fsSL --retry 2 --max-time 600 -o "$2.part" "$1" && mv -f "$2.part" "$2"; }
sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
if [ ! -f "$DEBS/Packages" ] || [ -n "$(find "$DEBS/Packages" -mtime +7)" ]; then
  fetch "$MIRROR/dists/$SUITE/InRelease" "$DEBS/InRelease" ||
    skip "cannot reach the Debian registry ($MIRROR/dists/$SUITE/InRelease)"
  gpgv --keyring "$KEYRING" --output "$DEBS/Release" "$DEBS/InRelease" 2>/dev/null ||
    fail "$SUITE InRelease: bad signature"
  IDX=main/binary-riscv64/Packages.xz
  sha=$(awk -v f="$IDX" '/^SHA256:/{s=1; next} /^[^ ]/{s=0} s && $3==f {print $1}' "$DEBS/Release")
  [ -n "$sha" ] || fail "$IDX not in the $SUITE Release"
  fetch "$MIRROR/dists/$SUITE/$IDX" "$DEBS/Packages.xz" || skip "cannot download $IDX"
  sha_ok "$DEBS/Packages.xz" "$sha" || fail "$IDX: hash mismatch"
  xz -dc "$DEBS/Packages.xz" > "$DEBS/Packages"
fi
field() {   # package field
  awk -v p="$1" -v f="$2" '/^Package: /{hit=($2==p)} hit && index($0, f": ")==1 {print substr($0, length(f)+3); exit}' "$DEBS/Packages"
}
get_deb() { # package -> verified .deb path
  local file sha out
  file=$(field "$1" Filename); sha=$(field "$1" SHA256)
  [ -n "$file" ] && [ -n "$sha" ] || fail "package $1 is not in $SUITE riscv64"
  out=$DEBS/$(basename "$file")
  if ! sha_ok "$out" "$sha"; then
    fetch "$MIRROR/$file" "$out" || skip "cannot download $file"
    sha_ok "$out" "$sha" || fail "$out: hash mismatch"
  fi
  echo "$out"
}

KPKG=$(field linux-image-riscv64 Depends | sed -E 's/^([^ ,(]+).*/\1/')
[ -n "$KPKG" ] || fail "cannot resolve linux-image-riscv64"
KDEB=$(get_deb "$KPKG") || exit $?
BBDEB=$(get_deb busybox-static) || exit $?
log "kernel $(basename "$KDEB"), busybox $(basename "$BBDEB")"

# --- sysroot: trixie's riscv64 libc and the libraries qkvm links -------------
SYSROOT_PKGS="libc6 libc6-dev linux-libc-dev libgcc-s1 libglib2.0-0t64 libglib2.0-dev
  libgio-2.0-dev libpcre2-8-0 libpcre2-dev libpcre2-16-0 libpcre2-32-0 libpcre2-posix3 libffi8 libffi-dev
  libjson-glib-1.0-0 libjson-glib-dev libfdt1 libfdt-dev libmount1 libmount-dev
  libblkid1 libblkid-dev libselinux1 libselinux1-dev libsepol2 libsepol-dev zlib1g zlib1g-dev
  libsysprof-capture-4-dev libatomic1"
stamp=$(echo "$SYSROOT_PKGS" | md5sum | cut -c1-8)
if [ ! -f "$SYSROOT/.done-$stamp" ]; then
  rm -rf "$SYSROOT"; mkdir -p "$SYSROOT"
  for p in $SYSROOT_PKGS; do
    d=$(get_deb "$p") || exit $?
    dpkg-deb -x "$d" "$SYSROOT" || fail "cannot unpack $d"
  done
  # trixie is merged-/usr; absolute symlinks and linker scripts point at /lib
  for l in lib lib64 bin sbin; do [ -e "$SYSROOT/$l" ] || ln -s usr/$l "$SYSROOT/$l"; done
  find "$SYSROOT" -xtype l -lname '/*' | while read -r l; do
    ln -sf "$SYSROOT$(readlink "$l")" "$l"
  done
  touch "$SYSROOT/.done-$stamp"
fi

# --- cross build of qkvm-system-riscv64 ---------------------------------------
cat > "$WORK/cross.ini" <<INI
[binaries]
c = ['riscv64-linux-gnu-gcc', '--sysroot=$SYSROOT']
ar = 'riscv64-linux-gnu-ar'
strip = 'riscv64-linux-gnu-strip'
pkgconfig = 'pkg-config'
[properties]
sys_root = '$SYSROOT'
pkg_config_libdir = ['$SYSROOT/usr/lib/riscv64-linux-gnu/pkgconfig', '$SYSROOT/usr/share/pkgconfig']
[built-in options]
# trixie's libraries need its libc (GLIBC_2.38+): search the sysroot
# before the cross compiler's own bookworm libc
c_args = ['-isystem', '$SYSROOT/usr/include']
c_link_args = ['-L$SYSROOT/usr/lib/riscv64-linux-gnu', '-B$SYSROOT/usr/lib/riscv64-linux-gnu']
[host_machine]
system = 'linux'
cpu_family = 'riscv64'
cpu = 'riscv64'
endian = 'little'
INI
XB=$WORK/cross-build
export PKG_CONFIG_SYSROOT_DIR=$SYSROOT
if [ ! -f "$XB/build.ninja" ]; then
  meson setup --cross-file "$WORK/cross.ini" -Duser=false "$XB" "$SRC" > "$WORK/cross-setup.log" 2>&1 ||
    { tail -20 "$WORK/cross-setup.log"; fail "meson setup of the riscv64 cross build failed"; }
fi
nice ninja -C "$XB" qkvm-system-riscv64 > "$WORK/cross-build.log" 2>&1 ||
  { tail -30 "$WORK/cross-build.log"; fail "cross build of qkvm-system-riscv64 failed"; }
QKVM=$XB/qkvm-system-riscv64
log "cross-built $(file -b "$QKVM" 2>/dev/null | cut -d, -f1-2)"
# the hostile guest: freestanding S-mode code at RAM + 2 MiB, an ELF
# (one RWX segment: binutils >= 2.39 warns about it unless told)
nowarn=
riscv64-linux-gnu-ld --help 2>/dev/null | grep -q -- --no-warn-rwx-segments &&
  nowarn=-Wl,--no-warn-rwx-segments
riscv64-linux-gnu-gcc -O2 -Wall -Wextra -Werror -ffreestanding -nostdlib \
  -nostartfiles -static -fno-pic -mcmodel=medany -march=rv64imac_zicsr -mabi=lp64 \
  -fno-asynchronous-unwind-tables -Wl,-N,--build-id=none $nowarn \
  -Wl,-T,"$SRC/tests/guests/riscv/hostile.ld" -o "$B/hostile.elf" \
  "$SRC/tests/guests/riscv/hostile.c" || fail "cross build of tests/guests/riscv/hostile.c failed"

# --- kernel, kvm.ko, busybox -----------------------------------------------
mkdir -p "$B/k" "$B/bb"
dpkg-deb --fsys-tarfile "$KDEB" | tar -x -C "$B/k" --wildcards './boot/vmlinux-*' '*/kernel/arch/riscv/kvm/kvm.ko*' ||
  fail "cannot unpack $KDEB"
dpkg-deb -x "$BBDEB" "$B/bb"
KERNEL=$(ls "$B"/k/boot/vmlinux-* | head -1)
KO=$(find "$B/k" -name 'kvm.ko*' | head -1)
BUSYBOX=$(find "$B/bb" -type f -path '*/bin/busybox' | head -1)
[ -f "$KERNEL" ] && [ -n "$KO" ] && [ -x "$BUSYBOX" ] || fail "kernel, kvm.ko or busybox missing"
case $KO in
  *.xz) xz -dc "$KO" > "$B/kvm.ko" ;;
  *.zst) zstd -qdc "$KO" > "$B/kvm.ko" ;;
  *) cp "$KO" "$B/kvm.ko" ;;
esac

# --- inner initramfs: marker, a console line read back, SRST power-off --------
I=$B/inner; mkdir -p "$I"/{bin,proc,sys,dev}
cp "$BUSYBOX" "$I/bin/busybox"
cat > "$I/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
echo "INNER-USERSPACE-OK cpus=$(grep -c ^processor /proc/cpuinfo) uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "INNER-READY"
# an interactive shell on the console: the test types into it
exec sh
INIT
chmod +x "$I/init"
(cd "$I" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$B/inner.cpio.gz"

# --- outer initramfs: busybox, kvm.ko, qkvm and its libraries -------------------
O=$B/outer; mkdir -p "$O"/{bin,dev,proc,sys,tmp,inner}
cp "$BUSYBOX" "$O/bin/busybox"
cp "$B/kvm.ko" "$O/"
cp "$QKVM" "$O/bin/qkvm-system-riscv64"
# the dynamic loader and every DT_NEEDED library, from the sysroot
need=$(riscv64-linux-gnu-readelf -d "$QKVM" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
interp=$(riscv64-linux-gnu-readelf -l "$QKVM" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
copied=" "
while [ -n "$need" ]; do
  next=""
  for l in $need; do
    case "$copied" in *" $l "*) continue ;; esac
    f=$(find "$SYSROOT/usr/lib/riscv64-linux-gnu" -name "$l" | head -1)
    [ -n "$f" ] || fail "library $l is not in the sysroot"
    mkdir -p "$O/usr/lib/riscv64-linux-gnu"; cp -L "$f" "$O/usr/lib/riscv64-linux-gnu/$l"
    copied="$copied$l "
    next="$next $(riscv64-linux-gnu-readelf -d "$f" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')"
  done
  need=$next
done
mkdir -p "$O$(dirname "$interp")"
cp -L "$SYSROOT/usr/lib/riscv64-linux-gnu/$(basename "$interp")" "$O$interp" 2>/dev/null ||
  cp -L "$SYSROOT$interp" "$O$interp" || fail "no dynamic loader $interp"
ln -s usr/lib "$O/lib" 2>/dev/null || true
cp "$KERNEL" "$O/inner/Image"; cp "$B/inner.cpio.gz" "$O/inner/"
cp "$B/hostile.elf" "$O/inner/"
cat > "$O/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo 1 > /proc/sys/kernel/printk
insmod /kvm.ko || echo "insmod kvm failed"
[ -c /dev/kvm ] && echo "OUTER-KVM-OK" || echo "OUTER-KVM-MISSING"
ip link set lo up
# --- the hostile guest: garbage SBI calls and MMIO, then QMP stop/quit ---
h0=$(cut -d' ' -f1 /proc/uptime)
timeout 600 /bin/qkvm-system-riscv64 -M virt -accel kvm -cpu host -m 64 -smp 1 \
  -display none -serial file:/tmp/h-serial.log -kernel /inner/hostile.elf \
  -qmp tcp:127.0.0.1:4445,server=on,wait=off -d guest_errors,unimp -D /tmp/h-debug.log \
  < /dev/null > /tmp/h-stdout.log 2> /tmp/h-stderr.log &
hpid=$!
n=0
while ! tr -d '\000' < /tmp/h-serial.log 2>/dev/null | grep -aqE 'HOSTILE-RISCV-(DONE|TRAP)' &&
      kill -0 $hpid 2>/dev/null && [ $n -lt 3000 ]; do
  sleep 0.2; n=$((n + 1))
done
h1=$(cut -d' ' -f1 /proc/uptime)
printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-status"}' \
  '{"execute":"stop"}' '{"execute":"query-status"}' '{"execute":"quit"}' |
  timeout 20 nc 127.0.0.1 4445 > /tmp/h-qmp.log 2>&1
wait $hpid
hrc=$?
h2=$(cut -d' ' -f1 /proc/uptime)
tr -d '\000' < /tmp/h-serial.log | grep -a 'HOSTILE-RISCV' | sed 's/^.*HOSTILE-RISCV/HOSTILE| HOSTILE-RISCV/'
sed 's/^/HQMP| /' /tmp/h-qmp.log
sed 's/^/HERR| /' /tmp/h-stderr.log /tmp/h-stdout.log
echo "HOSTILE-RC=$hrc start=$h0 done=$h1 end=$h2 serial-bytes=$(wc -c < /tmp/h-serial.log)" \
  "log-lines=$(wc -l < /tmp/h-debug.log)" \
  "log-sbi=$(grep -c 'SBI extension 0x[0-9a-f]* function [0-9]* not supported' /tmp/h-debug.log)" \
  "log-suppressed=$(awk '/guest-triggered log messages suppressed/ {n += $1} END {print n + 0}' /tmp/h-debug.log)"
head -3 /tmp/h-debug.log | sed 's/^/HLOG| /'
mkfifo /tmp/in
t0=$(cut -d' ' -f1 /proc/uptime)
# stdin: a fifo we write one line into once the inner guest asks for it
timeout 900 /bin/qkvm-system-riscv64 -M virt -accel kvm -cpu host -m 256 -smp 2 \
  -qmp tcp:127.0.0.1:4444,server=on,wait=off \
  -nographic -kernel /inner/Image -initrd /inner/inner.cpio.gz \
  -append "console=ttyS0 earlycon=sbi loglevel=7 panic=-1" < /tmp/in > /tmp/inner.log 2>&1 &
pid=$!
exec 3> /tmp/in
# wait until the inner guest has printed INNER-READY $1 times
wait_ready() {
  n=0
  while [ "$(grep -c INNER-READY /tmp/inner.log)" -lt "$1" ] && kill -0 $pid 2>/dev/null && [ $n -lt 8000 ]; do
    sleep 0.1; n=$((n + 1))
  done
}
wait_ready 1
t1=$(cut -d' ' -f1 /proc/uptime)
# SBI SRST reset: qkvm resets the machine and the guest boots again
echo 'reboot -f' >&3
wait_ready 2
t3=$(cut -d' ' -f1 /proc/uptime)
# QMP stop for 8 s, then cont: the guest's clock must not count the pause
wait_line() {   # wait_line PATTERN: until a line matches in the log
  n=0
  while ! grep -q "$1" /tmp/inner.log && kill -0 $pid 2>/dev/null && [ $n -lt 3000 ]; do
    sleep 0.1; n=$((n + 1))
  done
}
qmp() { printf '{"execute":"qmp_capabilities"}\n{"execute":"%s"}\n' "$1" | timeout 3 nc 127.0.0.1 4444 > /tmp/qmp-$1.log 2>&1; }
echo 'echo "INNER-UP1 $(cut -d" " -f1 /proc/uptime)"' >&3
wait_line '^INNER-UP1 [0-9]'
h1=$(cut -d' ' -f1 /proc/uptime)
qmp stop; sleep 8; qmp cont
echo 'echo "INNER-UP2 $(cut -d" " -f1 /proc/uptime)"' >&3
wait_line '^INNER-UP2 [0-9]'
h2=$(cut -d' ' -f1 /proc/uptime)
echo "PAUSE outer=$h1,$h2 qmp-stop=$(grep -c '"return"' /tmp/qmp-stop.log) qmp-cont=$(grep -c '"return"' /tmp/qmp-cont.log)"
# the shell computes 42 (the tty echo of the typed line shows $((6*7)));
# ttyS0's interrupt count shows the input came through PLIC source 10
echo 'echo "INNER-SHELL-$((6*7)) INNER-IRQ $(grep ttyS0 /proc/interrupts)"; poweroff -f' >&3
wait $pid
rc=$?
t2=$(cut -d' ' -f1 /proc/uptime)
exec 3>&-
sed 's/^/INNER| /' /tmp/inner.log
echo "QKVM-RC=$rc start=$t0 ready=$t1 rebooted=$t3 end=$t2"
# -cpu switches, read back from KVM into the device tree (dumpdtb: no boot)
Q="/bin/qkvm-system-riscv64 -M virt -accel kvm -m 256 -nographic -kernel /inner/Image"
$Q -M virt,dumpdtb=/tmp/d.dtb < /dev/null > /dev/null 2>&1
echo "ISA-DEFAULT $(grep -a -o 'rv64[a-z0-9_]*' /tmp/d.dtb | head -1)"
$Q -cpu host,d=off -M virt,dumpdtb=/tmp/n.dtb < /dev/null > /tmp/n.log 2>&1
echo "ISA-NO-D rc=$? $(grep -a -o 'rv64[a-z0-9_]*' /tmp/n.dtb | head -1)"
$Q -cpu host,sstc=off < /dev/null > /tmp/s.log 2>&1
echo "CPU-SSTC-OFF rc=$? $(cat /tmp/s.log)"
$Q -cpu host,h=on < /dev/null > /tmp/h.log 2>&1
echo "CPU-H-ON rc=$? $(cat /tmp/h.log)"
poweroff -f
INIT
chmod +x "$O/init"
(cd "$O" && find . | cpio -o -H newc 2>/dev/null) > "$B/outer.cpio"

if [ -n "${QKVM_NESTED_PREPARE_ONLY:-}" ]; then log "prepared $B"; exit 0; fi

# --- what the hostile guest's run must show ------------------------------------
# One PASS/FAIL line per check; false if any failed.
hostile_checks() {
  local L=$1 bad=0 line rc elapsed sbi calls fwd notsupp lines logsbi supp
  check() {   # check NAME CONDITION-STATUS
    if [ "$2" = 0 ]; then echo "PASS: hostile: $1"; else echo "FAIL: hostile: $1"; bad=1; fi
  }
  line=$(grep -a '^HOSTILE-RC=' "$L" | tr -d '\r')
  grep -aq 'HOSTILE| HOSTILE-RISCV-DONE' "$L"
  check "the guest ran to its end (HOSTILE-RISCV-DONE on the UART)" $?
  ! grep -aq 'HOSTILE| HOSTILE-RISCV-TRAP' "$L"
  check "the guest took no unexpected trap" $?
  grep -aq 'HOSTILE| HOSTILE-RISCV dbcn-unexpected=0' "$L"
  check "every garbage DBCN call got the SBI answer it must (incl. at most 4 KiB for a whole-RAM write)" $?
  grep -aq 'HOSTILE-RISCV-DBCN-WRITE' "$L"
  check "a valid DBCN console_write reached the serial port" $?
  sbi=$(grep -a 'HOSTILE| HOSTILE-RISCV sbi-calls=' "$L" | tr -d '\r')
  calls=$(echo "$sbi" | sed -n 's/.*sbi-calls=\([0-9]*\).*/\1/p')
  fwd=$(echo "$sbi" | sed -n 's/.*forwarded-unknown=\([0-9]*\).*/\1/p')
  notsupp=$(echo "$sbi" | sed -n 's/.*not-supported=\([0-9]*\).*/\1/p')
  [ "${calls:-0}" = 3000 ] && [ "${fwd:-0}" -gt 0 ] && [ "$notsupp" = "$fwd" ]
  check "3000 garbage ecalls made; each of the ${fwd:-?} to unknown forwarded extensions answered NOT_SUPPORTED (${notsupp:-?})" $?
  grep -aq 'HOSTILE| HOSTILE-RISCV mmio-writes=1500 mmio-reads=1500 access-faults=0' "$L"
  check "1500 MMIO writes and 1500 reads of PLIC/UART/virtio/unmapped space, none refused with an access fault" $?
  grep -aq '^HQMP| .*"status": *"running"' "$L" &&
    grep -aq '^HQMP| .*"status": *"paused"' "$L" &&
    grep -aq '^HQMP| .*"running": *false' "$L" &&
    [ "$(grep -ac '^HQMP| {"return"' "$L")" = 5 ]
  check "QMP: capabilities, query-status running, stop, query-status paused, quit all answered" $?
  echo "$line" | grep -q '^HOSTILE-RC=0 '
  check "qkvm exited 0 after quit ($(echo "$line" | cut -d' ' -f1))" $?
  ! grep -aq '^HERR| ' "$L"
  check "nothing on qkvm's stdout/stderr" $?
  elapsed=$(echo "$line" | awk '{split($2,a,"=");split($4,c,"="); printf "%d", c[2]-a[2]}')
  lines=$(echo "$line" | sed -n 's/.*log-lines=\([0-9]*\).*/\1/p')
  logsbi=$(echo "$line" | sed -n 's/.*log-sbi=\([0-9]*\).*/\1/p')
  supp=$(echo "$line" | sed -n 's/.*log-suppressed=\([0-9]*\).*/\1/p')
  [ -n "$lines" ] && [ -n "$elapsed" ] && [ "$lines" -le $((101 * (elapsed + 2))) ]
  check "-d log held to 100 lines a second (${lines:-?} lines in ${elapsed:-?} s)" $?
  [ -n "$logsbi" ] && [ -n "$fwd" ] && [ "$logsbi" -le "$fwd" ] && [ $((logsbi + supp)) -ge "$fwd" ]
  check "-d log accounts for every unknown SBI call: ${logsbi:-?} logged + ${supp:-?} counted as suppressed >= ${fwd:-?}" $?
  echo "hostile run: $(echo "$line" | awk '{split($2,a,"=");split($3,b,"=");split($4,c,"="); printf "attack %.1f s, to exit %.1f s (outer guest clock)", b[2]-a[2], c[2]-a[2]}'), ${lines:-?} log lines, $(echo "$line" | sed -n 's/.*serial-bytes=\([0-9]*\).*/\1/p') serial bytes"
  return $bad
}

# --- boot ------------------------------------------------------------------
log "booting the outer riscv64 guest under TCG (limit ${OUTER_TIMEOUT}s), log $B/outer.log"
start=$(date +%s.%N)
timeout "$OUTER_TIMEOUT" nice -n 10 qemu-system-riscv64 -M virt -cpu rv64,h=true -smp 1 -m 2048 \
  -nodefaults -display none -serial stdio -no-reboot -bios default \
  -kernel "$KERNEL" -initrd "$B/outer.cpio" -append "console=ttyS0 panic=-1 quiet" \
  < /dev/null > "$B/outer.log" 2>&1
end=$(date +%s.%N)
grep -a -E 'OUTER-KVM|QKVM-RC|HOSTILE|HQMP|HERR|HLOG|ISA-|CPU-|PAUSE|insmod|INNER\| (INNER|qkvm)|Kernel panic' "$B/outer.log" | tr -d '\r'
echo "outer run: $(echo "$end - $start" | bc 2>/dev/null || echo '?') s"
grep -aq OUTER-KVM-OK "$B/outer.log" || skip "no /dev/kvm inside the outer riscv64 guest (kvm.ko did not load)"
hostile_checks "$B/outer.log" || hostile_failed=1
grep -aq 'INNER| INNER-USERSPACE-OK' "$B/outer.log" || fail "the inner Linux did not reach userspace (see $B/outer.log)"
grep -aq 'INNER| INNER-USERSPACE-OK cpus=2 ' "$B/outer.log" || fail "the inner Linux did not start its second hart (SBI HSM)"
[ "$(grep -ac 'INNER| INNER-USERSPACE-OK cpus=2 ' "$B/outer.log")" = 2 ] ||
  fail "the inner Linux did not boot again, on both harts, after 'reboot -f' (SBI SRST reset)"
# earlycon=sbi prints through the SBI debug console: this kernel has no
# SBI v0.1, so without DBCN forwarded to qkvm there is no sbi0 console
grep -aq 'INNER| .*printk: legacy bootconsole \[sbi0\] enabled' "$B/outer.log" ||
  fail "no early console output through SBI DBCN"
grep -aq 'INNER| INNER-SHELL-42 ' "$B/outer.log" || fail "the inner guest's shell did not run the typed command (see $B/outer.log)"
grep -aE 'INNER\| INNER-SHELL-42 INNER-IRQ +[0-9]+: +[1-9][0-9]* .*PLIC +10 .*ttyS0' "$B/outer.log" > /dev/null ||
  fail "ttyS0's interrupts did not come through PLIC source 10"
grep -aq 'QKVM-RC=0 ' "$B/outer.log" || fail "qkvm did not exit 0 after the guest powered off"
# stopped 8 s: the outer clock moves by that, the inner one much less
pause=$(grep -a '^PAUSE ' "$B/outer.log" | tr -d '\r')
up1=$(grep -a 'INNER| INNER-UP1 [0-9]' "$B/outer.log" | tr -d '\r' | awk '{print $3}')
up2=$(grep -a 'INNER| INNER-UP2 [0-9]' "$B/outer.log" | tr -d '\r' | awk '{print $3}')
echo "$pause" | grep -q 'qmp-stop=2 qmp-cont=2' || fail "QMP stop/cont over TCP did not answer ($pause)"
[ -n "$up1" ] && [ -n "$up2" ] || fail "no guest uptime around the pause"
echo "$pause $up1 $up2" | awk '{split($2,o,"[=,]"); outer=o[3]-o[2]; inner=$6-$5;
  printf "pause: outer clock %.1f s, guest clock %.1f s\n", outer, inner;
  exit !(outer >= 8 && inner < outer - 5)}' || fail "the guest's clock ran while the machine was stopped"
# -cpu: KVM's ISA in the FDT; a switch KVM takes (d=off) shows there, one
# it refuses (h=on: no nested virtualization) is a one-line error
grep -aqE '^ISA-DEFAULT rv64imafd' "$B/outer.log" || fail "riscv,isa does not come from KVM"
grep -aqE '^ISA-NO-D rc=0 rv64imaf?c' "$B/outer.log" || fail "-cpu host,d=off did not remove D"
grep -aq "^CPU-H-ON rc=1 qkvm-system-riscv64: -cpu host,h=on: KVM cannot enable ISA extension 'h'" "$B/outer.log" ||
  fail "-cpu host,h=on was not refused with a clear error"
rc_line=$(grep -a 'QKVM-RC=0 ' "$B/outer.log" | tr -d '\r')
echo "inner boot: $(echo "$rc_line" | awk '{split($2,a,"=");split($3,b,"=");split($4,r,"=");split($5,c,"="); printf "start to ready %.1f s, reboot to ready %.1f s, to exit %.1f s (outer guest clock)", b[2]-a[2], r[2]-b[2], c[2]-a[2]}')"
[ -z "${hostile_failed:-}" ] || fail "the hostile guest run failed a check (FAIL lines above)"
echo PASS
