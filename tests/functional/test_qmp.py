"""QMP, the machine protocol, as libvirt and scripts use it: the greeting
and negotiation, one "\\r\\n"-ended line per reply and event, run-state
commands and their events, reconnecting clients, an inherited listening
socket, bad input of every kind, and every reply checked against the
schema the monitor publishes.  Where QEMU 7.2 is installed, the shapes of
its replies are compared with ours."""

import json
import os
import socket
import subprocess
import tempfile
import time
import unittest

from qkvm_test import QkvmTest, flavor


class QMPError(AssertionError):
    pass


class QMPClient:
    """A QMP connection that checks every line it reads is one JSON
    object ended by "\\r\\n"; events are kept aside in self.events."""

    def __init__(self, sock, timeout=20):
        self.sock = sock
        self.sock.settimeout(timeout)
        self.buf = b''
        self.events = []
        self.greeting = self.read_msg()

    @classmethod
    def connect_unix(cls, path, timeout=20):
        # the socket file appears at bind(), a moment before listen():
        # a refused connection in between is retried
        end = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return cls(s, timeout)
            except ConnectionRefusedError:
                s.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.01)
            except OSError:
                s.close()
                raise

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_line(self):
        while b'\r\n' not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError('connection closed; pending %r' % self.buf[:200])
            self.buf += chunk
        line, self.buf = self.buf.split(b'\r\n', 1)
        if b'\n' in line or b'\r' in line:
            raise QMPError('line break inside a message: %r' % line[:200])
        return line

    def read_msg(self):
        line = self.read_line()
        msg = json.loads(line)
        if not isinstance(msg, dict):
            raise QMPError('not an object: %r' % line[:200])
        return msg

    def read_reply(self):
        """The next reply; events before it go to self.events."""
        while True:
            msg = self.read_msg()
            if 'event' in msg:
                self.events.append(msg)
            else:
                return msg

    def execute(self, cmd, args=None, id=None):
        req = {'execute': cmd}
        if args is not None:
            req['arguments'] = args
        if id is not None:
            req['id'] = id
        self.send_raw(json.dumps(req).encode() + b'\r\n')
        return self.read_reply()

    def cmd(self, cmd, **args):
        """execute(), expecting success; returns the "return" value."""
        rsp = self.execute(cmd, args or None)
        if 'return' not in rsp:
            raise QMPError('%s %r failed: %r' % (cmd, args, rsp))
        return rsp['return']

    def negotiate(self):
        self.cmd('qmp_capabilities')
        return self

    def wait_event(self, name, timeout=20):
        end = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev['event'] == name:
                    return self.events.pop(i)
            left = end - time.monotonic()
            if left <= 0:
                raise QMPError('no %s event; got %r' % (name, self.events))
            self.sock.settimeout(left)
            try:
                msg = self.read_msg()
            finally:
                self.sock.settimeout(20)
            if 'event' not in msg:
                raise QMPError('unexpected reply %r' % msg)
            self.events.append(msg)


def shape(v):
    """A value's structure: dict keys (recursively), list element shapes,
    scalar types.  What we compare with QEMU."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    return type(v).__name__


class Schema:
    """query-qmp-schema, and checking values against its types."""

    def __init__(self, entities):
        self.by_name = {}
        for e in entities:
            key = (e['meta-type'] in ('command', 'event'), e['name'])
            # libvirt refuses a schema with a name twice
            if key in self.by_name:
                raise QMPError('%s twice in the schema' % e['name'])
            self.by_name[key] = e

    def entity(self, name, meta):
        return self.by_name[(True, name)] if meta in ('command', 'event') \
            else self.by_name[(False, name)]

    def type(self, name):
        return self.by_name[(False, name)]

    def check(self, value, tname, path='value'):
        t = self.type(tname)
        meta = t['meta-type']
        if meta == 'builtin':
            jt = t['json-type']
            ok = {'string': lambda v: isinstance(v, str),
                  'int': lambda v: isinstance(v, int) and not isinstance(v, bool),
                  'number': lambda v: isinstance(v, (int, float)) and
                  not isinstance(v, bool),
                  'boolean': lambda v: isinstance(v, bool),
                  'null': lambda v: v is None,
                  'value': lambda v: True}[jt](value)
            if not ok:
                raise QMPError('%s: %r is not %s' % (path, value, jt))
        elif meta == 'enum':
            if value not in t['values']:
                raise QMPError('%s: %r not in %r' % (path, value, t['values']))
        elif meta == 'array':
            if not isinstance(value, list):
                raise QMPError('%s: not an array: %r' % (path, value))
            for i, v in enumerate(value):
                self.check(v, t['element-type'], '%s[%d]' % (path, i))
        elif meta == 'object':
            if not isinstance(value, dict):
                raise QMPError('%s: not an object: %r' % (path, value))
            members = {m['name']: m for m in t['members']}
            for k in value:
                if k not in members:
                    raise QMPError('%s: member %r not in the schema' % (path, k))
            for name, m in members.items():
                if name in value:
                    self.check(value[name], m['type'], path + '.' + name)
                elif 'default' not in m:
                    raise QMPError('%s: mandatory member %r missing'
                                   % (path, name))
        else:
            raise QMPError('%s: meta-type %s unexpected' % (path, meta))

    def check_return(self, cmd, value):
        self.check(value, self.entity(cmd, 'command')['ret-type'], cmd)

    def check_event(self, ev):
        e = self.entity(ev['event'], 'event')
        self.check(ev.get('data', {}), e['arg-type'], ev['event'])


class QMPTestBase(QkvmTest):

    def setUp(self):
        super().setUp()
        self.require_kvm()
        self.sock_path = os.path.join(self.workdir, 'qmp.sock')

    def spawn(self, binary, args, pass_fds=(), wait_for_socket=True):
        proc = subprocess.Popen([binary] + args, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=self.workdir, pass_fds=pass_fds,
                                start_new_session=True)
        self.addCleanup(self.reap, proc)
        if wait_for_socket:
            self.wait_socket(proc, self.sock_path)
        return proc

    def reap(self, proc):
        if proc.poll() is None:
            proc.kill()
        proc.communicate()

    def wait_socket(self, proc, path, timeout=20):
        end = time.monotonic() + timeout
        while not os.path.exists(path):
            if proc.poll() is not None:
                out, err = proc.communicate()
                self.fail('exited with %s before creating %s:\n%s'
                          % (proc.returncode, path, err.decode()))
            if time.monotonic() > end:
                self.fail('no socket %s after %ss' % (path, timeout))
            time.sleep(0.02)

    def vm_args(self, guest='serial-irq', extra=()):
        return ['-accel', 'kvm', '-cpu', 'qemu64', '-display', 'none',
                '-nodefaults', '-S', '-qmp',
                'unix:%s,server=on,wait=off' % self.sock_path,
                '-kernel', self.guest(guest)] + list(extra)

    def start(self, guest='serial-irq', extra=(), binary=None):
        """Start the VM paused with -qmp on a UNIX socket; a negotiated
        client.  Skips when the binary has no -qmp yet."""
        binary = binary or self.binary
        self.check_has_qmp(binary)
        self.proc = self.spawn(binary, self.vm_args(guest, extra))
        self.qmp = QMPClient.connect_unix(self.sock_path)
        self.addCleanup(self.qmp.close)
        return self.qmp.negotiate()

    _has_qmp = {}

    def check_has_qmp(self, binary):
        if binary not in QMPTestBase._has_qmp:
            res = subprocess.run([binary, '-qmp', 'none', '-version'],
                                 capture_output=True, timeout=30)
            QMPTestBase._has_qmp[binary] = b'invalid option' not in res.stderr
        if not QMPTestBase._has_qmp[binary]:
            self.skipTest('%s has no -qmp option yet' % binary)

    def is_qkvm(self):
        """Checks of qkvm's own choices (see the comments) are skipped when
        the suite runs against QEMU itself."""
        return flavor(self.binary) == 'qkvm'

    def schema(self, qmp):
        return Schema(qmp.cmd('query-qmp-schema'))

    def assertError(self, rsp, cls, desc=None):
        self.assertIn('error', rsp, rsp)
        self.assertEqual(rsp['error']['class'], cls, rsp)
        if desc is not None:
            self.assertEqual(rsp['error']['desc'], desc, rsp)


class ProtocolTest(QMPTestBase):

    def test_greeting_and_negotiation(self):
        self.check_has_qmp(self.binary)
        proc = self.spawn(self.binary, self.vm_args())
        qmp = QMPClient.connect_unix(self.sock_path)
        self.addCleanup(qmp.close)
        g = qmp.greeting['QMP']
        self.assertEqual(set(qmp.greeting), {'QMP'})
        self.assertEqual(set(g), {'version', 'capabilities'})
        # QEMU offers "oob"; commands run in order here, so we do not
        self.assertEqual(g['capabilities'], [] if self.is_qkvm() else ['oob'])
        ver = g['version']
        self.assertEqual(set(ver['qemu']), {'major', 'minor', 'micro'})
        self.assertGreaterEqual((ver['qemu']['major'], ver['qemu']['minor']),
                                (4, 2), 'libvirt needs >= 4.2.0')
        self.assertIsInstance(ver['package'], str)
        # nothing but qmp_capabilities before negotiation, not even unknowns
        for cmd in ('query-status', 'no-such-command'):
            self.assertError(qmp.execute(cmd), 'CommandNotFound',
                             "Expecting capabilities negotiation with "
                             "'qmp_capabilities'")
        self.assertEqual(qmp.execute('qmp_capabilities', id='neg'),
                         {'return': {}, 'id': 'neg'})
        self.assertError(qmp.execute('qmp_capabilities'), 'CommandNotFound',
                         'Capabilities negotiation is already complete, '
                         'command ignored')
        self.assertEqual(qmp.cmd('query-version'), ver)
        self.assertIsNone(proc.poll())

    def test_id_echo_and_line_ends(self):
        qmp = self.start()
        for id in (1, 'x', [1, {'a': None}], {'k': 'v'}, None, True, 'é\n'):
            req = {'execute': 'query-status', 'id': id}
            qmp.send_raw(json.dumps(req).encode())
            rsp = qmp.read_reply()
            self.assertEqual(rsp['id'], id)
        # errors echo the id too, even for a malformed request
        qmp.send_raw(b'{"id": 7, "arguments": {}}')
        rsp = qmp.read_reply()
        self.assertEqual(rsp['id'], 7)
        self.assertError(rsp, 'GenericError', "QMP input lacks member 'execute'")
        # several commands in one write, and one command over several
        qmp.send_raw(b'{"execute":"query-kvm","id":1}{"execute":"query-target",'
                     b'"id":2}\n{"execute":')
        self.assertEqual(qmp.read_reply()['id'], 1)
        self.assertEqual(qmp.read_reply()['return'], {'arch': 'x86_64'})
        qmp.send_raw(b'"query-status", "id"')
        time.sleep(0.1)
        qmp.send_raw(b': 3}')
        self.assertEqual(qmp.read_reply()['id'], 3)

    def test_reconnect(self):
        # libvirtd restarts: the same listening socket takes a new client,
        # which gets a new greeting and negotiates again
        qmp = self.start()
        qmp.cmd('cont')
        qmp.wait_event('RESUME')
        qmp.send_raw(b'{"execute": "query-sta')     # gone mid-message
        qmp.close()
        for _ in range(3):
            c = QMPClient.connect_unix(self.sock_path)
            self.assertIn('QMP', c.greeting)
            self.assertError(c.execute('query-status'), 'CommandNotFound')
            c.negotiate()
            self.assertEqual(c.cmd('query-status')['status'], 'running')
            c.close()
        self.assertIsNone(self.proc.poll())

    def test_one_client_at_a_time(self):
        qmp = self.start()
        second = socket.socket(socket.AF_UNIX)
        second.connect(self.sock_path)      # queued by the kernel
        second.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            second.recv(100)                # no greeting while the first is on
        qmp.cmd('query-status')
        qmp.close()
        second.settimeout(10)
        c = QMPClient(second)               # now it is served
        self.assertIn('QMP', c.greeting)
        c.close()

    def test_schema_covers_commands_and_replies(self):
        qmp = self.start(extra=['-smp', '2'])
        entities = qmp.cmd('query-qmp-schema')
        schema = Schema(entities)
        names = {c['name'] for c in qmp.cmd('query-commands')}
        in_schema = {e['name'] for e in entities if e['meta-type'] == 'command'}
        self.assertEqual(names, in_schema)
        # every type referenced is described
        for e in entities:
            for key in ('arg-type', 'ret-type', 'element-type'):
                if key in e:
                    schema.type(e[key])
            for m in e.get('members', []):
                if 'type' in m:
                    schema.type(m['type'])
        self.assertIn(('query-named-block-nodes', 'flat'),
                      {(e['name'], m['name']) for e in entities
                       if e['meta-type'] == 'command'
                       for m in schema.type(e['arg-type'])['members']})
        # what libvirt sends, each reply checked against its ret-type
        calls = [
            ('query-version', {}), ('query-target', {}), ('query-kvm', {}),
            ('query-commands', {}), ('query-status', {}),
            ('qom-list-types', {}), ('qom-list-types', {'abstract': True}),
            ('qom-list-types', {'implements': 'x86_64-cpu'}),
            ('qom-list-properties', {'typename': 'memory-backend-file'}),
            ('device-list-properties', {'typename': 'isa-serial'}),
            ('query-machines', {}), ('query-cpu-definitions', {}),
            ('query-tpm-models', {}), ('query-tpm-types', {}),
            ('query-command-line-options', {}),
            ('query-migrate-capabilities', {}),
            ('migrate-set-capabilities',
             {'capabilities': [{'capability': 'events', 'state': True}]}),
            ('query-chardev', {}), ('query-cpus-fast', {}),
            ('qom-list', {'path': '/machine/unattached/device[0]'}),
            ('qom-list', {'path': '/machine/peripheral'}),
            ('qom-list', {'path': '/machine/unattached'}),
            ('qom-get', {'path': '/machine', 'property': 'type'}),
            ('query-named-block-nodes', {'flat': True}), ('query-block', {}),
            ('query-jobs', {}), ('query-iothreads', {}),
            ('human-monitor-command', {'command-line': 'info status'}),
        ]
        for cmd, args in calls:
            self.assertIn(cmd, names)
            schema.check_return(cmd, qmp.cmd(cmd, **args))
        qmp.cmd('cont')
        qmp.cmd('stop')
        qmp.cmd('system_reset')
        qmp.cmd('system_powerdown')
        for name in ('RESUME', 'STOP', 'RESET', 'POWERDOWN'):
            schema.check_event(qmp.wait_event(name))

    def test_pretty(self):
        self.check_has_qmp(self.binary)
        self.spawn(self.binary, [
            '-accel', 'kvm', '-display', 'none', '-nodefaults', '-S',
            '-chardev', 'socket,id=mon0,path=%s,server=on,wait=off'
            % self.sock_path,
            '-mon', 'chardev=mon0,mode=control,pretty=on',
            '-kernel', self.guest('serial-irq')])
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.sock_path)
        s.settimeout(10)
        data = b''
        while not data.endswith(b'}\r\n'):
            data += s.recv(4096)
        self.assertIn(b'{\r\n    "QMP": {\r\n', data)
        self.assertNotIn(b'\n', data.replace(b'\r\n', b''))
        self.assertIn('QMP', json.loads(data))
        s.close()


class BadInputTest(QMPTestBase):

    # (bytes sent, error class, exact desc or None)
    CASES = [
        (b'[1]', 'GenericError', 'QMP input must be a JSON object'),
        (b'"x"', 'GenericError', 'QMP input must be a JSON object'),
        (b'42 ', 'GenericError', 'QMP input must be a JSON object'),
        (b'}', 'GenericError', 'JSON parse error, expecting value'),
        (b'{"execute": }', 'GenericError', None),
        (b'{"execute": "query-status",}', 'GenericError', None),
        (b'abc ', 'GenericError', None),
        (b'/**/ ', 'GenericError', None),
        (b'{"execute": "query-status", "id": "\xc3\x28"}', 'GenericError',
         None),
        (b'{"execute": "query-status", "id": "\x00"}', 'GenericError', None),
        (b'{"execute": 1}', 'GenericError',
         "QMP input member 'execute' must be a string"),
        (b'{"execute": "query-status", "arguments": []}', 'GenericError',
         "QMP input member 'arguments' must be an object"),
        (b'{"execute": "query-status", "foo": 1}', 'GenericError',
         "QMP input member 'foo' is unexpected"),
        (b'{"exec-oob": "query-status"}', 'GenericError',
         "QMP input member 'exec-oob' is unexpected"),
        (b'{}', 'GenericError', "QMP input lacks member 'execute'"),
        (b'{"execute": "no-such"}', 'CommandNotFound',
         'The command no-such has not been found'),
        (b'{"execute": "query-status", "arguments": {"x": 1}}', 'GenericError',
         "Parameter 'x' is unexpected"),
        (b'{"execute": "device-list-properties"}', 'GenericError',
         "Parameter 'typename' is missing"),
        (b'{"execute": "device-list-properties", "arguments": {"typename": 1}}',
         'GenericError',
         "Invalid parameter type for 'typename', expected: string"),
        (b'{"execute": "qom-list-types", "arguments": {"abstract": "yes"}}',
         'GenericError',
         "Invalid parameter type for 'abstract', expected: boolean"),
        (b'{"execute": "qom-list-types", "arguments": {"abstract": null}}',
         'GenericError',
         "Invalid parameter type for 'abstract', expected: boolean"),
        (b'{"execute": "migrate-set-capabilities", "arguments": '
         b'{"capabilities": [{"capability": "events"}]}}', 'GenericError',
         "Parameter 'capabilities[0].state' is missing"),
        (b'{"execute": "migrate-set-capabilities", "arguments": '
         b'{"capabilities": [3]}}', 'GenericError',
         "Invalid parameter type for 'capabilities[0]', expected: object"),
        (b'{"execute": "migrate-set-capabilities", "arguments": '
         b'{"capabilities": {}}}', 'GenericError',
         "Invalid parameter type for 'capabilities', expected: array"),
        (b'{"execute": "migrate-set-capabilities", "arguments": '
         b'{"capabilities": [{"capability": "bogus", "state": true}]}}',
         'GenericError', "Parameter 'capability' does not accept value 'bogus'"),
        (b'{"execute": "device-list-properties", "arguments": '
         b'{"typename": "no-such-device"}}', 'DeviceNotFound',
         "Device 'no-such-device' not found"),
        (b'{"execute": "qom-list", "arguments": {"path": "/nope"}}',
         'DeviceNotFound', "Device '/nope' not found"),
        (b'{"execute": "query-sev-capabilities"}', 'GenericError',
         'SEV is not enabled in KVM'),
        (b'[' * 1100 + b']' * 1100, 'GenericError',
         'JSON nesting depth limit exceeded'),
    ]
    # qkvm's bound on one message (1 MiB); QEMU takes up to 64 MiB
    CASES_QKVM = [
        (b'{"execute": "query-status", "id": "' + b'a' * (2 << 20) + b'"}',
         'GenericError', 'JSON message size limit exceeded'),
        (b'{"execute": "query-status", "id": [' + b'1,' * (600 << 10) + b'1]}',
         'GenericError', 'JSON message size limit exceeded'),
    ]

    def test_bad_input_then_good(self):
        qmp = self.start()
        cases = self.CASES + (self.CASES_QKVM if self.is_qkvm() else [])
        for n, (data, cls, desc) in enumerate(cases):
            with self.subTest(data=data[:60]):
                # the stream stays in step: a command after the bad input
                # is answered, and the bad input got one error
                qmp.send_raw(data + b'{"execute": "query-kvm", "id": %d}' % n)
                replies = []
                while not replies or replies[-1].get('id') != n:
                    replies.append(qmp.read_reply())
                self.assertError(replies[0], cls, desc)
                if self.is_qkvm():
                    self.assertEqual(len(replies), 2, replies)
        self.assertIsNone(self.proc.poll())

    def test_qom_list_properties_never_device_not_found(self):
        # libvirt 9.0 crashes on DeviceNotFound here: always a list (QEMU
        # says DeviceNotFound for a type it does not know)
        qmp = self.start()
        types = ['memory-backend-file', 'memory-backend-memfd',
                 'max-x86_64-cpu', 'none-machine']
        for t in types + (['no-such-type'] if self.is_qkvm() else []):
            self.assertIsInstance(qmp.cmd('qom-list-properties', typename=t),
                                  list)

    def test_disconnect_mid_message_and_garbage(self):
        # each client leaves in the middle of something; the next one
        # starts clean and the VMM runs on
        self.start().close()
        for junk in (b'{"execute": "quer', b'{"a": "unterminated',
                     bytes(range(256)), b'[' * 5000):
            c = QMPClient.connect_unix(self.sock_path)
            c.send_raw(junk)
            c.close()
        c = QMPClient.connect_unix(self.sock_path).negotiate()
        self.assertEqual(c.cmd('query-status')['status'], 'prelaunch')
        c.close()
        self.assertIsNone(self.proc.poll())

    def test_client_that_does_not_read(self):
        # a client that sends and never reads must not stop the VMM: it is
        # disconnected once its replies pile up, and the next one is served
        if not self.is_qkvm():
            self.skipTest('QEMU queues output without bound')
        qmp = self.start()
        qmp.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        req = b'{"execute": "query-qmp-schema"}' * 50
        qmp.sock.settimeout(30)
        try:
            for _ in range(100):
                qmp.send_raw(req)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        qmp.close()
        end = time.monotonic() + 30
        while True:
            try:
                c = QMPClient.connect_unix(self.sock_path, timeout=30)
                break
            except (EOFError, ConnectionResetError, socket.timeout):
                self.assertLess(time.monotonic(), end)
        c.negotiate()
        self.assertEqual(c.cmd('query-status')['status'], 'prelaunch')
        c.close()


class RunStateTest(QMPTestBase):

    def hmp(self, qmp, line):
        return qmp.cmd('human-monitor-command', **{'command-line': line})

    def test_cont_stop_events(self):
        qmp = self.start()
        self.assertEqual(qmp.cmd('query-status'),
                         {'status': 'prelaunch', 'singlestep': False,
                          'running': False})
        self.assertEqual(self.hmp(qmp, 'info status'),
                         'VM status: paused (prelaunch)\r\n')
        qmp.cmd('stop')             # not running: no change, no event
        self.assertEqual(qmp.cmd('query-status')['status'], 'prelaunch')
        qmp.cmd('cont')
        ev = qmp.wait_event('RESUME')
        self.assertEqual(set(ev), {'event', 'timestamp'})
        self.assertEqual(set(ev['timestamp']), {'seconds', 'microseconds'})
        self.assertLess(abs(ev['timestamp']['seconds'] - time.time()), 60)
        self.assertEqual(qmp.cmd('query-status')['running'], True)
        self.assertEqual(self.hmp(qmp, 'info status'), 'VM status: running\r\n')
        qmp.cmd('cont')             # running already: no second RESUME
        qmp.cmd('stop')
        qmp.wait_event('STOP')
        self.assertEqual(qmp.events, [])
        self.assertEqual(qmp.cmd('query-status')['status'], 'paused')
        self.assertEqual(self.hmp(qmp, 'info status'), 'VM status: paused\r\n')
        self.assertEqual(self.hmp(qmp, 'no-such'),
                         "unknown command: 'no-such'\r\n")
        self.assertEqual(self.hmp(qmp, 'info no-such'),
                         "unknown command: 'info no-such'\r\n")
        self.assertEqual(self.hmp(qmp, ''), '')
        self.hmp(qmp, 'cont')
        qmp.wait_event('RESUME')
        # QEMU: a reset of a machine that is not running leaves it in
        # prelaunch
        qmp.cmd('stop')
        qmp.wait_event('STOP')
        qmp.cmd('system_reset')
        qmp.wait_event('RESET')
        self.assertEqual(qmp.cmd('query-status')['status'], 'prelaunch')

    def test_cpus_fast_threads_are_ours(self):
        qmp = self.start(extra=['-smp', '4,sockets=2,cores=2'])
        cpus = qmp.cmd('query-cpus-fast')
        self.assertEqual([c['cpu-index'] for c in cpus], [0, 1, 2, 3])
        for c in cpus:
            self.assertEqual(c['target'], 'x86_64')
            # QEMU numbers unattached devices in creation order, so the
            # CPUs need not be device[0..3]; the path must lead to the CPU
            self.assertRegex(c['qom-path'], r'^/machine/unattached/device\[\d+\]$')
            self.assertIn('qemu64-x86_64-cpu',
                          qmp.cmd('qom-get', path=c['qom-path'],
                                  property='type'))
            self.assertTrue(os.path.exists('/proc/%d/task/%d'
                                           % (self.proc.pid, c['thread-id'])),
                            'thread %d is not ours' % c['thread-id'])
        self.assertEqual([(c['props']['socket-id'], c['props']['core-id'],
                           c['props']['thread-id']) for c in cpus],
                         [(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 0)])
        self.assertEqual(len({c['thread-id'] for c in cpus}), 4)

    def test_guest_shutdown_with_no_shutdown(self):
        # the demo guest powers off through ACPI: SHUTDOWN from the guest,
        # STOP, and the process stays (libvirt passes -no-shutdown)
        if flavor(self.binary) == 'qemu':
            self.skipTest('under QEMU the firmware places the ACPI PM block '
                          'and the demo guest cannot power off')
        qmp = self.start('demo', ['-no-shutdown', '-serial', 'null'])
        qmp.cmd('cont')
        ev = qmp.wait_event('SHUTDOWN')
        self.assertEqual(ev['data'], {'guest': True, 'reason': 'guest-shutdown'})
        qmp.wait_event('STOP')
        self.assertEqual(qmp.cmd('query-status'),
                         {'status': 'shutdown', 'singlestep': False,
                          'running': False})
        self.assertEqual(self.hmp(qmp, 'info status'),
                         'VM status: paused (shutdown)\r\n')
        self.assertError(qmp.execute('cont'), 'GenericError',
                         'Resetting the Virtual Machine is required')
        self.assertIsNone(self.proc.poll())
        # system_reset makes it startable again (QEMU: prelaunch)
        qmp.cmd('system_reset')
        ev = qmp.wait_event('RESET')
        self.assertEqual(ev['data'], {'guest': False,
                                      'reason': 'host-qmp-system-reset'})
        self.assertEqual(qmp.cmd('query-status')['status'], 'prelaunch')
        qmp.cmd('cont')
        qmp.wait_event('RESUME')
        qmp.wait_event('SHUTDOWN')

    def test_powerdown_without_no_shutdown(self):
        # serial-irq ignores the power button: POWERDOWN, and it runs on
        qmp = self.start()
        qmp.cmd('cont')
        qmp.cmd('system_powerdown')
        qmp.wait_event('POWERDOWN')
        self.assertEqual(qmp.cmd('query-status')['status'], 'running')

    def test_quit(self):
        qmp = self.start('serial-irq', ['-no-shutdown'])
        self.assertEqual(qmp.execute('quit', id='q'), {'return': {}, 'id': 'q'})
        ev = qmp.wait_event('SHUTDOWN')
        self.assertEqual(ev['data'], {'guest': False, 'reason': 'host-qmp-quit'})
        with self.assertRaises((EOFError, ConnectionResetError)):
            qmp.read_msg()
        self.assertEqual(self.proc.wait(timeout=20), 0)
        self.assertFalse(os.path.exists(self.sock_path),
                         'the socket file outlived the process')

    def test_peripherals_listed_by_id(self):
        # libvirt checks its -device ids under /machine/peripheral
        qmp = self.start('serial-irq', ['-chardev', 'null,id=c9', '-device',
                                        'isa-serial,chardev=c9,id=serial9'])
        children = qmp.cmd('qom-list', path='/machine/peripheral')
        self.assertIn({'name': 'serial9', 'type': 'child<isa-serial>'}, children)
        qmp.cmd('quit')
        self.assertEqual(self.proc.wait(timeout=20), 0)

    def test_query_pci(self):
        # bus 0: the i440FX host bridge, then -device functions where addr=
        # put them, with the BARs where the machine placed them (qkvm's
        # choices: QEMU's virtio-rng-pci is a transitional device)
        if not self.is_qkvm():
            self.skipTest('checks qkvm\'s virtio-rng-pci and BAR placement')
        qmp = self.start('serial-irq', ['-device',
                                        'virtio-rng-pci,addr=0x4,id=rng0'])
        buses = qmp.cmd('query-pci')
        self.assertEqual([b['bus'] for b in buses], [0])
        devs = {(d['slot'], d['function']): d for d in buses[0]['devices']}
        self.assertEqual(sorted(devs), [(0, 0), (4, 0)])
        host = devs[(0, 0)]
        self.assertEqual(host['class_info']['class'], 0x0600)
        self.assertEqual(host['id']['vendor'], 0x8086)
        rng = devs[(4, 0)]
        self.assertEqual((rng['id']['vendor'], rng['id']['device']),
                         (0x1af4, 0x1044))
        self.assertEqual(rng['qdev_id'], 'rng0')
        self.assertEqual((rng['irq_pin'], rng['irq']), (1, 16))
        bars = {r['bar']: r for r in rng['regions']}
        self.assertEqual(sorted(bars), [1, 4])
        self.assertEqual((bars[1]['size'], bars[4]['size']), (0x1000, 0x4000))
        for r in bars.values():
            self.assertEqual(r['type'], 'memory')
            # naturally aligned, in the PCI hole below the I/O APIC
            self.assertEqual(r['address'] % r['size'], 0)
            self.assertGreaterEqual(r['address'], 64 << 20)
            self.assertLess(r['address'] + r['size'], 0xfec00000)
        qmp.cmd('quit')
        self.assertEqual(self.proc.wait(timeout=20), 0)

    def test_query_block(self):
        # a -drive backend by its id, libvirt's -blockdev pair with the
        # device's anonymous backend; both in query-named-block-nodes
        if not self.is_qkvm():
            self.skipTest('checks qkvm\'s node names')
        a = self.write_file('a.raw', b'\0' * 65536)
        b = self.write_file('b.raw', b'\0' * 131072)
        qmp = self.start('serial-irq', [
            '-drive', 'file=%s,format=raw,if=none,id=drive0,readonly=on' % a,
            '-device', 'virtio-blk-pci,drive=drive0,id=disk0',
            '-blockdev', json.dumps({'driver': 'file', 'filename': b,
                                     'node-name': 'libvirt-1-storage',
                                     'cache': {'direct': False}}),
            '-blockdev', json.dumps({'node-name': 'libvirt-1-format',
                                     'driver': 'raw',
                                     'file': 'libvirt-1-storage'}),
            '-device', 'virtio-blk-pci,drive=libvirt-1-format,id=virtio-disk1'])
        blocks = {blk['device'] or blk['qdev']: blk
                  for blk in qmp.cmd('query-block')}
        self.assertEqual(sorted(blocks), [
            '/machine/peripheral/virtio-disk1/virtio-backend', 'drive0'])
        d0 = blocks['drive0']['inserted']
        self.assertEqual((d0['file'], d0['ro'], d0['drv']), (a, True, 'raw'))
        self.assertEqual(d0['image']['virtual-size'], 65536)
        d1 = blocks['/machine/peripheral/virtio-disk1/virtio-backend']
        self.assertEqual(d1['inserted']['node-name'], 'libvirt-1-format')
        self.assertEqual(d1['inserted']['image']['virtual-size'], 131072)
        nodes = qmp.cmd('query-named-block-nodes', flat=True)
        self.assertEqual(sorted(n['node-name'] for n in nodes if
                                not n['node-name'].startswith('#')),
                         ['libvirt-1-format', 'libvirt-1-storage'])
        self.assertEqual(len(nodes), 3)
        qmp.cmd('quit')
        self.assertEqual(self.proc.wait(timeout=20), 0)

    def test_system_reset_with_no_reboot_shuts_down(self):
        # QEMU 7.2: with -no-reboot a QMP system_reset is a shutdown too
        qmp = self.start('serial-irq', ['-no-reboot'])
        qmp.cmd('system_reset')
        ev = qmp.wait_event('SHUTDOWN')
        self.assertEqual(ev['data'], {'guest': False,
                                      'reason': 'host-qmp-system-reset'})
        self.assertEqual(self.proc.wait(timeout=20), 0)

    def test_sigterm_sends_shutdown(self):
        # libvirt's destroy: SIGTERM, then SHUTDOWN host-signal before EOF
        # (without it libvirt marks the domain crashed)
        qmp = self.start()
        self.proc.terminate()
        ev = qmp.wait_event('SHUTDOWN')
        self.assertEqual(ev['data'], {'guest': False, 'reason': 'host-signal'})
        with self.assertRaises(EOFError):
            qmp.read_msg()
        self.assertEqual(self.proc.wait(timeout=20), 0)


class ChardevSocketTest(QMPTestBase):

    def test_inherited_listening_fd(self):
        # libvirt binds the monitor socket itself and passes the fd
        self.check_has_qmp(self.binary)
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(self.sock_path)
        lsock.listen(1)
        fd = lsock.fileno()
        proc = self.spawn(self.binary, [
            '-accel', 'kvm', '-display', 'none', '-nodefaults', '-S',
            '-chardev', 'socket,id=charmonitor,fd=%d,server=on,wait=off' % fd,
            '-mon', 'chardev=charmonitor,id=monitor,mode=control',
            '-kernel', self.guest('serial-irq')], pass_fds=(fd,),
            wait_for_socket=False)
        lsock.close()
        for _ in range(2):          # and again after a reconnect
            qmp = QMPClient.connect_unix(self.sock_path).negotiate()
            chardevs = {c['label']: c for c in qmp.cmd('query-chardev')}
            self.assertEqual(chardevs['charmonitor'],
                             {'label': 'charmonitor', 'frontend-open': True,
                              'filename': 'unix:%s,server=on' % self.sock_path})
            qmp.close()
        self.assertIsNone(proc.poll())

    def test_tcp_and_legacy_spelling(self):
        self.check_has_qmp(self.binary)
        probe = socket.socket()
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
        probe.close()
        proc = self.spawn(self.binary, [
            '-accel', 'kvm', '-display', 'none', '-nodefaults', '-S',
            '-qmp', 'tcp:127.0.0.1:%d,server,nowait' % port,
            '-kernel', self.guest('serial-irq')], wait_for_socket=False)
        end = time.monotonic() + 20
        while True:
            try:
                s = socket.create_connection(('127.0.0.1', port), timeout=20)
                break
            except ConnectionRefusedError:
                self.assertIsNone(proc.poll())
                self.assertLess(time.monotonic(), end)
                time.sleep(0.05)
        qmp = QMPClient(s).negotiate()
        chardev = qmp.cmd('query-chardev')[0]
        self.assertRegex(chardev['filename'],
                         r'^tcp:127\.0\.0\.1:%d,server=on <-> 127\.0\.0\.1:\d+$'
                         % port)
        qmp.close()

    def test_client_mode(self):
        # -qmp unix:PATH without server=on connects (what libqtest does)
        self.check_has_qmp(self.binary)
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(self.sock_path)
        lsock.listen(1)
        lsock.settimeout(20)
        self.spawn(self.binary, [
            '-accel', 'kvm', '-display', 'none', '-nodefaults', '-S',
            '-qmp', 'unix:%s' % self.sock_path,
            '-kernel', self.guest('serial-irq')], wait_for_socket=False)
        conn, _ = lsock.accept()
        lsock.close()
        qmp = QMPClient(conn).negotiate()
        filename = qmp.cmd('query-chardev')[0]['filename']
        # QEMU shows "unix:" (its own, unnamed end); we name the server
        self.assertEqual(filename, 'unix:%s' % self.sock_path
                         if self.is_qkvm() else 'unix:')
        qmp.close()

    def test_socket_file_mode_and_stale_file(self):
        self.check_has_qmp(self.binary)
        # a socket left by a crashed run is replaced
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(self.sock_path)
        stale.close()
        proc = self.spawn(self.binary, self.vm_args(), wait_for_socket=False)
        end = time.monotonic() + 20
        while True:     # the stale one refuses connections
            try:
                qmp = QMPClient.connect_unix(self.sock_path)
                break
            except ConnectionRefusedError:
                self.assertIsNone(proc.poll())
                self.assertLess(time.monotonic(), end, 'stale socket stays')
                time.sleep(0.02)
        qmp.negotiate().close()
        if self.is_qkvm():      # QEMU leaves it to the umask
            self.assertEqual(os.stat(self.sock_path).st_mode & 0o077, 0,
                             'the monitor socket is open to other users')


class LibvirtProbeTest(QMPTestBase):
    """libvirt 9.0's capability probe and domain start, in its order; every
    answer must be one libvirt accepts (docs: libvirt-9.0-needs.md)."""

    DEVICE_PROBES = ['virtio-blk-pci', 'scsi-hd', 'ide-hd', 'PIIX4_PM',
                     'kvm-pit', 'ICH9-LPC', 'virtio-balloon-pci',
                     'virtio-balloon-ccw', 'virtio-balloon-device', 'usb-host']

    def test_probe_and_start(self):
        qmp = self.start()
        ver = qmp.cmd('query-version')
        self.assertGreaterEqual((ver['qemu']['major'], ver['qemu']['minor']),
                                (4, 2))
        self.assertEqual(qmp.cmd('query-target')['arch'], 'x86_64')
        qmp.cmd('query-qmp-schema')
        cmds = {c['name'] for c in qmp.cmd('query-commands')}
        self.assertEqual(qmp.cmd('query-kvm'), {'enabled': True, 'present': True})
        types = {t['name'] for t in qmp.cmd('qom-list-types')}
        self.assertIn('isa-serial', types)
        if self.is_qkvm():
            self.assertNotIn('tcg-accel', types)    # else a TCG probe follows
        for t in self.DEVICE_PROBES:
            rsp = qmp.execute('device-list-properties', {'typename': t})
            if 'error' in rsp:
                self.assertError(rsp, 'DeviceNotFound')
        machines = qmp.cmd('query-machines')
        self.assertTrue(any(m.get('alias') == 'pc' for m in machines))
        if self.is_qkvm():      # no CPU hotplug: no query-hotpluggable-cpus
            self.assertTrue(all(not m['hotpluggable-cpus'] for m in machines))
        self.assertIn('query-cpu-definitions', cmds)
        models = {d['name']: d for d in qmp.cmd('query-cpu-definitions')}
        self.assertEqual(models['qemu64']['typename'], 'qemu64-x86_64-cpu')
        for cmd in ('query-tpm-models', 'query-tpm-types',
                    'query-command-line-options', 'query-migrate-capabilities'):
            self.assertIsInstance(qmp.cmd(cmd), list)
        for props in ({}, {'migratable': False}):
            rsp = qmp.execute('query-cpu-model-expansion',
                              {'type': 'static',
                               'model': {'name': 'host', 'props': props}})
            if 'error' in rsp:
                self.assertError(rsp, 'GenericError')
        # domain start
        qmp.cmd('migrate-set-capabilities',
                capabilities=[{'capability': 'events', 'state': True}])
        for c in qmp.cmd('query-chardev'):
            self.assertTrue({'label', 'filename'} <= set(c))
        qmp.cmd('query-cpus-fast')
        qmp.cmd('qom-list', path='/machine/unattached/device[0]')
        qmp.cmd('query-named-block-nodes', flat=True)
        qmp.cmd('qom-list', path='/machine/peripheral')
        qmp.cmd('query-block')
        qmp.cmd('cont')
        qmp.wait_event('RESUME')    # without it the domain stays "paused"


class CompareWithQEMUTest(QMPTestBase):
    """The same requests to QEMU 7.2 and to us: the same reply shapes and,
    for errors, the same class and text."""

    REQUESTS = [
        b'{"execute": "query-status"}',
        b'{"execute": "query-version"}',
        b'{"execute": "query-kvm"}',
        b'{"execute": "query-target"}',
        b'{"execute": "query-cpus-fast"}',
        b'{"execute": "qom-list", "arguments": {"path": "/machine/peripheral"}}',
        b'{"execute": "qom-get", "arguments": {"path": "/machine", '
        b'"property": "type"}}',
        b'{"execute": "query-named-block-nodes", "arguments": {"flat": true}}',
        b'{"execute": "query-block"}',
        b'{"execute": "human-monitor-command", "arguments": '
        b'{"command-line": "info status"}}',
        b'{"execute": "query-sev-capabilities"}',
        b'{"execute": "no-such"}',
        b'[1]',
        b'{"id": 5}',
        b'{"execute": "query-status", "foo": 1}',
        b'{"execute": "query-status", "arguments": {"x": 1}}',
        b'{"execute": "device-list-properties"}',
        b'{"execute": "device-list-properties", "arguments": {"typename": 1}}',
        b'{"execute": "device-list-properties", "arguments": '
        b'{"typename": "nope"}}',
        b'{"execute": "qom-list", "arguments": {"path": "/nope"}}',
        b'{"execute": "migrate-set-capabilities", "arguments": '
        b'{"capabilities": [{"capability": "events"}]}}',
        b'{"execute": "cont"}',
        b'{"execute": "stop"}',
    ]

    def session(self, binary):
        self.sock_path = os.path.join(tempfile.mkdtemp(dir=self.workdir), 's')
        self.start(binary=binary)
        qmp = self.qmp
        # QEMU offers "oob", we do not: the version part is compared
        out = [('greeting', shape(qmp.greeting['QMP']['version']))]
        for req in self.REQUESTS:
            qmp.send_raw(req)
            rsp = qmp.read_reply()
            if 'error' in rsp:
                out.append((req, rsp))
            else:
                out.append((req, shape(rsp)))
        out.append(('events', [e['event'] for e in qmp.events]))
        return out

    def test_same_shapes_as_qemu(self):
        ref = self.reference()
        if ref is None:
            self.skipTest('no QEMU to compare with')
        ours = self.session(self.binary)
        theirs = self.session(ref)
        for a, b in zip(ours, theirs):
            self.assertEqual(a, b)


if __name__ == '__main__':
    unittest.main()
