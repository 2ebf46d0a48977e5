/*
 * -sandbox's filter (system/qemu-seccomp.c), installed for real in a
 * forked child per case: allowed calls work, a call off the list kills
 * the whole process with SIGSYS, including from a thread that was running
 * before the filter went in (TSYNC), and each option group does what its
 * value says.  Children leave with _exit() (no atexit handlers, which
 * could make calls the filter forbids).
 */
#include "system/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const SandboxConfig all_deny = { .enabled = true };
static const SandboxConfig qemu_defaults = {
    .enabled = true, .elevate_privileges = true, .spawn = true,
    .resource_control = true,
};

/* Run fn in a child under cfg; the child's wait status. */
static int run_sandboxed(const SandboxConfig *cfg, int (*fn)(void))
{
    int status;
    pid_t pid = fork();

    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        GError *err = NULL;
        if (!sandbox_install(cfg, &err)) {
            _exit(100);
        }
        _exit(fn());
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    return status;
}

static void assert_exit(int status, int code)
{
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, code);
}

static void assert_killed_by_sigsys(int status)
{
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, SIGSYS);
}

static void *thread_fn(void *arg)
{
    return arg;
}

static int qmp_pair[2];

/* What the running VMM does: pipes, ioctls, memory, threads, sockets. */
static int do_allowed(void)
{
    int fds[2], avail = -1;
    char c = 'x';
    pthread_t t;
    void *ret = NULL;
    void *p;

    if (pipe2(fds, O_CLOEXEC) < 0 || write(fds[1], &c, 1) != 1 ||
        ioctl(fds[0], FIONREAD, &avail) < 0 || avail != 1 ||
        read(fds[0], &c, 1) != 1) {
        return 1;
    }
    p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED || munmap(p, 1 << 20) < 0) {
        return 2;
    }
    if (pthread_create(&t, NULL, thread_fn, &c) != 0 ||
        pthread_join(t, &ret) != 0 || ret != &c) {
        return 3;
    }
    /* a socket created before the filter stands for the QMP connection */
    if (send(qmp_pair[0], &c, 1, 0) != 1 || recv(qmp_pair[1], &c, 1, 0) != 1) {
        return 4;
    }
    return 0;
}

static int do_open(void)
{
    return open("/dev/null", O_RDONLY) >= 0 ? 0 : 5;
}

static int do_socket(void)
{
    return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 5;
}

static int do_fork(void)
{
    pid_t pid = fork();
    int status;

    if (pid == 0) {
        _exit(7);
    }
    return pid > 0 && waitpid(pid, &status, 0) == pid &&
           WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : 5;
}

static int do_execve(void)
{
    char *argv[] = { (char *)"true", NULL };
    execve("/bin/true", argv, NULL);
    return 5;
}

static int do_setuid(void)
{
    return setuid(getuid()) == 0 ? 0 : 5;
}

/* sched_setaffinity to the current mask: 0 when allowed, else errno */
static int do_setaffinity(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) < 0) {
        return 6;
    }
    return sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : errno;
}

static void test_allowed(void)
{
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, qmp_pair), ==, 0);
    assert_exit(run_sandboxed(&all_deny, do_allowed), 0);
}

static void test_open_kills(void)
{
    assert_exit(run_sandboxed(&(SandboxConfig){ 0 }, do_open), 0);
    assert_killed_by_sigsys(run_sandboxed(&all_deny, do_open));
    assert_killed_by_sigsys(run_sandboxed(&qemu_defaults, do_open));
}

static void test_socket_kills(void)
{
    assert_killed_by_sigsys(run_sandboxed(&qemu_defaults, do_socket));
}

static void test_spawn(void)
{
    assert_killed_by_sigsys(run_sandboxed(&all_deny, do_fork));
    assert_killed_by_sigsys(run_sandboxed(&all_deny, do_execve));
    assert_exit(run_sandboxed(&qemu_defaults, do_fork), 0);
}

static void test_elevate_privileges(void)
{
    assert_killed_by_sigsys(run_sandboxed(&all_deny, do_setuid));
    assert_exit(run_sandboxed(&qemu_defaults, do_setuid), 0);
}

static void test_resource_control(void)
{
    assert_exit(run_sandboxed(&all_deny, do_setaffinity), EPERM);
    assert_exit(run_sandboxed(&qemu_defaults, do_setaffinity), 0);
}

/* A thread started before the filter (a vCPU thread) gets it too. */
static int tsync_pipe[2];

static void *late_open_thread(void *arg)
{
    char c;

    if (read(tsync_pipe[0], &c, 1) == 1) {
        open("/dev/null", O_RDONLY);
    }
    _exit(0);   /* not reached when the filter applies to this thread */
}

static void test_tsync(void)
{
    int status;
    pid_t pid;

    g_assert_cmpint(pipe(tsync_pipe), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        pthread_t t;
        GError *err = NULL;
        char c = 1;

        if (pthread_create(&t, NULL, late_open_thread, NULL) != 0) {
            _exit(101);
        }
        if (!sandbox_install(&all_deny, &err)) {
            _exit(100);
        }
        if (write(tsync_pipe[1], &c, 1) != 1) {
            _exit(102);
        }
        for (;;) {
            pause();
        }
    }
    close(tsync_pipe[0]);
    close(tsync_pipe[1]);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    assert_killed_by_sigsys(status);
}

static void test_parse(void)
{
    SandboxConfig c = { 0 };
    GError *err = NULL;

    g_assert_true(sandbox_parse("on", &c, &err));
    g_assert_true(c.enabled && !c.obsolete && c.elevate_privileges &&
                  c.spawn && c.resource_control);
    g_assert_true(sandbox_parse("on,obsolete=allow,elevateprivileges=children,"
                                "spawn=deny,resourcecontrol=deny", &c, &err));
    g_assert_true(c.enabled && c.obsolete && !c.elevate_privileges &&
                  !c.spawn && !c.resource_control);
    g_assert_true(sandbox_parse("off", &c, &err));
    g_assert_false(c.enabled);

    g_assert_false(sandbox_parse("on,spawn=maybe", &c, &err));
    g_assert_cmpstr(err->message, ==, "invalid argument for spawn");
    g_clear_error(&err);
    g_assert_false(sandbox_parse("on,elevateprivileges=children2", &c, &err));
    g_assert_cmpstr(err->message, ==, "invalid argument for elevateprivileges");
    g_clear_error(&err);
    g_assert_false(sandbox_parse("on,resourcecontrol=1", &c, &err));
    g_assert_cmpstr(err->message, ==, "invalid argument for resourcecontrol");
    g_clear_error(&err);
    g_assert_false(sandbox_parse("maybe", &c, &err));
    g_clear_error(&err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/seccomp/parse", test_parse);
    if (prctl(PR_GET_SECCOMP) < 0) {
        g_test_skip("seccomp: kernel without CONFIG_SECCOMP (prctl PR_GET_SECCOMP failed)");
    } else {
        g_test_add_func("/seccomp/allowed", test_allowed);
        g_test_add_func("/seccomp/open-kills", test_open_kills);
        g_test_add_func("/seccomp/socket-kills", test_socket_kills);
        g_test_add_func("/seccomp/spawn", test_spawn);
        g_test_add_func("/seccomp/elevateprivileges", test_elevate_privileges);
        g_test_add_func("/seccomp/resourcecontrol", test_resource_control);
        g_test_add_func("/seccomp/tsync", test_tsync);
    }
    return g_test_run();
}
