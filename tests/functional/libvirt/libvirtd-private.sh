#!/bin/sh
# Run libvirt 9.0's monolithic libvirtd with a private configuration and
# private state, without touching the host's /etc/libvirt:
#
#   libvirtd-private.sh ROOT [libvirtd options...]
#
# In a new mount namespace (unshare --mount, propagation private) it
# bind-mounts
#   ROOT/etc   on /etc/libvirt        qemu.conf, defined domains
#   ROOT/lib   on /var/lib/libvirt    domain directories, monitor sockets
#   ROOT/run   on /run/libvirt        status of running domains, pid files
#   ROOT/log   on /var/log/libvirt    qemu/NAME.log, the emulator's stderr
#   ROOT/cache on /var/cache/libvirt  the capability probe cache
# and execs libvirtd, which so keeps this script's pid (--pid-file works
# as usual).  A privileged libvirtd reads qemu.conf only from /etc/libvirt
# (compiled in; no option or environment variable moves it), hence the
# namespace.  The emulators libvirtd starts inherit the namespace, and a
# libvirtd started again the same way finds the same files and sockets,
# so it reconnects to running domains.
#
# The five mount points must exist on the host (empty directories will
# do; the test creates and later removes the missing ones).  Needs root.
# Example (see docs/system/libvirt.rst):
#   libvirtd-private.sh /tmp/lv -f /tmp/lv/libvirtd.conf --pid-file /tmp/lv/libvirtd.pid
set -eu
if [ $# -lt 1 ]; then
    echo "usage: $0 ROOT [libvirtd options...]" >&2
    exit 2
fi
if [ "${QKVM_LIBVIRTD_NS:-}" != "$1" ]; then
    QKVM_LIBVIRTD_NS=$1 exec unshare --mount --propagation private -- "$0" "$@"
fi
ROOT=$1
shift
for m in etc:/etc/libvirt lib:/var/lib/libvirt run:/run/libvirt \
         log:/var/log/libvirt cache:/var/cache/libvirt; do
    src=$ROOT/${m%%:*}
    dst=${m#*:}
    mkdir -p "$src"
    if [ ! -d "$dst" ]; then
        echo "$0: mount point $dst does not exist" >&2
        exit 1
    fi
    mount --bind "$src" "$dst"
done
unset QKVM_LIBVIRTD_NS
exec libvirtd "$@"
