#!/usr/bin/env python3
"""qkvm benchmarks (`make bench`): competitors run side by side in one run,
alternating, several rounds; prints median, spread (min-max) and ratios, and
a goal table.  Benchmarks are not tests: nothing is asserted, the exit status
is 0 unless the harness itself breaks.

Usage: run-bench.py BUILDDIR
Environment: BENCH_ROUNDS (default 5), BENCH_N (exit-loop iterations,
default 100000), BENCH_BLK_N (virtio-blk requests per phase, default 2000),
BENCH_NET_N (virtio-net frames per direction, default 20000), QEMU (default
qemu-system-x86_64).
See docs/devel/benchmarks.rst.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '5'))
N = int(os.environ.get('BENCH_N', '100000'))
COMMON = ['-display', 'none', '-nodefaults',
          '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else 'build')
bdir = os.path.join(build, 'tests', 'bench')
qkvm = os.path.join(build, 'qkvm-system-x86_64')
qemu_bin = shutil.which(os.environ.get('QEMU', 'qemu-system-x86_64'))
rawkvm = os.path.join(bdir, 'rawkvm')
exitloop = os.path.join(bdir, 'exitloop.elf')

rows = []    # (section, what, competitor, values, unit, ratio-base key)
goals = []   # (goal, measured, met)


def run(cmd, stdout=subprocess.DEVNULL):
    """wall seconds from fork/exec to exit, and peak RSS in KiB (wait4)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout,
                         stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    t1 = time.perf_counter()
    p.returncode = os.waitstatus_to_exitcode(status)
    return t1 - t0, ru.ru_maxrss, p.returncode


def first_byte(cmd):
    """seconds from exec to the first byte on the VMM's stdout, and total."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    b = os.read(p.stdout.fileno(), 1)
    t1 = time.perf_counter()
    p.stdout.read()
    p.wait()
    return (t1 - t0) if b else float('nan')


def med(v):
    return statistics.median(v)


def fmt(x, unit):
    if unit == 'us':
        return '%.2f us' % x
    if unit == 'ms':
        return '%.1f ms' % x
    if unit == 'MiB':
        return '%.1f MiB' % x
    if unit == 'MiB/s' and x < 100:
        return '%.1f MiB/s' % x
    if unit in ('IOPS', 'MiB/s', 'frames/s'):
        return '%.0f %s' % (x, unit)
    return '%.3g %s' % (x, unit)


def table(title, entries, base=None):
    """entries: list of (competitor, values, unit); ratios vs base name."""
    print('\n== %s (%d rounds)' % (title, ROUNDS))
    print('  %-28s %14s %24s %s' % ('competitor', 'median', 'min-max', 'ratio'))
    bmed = None
    for name, vals, unit in entries:
        if name == base and vals:
            bmed = med(vals)
    for name, vals, unit in entries:
        if not vals:
            print('  %-28s %14s' % (name, 'skipped'))
            continue
        m = med(vals)
        ratio = ('%.2fx %s' % (m / bmed, base)) if bmed else ''
        print('  %-28s %14s %24s %s' % (name, fmt(m, unit),
              fmt(min(vals), unit) + ' - ' + fmt(max(vals), unit), ratio))
    sys.stdout.flush()


def vmms():
    v = [('qkvm', [qkvm])]
    if qemu_bin:
        v.append(('qemu', [qemu_bin, '-accel', 'kvm', '-cpu', 'qemu64']))
    return v


def vm_cmd(base, kernel, append=None, extra=()):
    c = base + COMMON + list(extra) + ['-kernel', kernel]
    if append is not None:
        c += ['-append', append]
    return c


def guest_cycles(cmd):
    """Run cmd; return (cycles, tsc_khz or None) from its "cycles=C
    [tsc_khz=K]" line: the loop timed with rdtsc inside the guest."""
    out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                         text=True).stdout
    m = re.search(r'cycles=(\d+)(?: tsc_khz=(\d+))?', out)
    if not m:
        sys.exit('run-bench: no cycles= line from %s' % ' '.join(cmd))
    return int(m.group(1)), int(m.group(2)) if m.group(2) else None


def bench_exits():
    """Exit cost from the guest's own TSC: the VMM's start-up and teardown
    never enter the figure (whole-process timing could not measure QEMU,
    whose start-up varies by more than the whole loop takes)."""
    res = {}
    tsc_khz = None
    for kind in ('io', 'mmio'):
        comps = [('rawkvm', [rawkvm, kind, str(N)])]
        for name, base in vmms():
            comps.append((name, vm_cmd(base, exitloop, '%s=%d' % (kind, N),
                                       extra=['-serial', 'stdio'])))
        cycles = {name: [] for name, _ in comps}
        for r in range(ROUNDS):
            for name, cmd in (comps if r % 2 == 0 else comps[::-1]):
                c, khz = guest_cycles(cmd)
                tsc_khz = khz or tsc_khz
                cycles[name].append(c)
        vals = {n: [c / N / tsc_khz * 1e3 for c in v] for n, v in cycles.items()}
        table('exit cost, %s writes (N=%d): guest rdtsc around the loop / N, '
              'TSC %d kHz' % ('port 0x80' if kind == 'io' else 'MMIO 0xd0000000',
                             N, tsc_khz),
              [(n, vals[n], 'us') for n, _ in comps], base='rawkvm')
        res[kind] = {n: med(v) for n, v in vals.items() if v}
    for kind in ('io', 'mmio'):
        r = res[kind]
        q = r.get('qkvm')
        ok = q <= 1.05 * r['rawkvm']
        txt = '%.2f us = %.2fx raw' % (q, q / r['rawkvm'])
        if 'qemu' in r:
            ok = ok and q < r['qemu']
            txt += ', qemu %.2f us' % r['qemu']
        goals.append(('%s exit <= 1.05x raw KVM and < QEMU' % kind, txt, ok))


def callgrind_total(cmd):
    """Instructions the process executed in user space (callgrind's
    "Collected"), and its exit status."""
    out = subprocess.run(['valgrind', '--tool=callgrind',
                          '--callgrind-out-file=/dev/null'] + cmd,
                         stdin=subprocess.DEVNULL, capture_output=True,
                         text=True)
    m = re.search(r'Collected : (\d+)', out.stderr)
    return int(m.group(1)) if m else None


def bench_exit_instructions():
    """User-space instructions per port exit: callgrind counts
    instructions, not time, so the figure does not drift with the load on
    a shared machine.  (I(2n) - I(n)) / n cancels start-up.  Opt-in
    (BENCH_CALLGRIND=1): QEMU takes minutes under valgrind."""
    if os.environ.get('BENCH_CALLGRIND') != '1':
        print('\n== user-space instructions per exit: skipped (set BENCH_CALLGRIND=1)')
        return
    if not shutil.which('valgrind'):
        print('\n== user-space instructions per exit: skipped (no valgrind)')
        return
    n = 10000
    rows = []
    for name, base in vmms():
        i1 = callgrind_total(vm_cmd(base, exitloop, 'io=%d' % n,
                                    extra=['-serial', 'stdio']))
        i2 = callgrind_total(vm_cmd(base, exitloop, 'io=%d' % (2 * n),
                                    extra=['-serial', 'stdio']))
        if i1 is None or i2 is None:
            print('  %s: callgrind gave no count' % name)
            continue
        rows.append((name, (i2 - i1) / n))
    print('\n== user-space instructions per port exit (callgrind, '
          '(I(%d) - I(%d)) / %d)' % (2 * n, n, n))
    for name, v in rows:
        print('  %-28s %10.0f' % (name, v))
    r = dict(rows)
    if 'qkvm' in r and 'qemu' in r:
        goals.append(('user-space work per exit < QEMU',
                      '%.0f vs %.0f instructions' % (r['qkvm'], r['qemu']),
                      r['qkvm'] < r['qemu']))


def tsc_khz_of_host():
    """The TSC rate KVM gives a guest (rawkvm's KVM_GET_TSC_KHZ)."""
    return guest_cycles([rawkvm, 'io', '1'])[1]


BLK_N = int(os.environ.get('BENCH_BLK_N', '2000'))
BLK_PHASES = [('randread', 'IOPS'), ('randwrite', 'IOPS'), ('seqread', 'MiB/s'),
              ('seqwrite', 'MiB/s')]


def blk_image(path, mib=256):
    """A raw image filled with data (not a sparse file, whose holes a read
    would not touch the disk for), created once in the build directory."""
    if os.path.exists(path) and os.path.getsize(path) == mib << 20:
        return
    with open(path + '.tmp', 'wb') as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))
    os.rename(path + '.tmp', path)


def bench_virtio_blk():
    """virtio-blk IOPS and throughput measured inside the guest
    (tests/guests/virtio-blk.c, a polling virtio 1.x driver; rdtsc around
    each phase), both VMMs on the same raw image with cache=none
    (O_DIRECT), modern virtio-blk-pci on both."""
    guest = os.path.join(build, 'tests', 'guests', 'virtio-blk.elf')
    if not os.path.exists(guest):
        print('\n== virtio-blk: skipped (%s not built)' % guest)
        return
    if not qemu_bin:
        print('\n== virtio-blk: skipped (qemu-system-x86_64 not installed)')
        return
    img = os.path.join(bdir, 'virtio-blk.img')
    blk_image(img)
    khz = tsc_khz_of_host()
    drive = ['-drive', 'file=%s,format=raw,if=none,id=d0,cache=none' % img]
    comps = [('qkvm', vm_cmd([qkvm], guest, 'n=%d qd=16' % BLK_N,
                             extra=['-serial', 'stdio'] + drive +
                             ['-device', 'virtio-blk-pci,drive=d0'])),
             # the other engine, for the record (not in the goal)
             ('qkvm aio=io_uring',
              vm_cmd([qkvm], guest, 'n=%d qd=16' % BLK_N,
                     extra=['-serial', 'stdio', '-drive', drive[1] + ',aio=io_uring',
                            '-device', 'virtio-blk-pci,drive=d0'])),
             ('qemu', vm_cmd([qemu_bin, '-accel', 'kvm', '-cpu', 'qemu64'],
                             guest, 'n=%d qd=16' % BLK_N,
                             extra=['-serial', 'stdio'] + drive +
                             ['-device', 'virtio-blk-pci,drive=d0,disable-legacy=on']))]
    vals = {}   # (phase, qd) -> name -> [values]
    lat = {}    # phase -> name -> [us per request at queue depth 1]
    for r in range(ROUNDS):
        # rotate the order: each competitor runs first, middle and last
        for name, cmd in comps[r % len(comps):] + comps[:r % len(comps)]:
            out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True).stdout
            lines = re.findall(r'phase=(\w+) qd=(\d+) n=(\d+) bytes=(\d+) '
                               r'cycles=(\d+) errors=(\d+)', out)
            if len(lines) != 2 * len(BLK_PHASES):
                print('\n== virtio-blk: abandoned: the guest under %s printed:\n%s'
                      % (name, out))
                return
            for ph, qd, n, size, cyc, err in lines:
                if int(err):
                    print('\n== virtio-blk: abandoned: %s: %s qd=%s: %s failed '
                          'requests' % (name, ph, qd, err))
                    return
                secs = int(cyc) / (khz * 1e3)
                unit = dict(BLK_PHASES)[ph]
                v = (int(n) / secs if unit == 'IOPS'
                     else int(n) * int(size) / secs / 2**20)
                vals.setdefault((ph, int(qd)), {}).setdefault(name, []).append(v)
                if int(qd) == 1:
                    lat.setdefault(ph, {}).setdefault(name, []).append(
                        secs / int(n) * 1e6)
    for ph, byname in lat.items():
        table('virtio-blk %s, queue depth 1: latency per request (us)' % ph,
              [(n, v, 'us') for n, v in byname.items()], base='qemu')
    ratios = {}   # qd -> [(phase, qkvm / qemu)]
    for (ph, qd), byname in vals.items():
        unit = dict(BLK_PHASES)[ph]
        size = '64 KiB' if ph.startswith('seq') else '4 KiB'
        table('virtio-blk %s %s, queue depth %d (%d requests, guest TSC %d kHz)'
              % (ph, size, qd, BLK_N, khz),
              [(n, v, unit) for n, v in byname.items()], base='qemu')
        ratios.setdefault(qd, []).append(
            (ph, med(byname['qkvm']) / med(byname['qemu'])))
    for qd, rs in ratios.items():
        goals.append(('virtio-blk >= QEMU, queue depth %d' % qd,
                      ' '.join('%s %.2fx' % r for r in rs),
                      all(x >= 1 for _, x in rs)))


NET_N = int(os.environ.get('BENCH_NET_N', '20000'))
NET_WINDOW = 64      # host -> guest datagrams in flight (fits a default
                     # socket buffer at slirp and the 256-entry rings)


def free_udp_ports(n):
    """n consecutive-free UDP ports on 127.0.0.1 (bound to 0, released)."""
    import socket
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.1', 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def io_thread_cpu(pid):
    """CPU seconds so far of the process's threads that are not vCPUs
    ("CPU n/KVM", the name both VMMs give them): the VMM's own I/O work,
    apart from running the guest.  From /proc/PID/task/TID/schedstat (time
    on a CPU in ns; stat's utime/stime count 10 ms ticks)."""
    total, vcpus = 0, 0
    for tid in os.listdir('/proc/%d/task' % pid):
        try:
            with open('/proc/%d/task/%s/comm' % (pid, tid)) as f:
                if f.read().startswith('CPU '):
                    vcpus += 1
                    continue
            with open('/proc/%d/task/%s/schedstat' % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass        # the thread ended meanwhile
    if not vcpus:
        sys.exit('run-bench: no thread of %d is named "CPU n/KVM"' % pid)
    return total / 1e9


TAP_HOST, TAP_GUEST = '10.9.0.1', '10.9.0.2'   # the tap run's own subnet


def tap_problem():
    """Why a TAP interface cannot be used here, or None."""
    import fcntl
    import struct
    if not shutil.which('ip'):
        return 'no ip command (iproute2)'
    try:
        fd = os.open('/dev/net/tun', os.O_RDWR)
    except OSError as e:
        return 'cannot open /dev/net/tun: %s' % e.strerror
    try:
        # TUNSETIFF with IFF_TAP | IFF_NO_PI, a throw-away interface
        fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH22x', b'qkbprobe%d', 0x1002))
    except OSError as e:
        return 'cannot create a TAP interface: %s' % e.strerror
    finally:
        os.close(fd)
    return None


def tap_configure(ifname, timeout=10):
    """Once the VMM has made ifname: the host's address on it, link up."""
    t0 = time.perf_counter()
    while not os.path.exists('/sys/class/net/' + ifname):
        if time.perf_counter() - t0 > timeout:
            return False
        time.sleep(0.01)
    try:
        with open('/proc/sys/net/ipv6/conf/%s/disable_ipv6' % ifname, 'w') as f:
            f.write('1')
    except OSError:
        pass
    for c in (['ip', 'addr', 'add', TAP_HOST + '/24', 'dev', ifname],
              ['ip', 'link', 'set', ifname, 'up']):
        if subprocess.run(c, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode:
            return False
    return True


def net_round(cmd_base, netdev_dev, khz, backend):
    """One run of tests/guests/virtio-net.c: N MTU-sized UDP frames guest ->
    host (to a netpeer sink), then N host -> guest with a window of
    NET_WINDOW.  backend 'user': the sink on the port slirp maps 10.0.2.2
    to, the source through hostfwd; 'tap': a TAP interface the VMM makes,
    the host 10.9.0.1 on it, the guest 10.9.0.2.  Returns {'tx': (frames,
    cycles), 'rx': ..., 'cpu_tx'/'cpu_rx': VMM I/O-thread seconds,
    'tx_host': frames the sink got, 'source': its summary} or an error
    string."""
    peer = os.path.join(bdir, 'netpeer')
    guest = os.path.join(build, 'tests', 'guests', 'virtio-net.elf')
    txp, rxp, ackp = free_udp_ports(3)
    append = 'n=%d port=%d rxport=%d ackport=%d khz=%d hold=1' % (
        NET_N, txp, rxp, ackp, khz)
    if backend == 'tap':
        ifname = 'qkb%d' % (os.getpid() % 100000)
        netdev = 'tap,id=n0,ifname=%s,script=no,downscript=no' % ifname
        append += ' ip=0x0a090002 gw=0x0a090001'
        sink_addr, src_args = '0.0.0.0', [TAP_GUEST, TAP_HOST]
    else:
        netdev = 'user,id=n0,hostfwd=udp:127.0.0.1:%d-:%d' % (rxp, rxp)
        sink_addr, src_args = '127.0.0.1', []
    sink = subprocess.Popen([peer, 'sink', str(txp), str(NET_N), '2000',
                             sink_addr], stdout=subprocess.PIPE, text=True)
    sink.stdout.readline()                      # "ready": bound
    cmd = vm_cmd(cmd_base, guest, append,
                 extra=['-serial', 'stdio', '-netdev', netdev,
                        '-device', netdev_dev])
    vm = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    if backend == 'tap' and not tap_configure(ifname):
        vm.kill()
    out, source, cpu = [], None, {}
    for line in vm.stdout:
        out.append(line)
        if line.startswith('virtio-net: mac'):
            cpu['start'] = io_thread_cpu(vm.pid)
        elif line.startswith('rx ready'):
            cpu['tx'] = io_thread_cpu(vm.pid)
            source = subprocess.Popen([peer, 'source', str(rxp), str(ackp),
                                       str(NET_N), str(NET_WINDOW), '1472'] +
                                      src_args, stdout=subprocess.PIPE, text=True)
        elif line.startswith('done'):
            cpu['rx'] = io_thread_cpu(vm.pid)
            vm.kill()
    vm.wait()
    sink.kill()         # if the guest never sent, it would wait a minute
    sunk = sink.communicate(timeout=30)[0]
    sent = source.communicate(timeout=30)[0] if source else ''
    res = {}
    for ph, n, cyc in re.findall(r'phase=(\w+) n=(\d+) bytes=\d+ cycles=(\d+)',
                                 ''.join(out)):
        res[ph] = (int(n), int(cyc))
    if set(res) != {'tx', 'rx'} or set(cpu) != {'start', 'tx', 'rx'}:
        return 'the guest printed:\n' + ''.join(out)
    res['cpu_tx'] = cpu['tx'] - cpu['start']
    res['cpu_rx'] = cpu['rx'] - cpu['tx']
    m = re.search(r'received=(\d+)', sunk)
    res['tx_host'] = int(m.group(1)) if m else 0
    res['source'] = sent.strip()
    return res


def bench_virtio_net():
    """virtio-net throughput measured inside the guest (tests/guests/
    virtio-net.c, a polling virtio 1.x driver; rdtsc), MTU-sized UDP over
    -netdev user (libslirp in both VMMs) and, where TAP interfaces can be
    made, -netdev tap; modern virtio-net-pci on both VMMs."""
    guest = os.path.join(build, 'tests', 'guests', 'virtio-net.elf')
    if not os.path.exists(guest) or not os.path.exists(os.path.join(bdir, 'netpeer')):
        print('\n== virtio-net: skipped (guest or tests/bench/netpeer not built)')
        return
    if not qemu_bin:
        print('\n== virtio-net: skipped (qemu-system-x86_64 not installed)')
        return
    khz = tsc_khz_of_host()
    comps = [('qkvm', [qkvm], 'virtio-net-pci,netdev=n0'),
             # debug-threads=on: QEMU names its vCPU threads "CPU n/KVM"
             # (as qkvm always does), so io_thread_cpu can leave them out
             ('qemu', [qemu_bin, '-accel', 'kvm', '-cpu', 'qemu64', '-name',
                       'bench,debug-threads=on'],
              'virtio-net-pci,netdev=n0,disable-legacy=on')]
    backends = ['user']
    why = tap_problem()
    if why:
        print('\n== virtio-net over tap: skipped (%s)' % why)
    else:
        backends.append('tap')
    for backend in backends:
        bench_virtio_net_on(backend, comps, khz)


def bench_virtio_net_on(backend, comps, khz):
    vals = {}    # (phase, unit) -> name -> [values]
    notes = []
    for r in range(ROUNDS):
        for name, base, dev in (comps if r % 2 == 0 else comps[::-1]):
            res = net_round(base, dev, khz, backend)
            if isinstance(res, str):
                print('\n== virtio-net over %s: abandoned: %s: %s'
                      % (backend, name, res))
                return
            for ph in ('tx', 'rx'):
                n, cyc = res[ph]
                secs = cyc / (khz * 1e3)
                fps = n / secs if secs else 0
                vals.setdefault((ph, 'frames/s'), {}).setdefault(name, []).append(fps)
                vals.setdefault((ph, 'MiB/s'), {}).setdefault(name, []).append(
                    fps * 1514 / 2**20)
                vals.setdefault((ph, 'us'), {}).setdefault(name, []).append(
                    res['cpu_' + ph] / NET_N * 1e6)
            if res['tx_host'] != NET_N or res['rx'][0] != NET_N:
                notes.append('%s round %d: host received %d of %d, guest %d of %d'
                             ' (%s)' % (name, r, res['tx_host'], NET_N,
                                        res['rx'][0], NET_N, res['source']))
    for (ph, unit), byname in vals.items():
        what = {'frames/s': 'frames/s in the guest',
                'MiB/s': 'MiB/s in the guest',
                'us': 'VMM I/O-thread CPU per frame (not vCPU threads)'}[unit]
        table('virtio-net %s, %d UDP frames of 1514 bytes, -netdev %s: %s'
              % ('guest -> host' if ph == 'tx' else
                 'host -> guest (window %d)' % NET_WINDOW, NET_N, backend, what),
              [(n, v, unit) for n, v in byname.items()], base='qemu')
    for line in notes:
        print('  note: ' + line)
    rs = [(ph, med(vals[(ph, 'frames/s')]['qkvm']) /
           med(vals[(ph, 'frames/s')]['qemu'])) for ph in ('tx', 'rx')]
    goals.append(('virtio-net throughput >= QEMU (%s)' % backend,
                  ' '.join('%s %.2fx' % r for r in rs),
                  all(x >= 1 for _, x in rs)))
    cs = [(ph, med(vals[(ph, 'us')]['qkvm']) / med(vals[(ph, 'us')]['qemu']))
          for ph in ('tx', 'rx')]
    goals.append(('virtio-net I/O CPU per frame <= QEMU (%s)' % backend,
                  ' '.join('%s %.2fx' % c for c in cs),
                  all(x <= 1 for _, x in cs)))


def bench_startup():
    exit0 = os.path.join(bdir, 'exit0.elf')
    serial1 = os.path.join(bdir, 'serial1.elf')
    st = {n: [] for n, _ in vmms()}
    fb = {n: [] for n, _ in vmms()}
    for r in range(ROUNDS):
        order = vmms() if r % 2 == 0 else vmms()[::-1]
        for name, base in order:
            st[name].append(run(vm_cmd(base, exit0))[0] * 1e3)
            fb[name].append(first_byte(vm_cmd(base, serial1,
                                              extra=['-serial', 'stdio'])) * 1e3)
    table('start-up: exec to exit, guest exits at its first instruction',
          [(n, v, 'ms') for n, v in st.items()], base='qemu')
    table('time to first serial byte (COM1 -> -serial stdio pipe)',
          [(n, v, 'ms') for n, v in fb.items()], base='qemu')
    q = med(st['qkvm'])
    if st.get('qemu'):
        e = med(st['qemu'])
        goals.append(('start-up <= 1/5 of QEMU', '%.1f ms vs %.1f ms (1/%.0f)'
                      % (q, e, e / q), q <= e / 5))
    f = med(fb['qkvm'])
    goals.append(('first serial byte < 10 ms', '%.1f ms' % f, f < 10))


def peak_rss_kib(cmd):
    """Peak RSS of cmd.  wait4's ru_maxrss of a child forked from Python
    includes the pre-exec copy of the Python process (~10 MiB), so prefer
    GNU time (a small C parent) when it is installed."""
    gtime = shutil.which('time') and '/usr/bin/time'
    if gtime and os.path.exists(gtime):
        out = subprocess.run([gtime, '-f', 'RSS=%M'] + cmd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True).stderr
        for line in out.splitlines():
            if line.startswith('RSS='):
                return int(line[4:])
    return run(cmd)[1]


def bench_memory():
    guest_kib = 1024
    rss = {n: [] for n, _ in vmms()}
    for r in range(max(3, ROUNDS // 2)):
        for name, base in (vmms() if r % 2 == 0 else vmms()[::-1]):
            rss[name].append(peak_rss_kib(vm_cmd(base, exitloop, 'touch=%d' % guest_kib,
                                                 extra=['-m', '1G'])) / 1024)
    table('peak RSS (GNU time %M, else wait4 ru_maxrss), -m 1G, guest touches 1 MiB', [(n, v, 'MiB') for n, v in rss.items()], base='qemu')
    print('  binary size: qkvm %.2f MiB, %s %.2f MiB (QEMU also maps %d shared libraries)'
          % (os.path.getsize(qkvm) / 2**20, qemu_bin or 'qemu (absent)',
             os.path.getsize(qemu_bin) / 2**20 if qemu_bin else 0,
             nlibs(qemu_bin) if qemu_bin else 0))
    if rss.get('qemu'):
        q = med(rss['qkvm']) - guest_kib / 1024
        e = med(rss['qemu']) - guest_kib / 1024
        goals.append(('peak RSS - guest RAM <= 1/4 of QEMU',
                      '%.1f MiB vs %.1f MiB (1/%.1f)' % (q, e, e / q), q <= e / 4))


def nlibs(path):
    try:
        out = subprocess.run(['ldd', path], capture_output=True, text=True).stdout
        return len([l for l in out.splitlines() if '=>' in l])
    except OSError:
        return 0


def bench_user():
    qu = os.path.join(build, 'qkvm-x86_64')
    prog = os.path.join(build, 'tests', 'user', 'user-getppid')
    cpu = os.path.join(bdir, 'cpuloop')
    if not os.path.exists(qu):
        print('\n== user mode: skipped (%s not built)' % qu)
        return
    qemu_user = shutil.which('qemu-x86_64') or shutil.which('qemu-x86_64-static')
    if not qemu_user and shutil.which('apt-get') and os.geteuid() == 0:
        subprocess.run(['apt-get', 'install', '-y', 'qemu-user-static'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        qemu_user = shutil.which('qemu-x86_64-static')
    comps = [('native', []), ('qkvm-x86_64', [qu])]
    if qemu_user:
        comps.append(('qemu-x86_64 (TCG)', [qemu_user]))
    else:
        print('\n== user mode: Debian qemu-x86_64 unavailable (no qemu-user(-static), '
              'apt-get not possible); comparing qkvm-x86_64 with native only')
    calls = 20000
    gp = {n: [] for n, _ in comps}
    cl = {n: [] for n, _ in comps}
    iters = 300000000
    for r in range(ROUNDS):
        for name, pre in (comps if r % 2 == 0 else comps[::-1]):
            if os.path.exists(prog):
                out = subprocess.run(pre + [prog, str(calls)], capture_output=True,
                                     text=True).stdout
                gp[name].append(float(out.split()[0]))
            cl[name].append(run(pre + [cpu, str(iters)])[0] * 1e3)
    if os.path.exists(prog):
        table('user mode: getppid() system call (%d calls, measured in the program)'
              % calls, [(n, v, 'us') for n, v in gp.items()], base='native')
    else:
        print('\n== getppid: skipped (%s not built)' % prog)
    table('user mode: CPU-bound loop (%d iterations, wall time incl. start-up)' % iters,
          [(n, v, 'ms') for n, v in cl.items()], base='native')
    q, nat = med(cl['qkvm-x86_64']), med(cl['native'])
    goals.append(('user-mode CPU-bound <= 1.1x native', '%.2fx' % (q / nat),
                  q <= 1.1 * nat))


def bench_sev():
    tool = os.path.join(build, 'tools', 'qkvm-sev-measure')
    if not os.path.exists(tool):
        print('\n== SEV predictor: skipped (%s not built)' % tool)
        return
    cases = [('OVMF_CODE_4M.fd seves 1 vCPU',
              ['/usr/share/OVMF/OVMF_CODE_4M.fd', '1']),
             ('OVMF_CODE.fd seves 64 vCPUs', ['/usr/share/OVMF/OVMF_CODE.fd', '64'])]
    entries = []
    for name, (fw, n) in cases:
        if not os.path.exists(fw):
            print('\n== SEV predictor %s: skipped (%s missing)' % (name, fw))
            continue
        v = []
        for _ in range(ROUNDS):
            t, _, rc = run([tool, '--ovmf', fw, '--mode', 'seves', '--vcpus', n,
                            '--vcpu-type', 'EPYC-v4'])
            v.append(t * 1e3)
        entries.append((name, v if rc == 0 else [], 'ms'))
    table('SEV launch-digest predictor (qkvm-sev-measure, exec to exit)', entries)


def main():
    for f in (qkvm, rawkvm, exitloop):
        if not os.path.exists(f):
            sys.exit('run-bench: %s missing; build first (make)' % f)
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        sys.exit('run-bench: /dev/kvm not accessible')
    print('qkvm benchmarks: %s, %s, rounds=%d, N=%d, qemu=%s'
          % (os.uname().release, cpu_model(), ROUNDS, N, qemu_bin or 'absent'))
    if not qemu_bin:
        print('(qemu-system-x86_64 not installed: QEMU columns skipped)')
    t0 = time.perf_counter()
    sections = [bench_exits, bench_exit_instructions, bench_virtio_blk,
                bench_virtio_net, bench_startup, bench_memory, bench_user,
                bench_sev]
    # BENCH_ONLY=virtio_blk,virtio_net: just those sections
    only = os.environ.get('BENCH_ONLY')
    if only:
        names = {'bench_' + n.strip() for n in only.split(',')}
        unknown = names - {f.__name__ for f in sections}
        if unknown:
            sys.exit('run-bench: BENCH_ONLY: no section %s (sections: %s)'
                     % (', '.join(sorted(n[6:] for n in unknown)),
                        ', '.join(f.__name__[6:] for f in sections)))
        sections = [f for f in sections if f.__name__ in names]
    for section in sections:
        section()
    print('\n== goals (not asserted)')
    print('  %-40s %-44s %s' % ('goal', 'measured', 'met?'))
    for g, m, ok in goals:
        print('  %-40s %-44s %s' % (g, m, 'yes' if ok else 'NO'))
    print('\ntotal bench time %.0f s' % (time.perf_counter() - t0))


def cpu_model():
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return '?'


if __name__ == '__main__':
    main()
