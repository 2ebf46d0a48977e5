#!/bin/bash
# Install what qkvm's build and tests need on Debian 12 (idempotent).
# Needs root (or sudo).  Retries while another process holds the dpkg lock.
set -eu
PKGS=(
  build-essential meson ninja-build pkg-config python3
  libglib2.0-dev libjson-glib-dev libfdt-dev zlib1g-dev
  device-tree-compiler acpica-tools binutils
  cpio xz-utils bc
  # e2fsprogs: mke2fs -d makes the nested Linux test's ext4 root image
  e2fsprogs
  libslirp-dev
  # libslirp-dev: -netdev user (the library QEMU uses)
  qemu-system-x86 ovmf
  libseccomp-dev
  # liburing-dev: aio=io_uring for block devices (threads without it)
  liburing-dev
  # clang + compiler-rt: --enable-fuzzing (libFuzzer) and the fuzz smoke run
  clang libclang-rt-14-dev
  # the nested RISC-V KVM test: qemu-system-riscv64 (TCG, H extension) and
  # OpenSBI, the riscv64 cross compiler, the signed trixie index check
  qemu-system-misc opensbi gcc-riscv64-linux-gnu curl gpgv
  debian-archive-keyring zstd
  # qemu-system-x86: QEMU 7.2, the reference the functional tests compare against
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
for i in 1 2 3 4 5 6 7 8 9 10; do
  if $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
    exit 0
  fi
  [ "$i" = 1 ] && $SUDO apt-get update || true
  sleep 10
done
echo "install-deps: apt-get install failed" >&2
exit 1
