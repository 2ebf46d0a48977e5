/*
 * netpeer: the host side of the virtio-net benchmark (run-bench.py with
 * tests/guests/virtio-net.c), on the loopback where -netdev user's
 * slirp forwards.
 *
 *   netpeer sink PORT N IDLE_MS [ADDR]
 *     Count UDP datagrams to ADDR:PORT (default 127.0.0.1) until N
 *     arrived or none came for IDLE_MS; print "received=K".  Prints
 *     "ready" once bound.
 *   netpeer source DPORT ACKPORT N WINDOW SIZE [DADDR [ADDR]]
 *     Send N datagrams of SIZE bytes to DADDR:DPORT (default 127.0.0.1,
 *     a hostfwd) with at most WINDOW not yet acknowledged;
 *     acknowledgements are 4-byte little-endian counts arriving on
 *     ADDR:ACKPORT (default 127.0.0.1).  A window
 *     with no acknowledgement for 200 ms is written off (frames lost);
 *     print "sent=N acked=K stalls=S".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct in_addr addr_of(const char *s)
{
    struct in_addr a;

    if (!inet_aton(s, &a)) {
        fprintf(stderr, "netpeer: not an IPv4 address: %s\n", s);
        exit(2);
    }
    return a;
}

static int udp_bound(const char *addr, unsigned port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons(port),
                             .sin_addr = addr_of(addr) };
    int s = socket(AF_INET, SOCK_DGRAM, 0), big = 8 << 20;

    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        fprintf(stderr, "netpeer: bind %s:%u: %s\n", addr, port,
                strerror(errno));
        exit(1);
    }
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    return s;
}

static long now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

static int sink(const char *addr, unsigned port, long n, int idle_ms)
{
    int s = udp_bound(addr, port);
    static char buf[65536];
    long got = 0;

    printf("ready\n");
    fflush(stdout);
    while (got < n) {
        struct pollfd p = { .fd = s, .events = POLLIN };

        if (poll(&p, 1, got ? idle_ms : 60000) <= 0)
            break;
        while (recv(s, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
            got++;
    }
    printf("received=%ld\n", got);
    return 0;
}

static int source(const char *daddr, unsigned dport, const char *addr,
                  unsigned ackport, long n, long window, size_t size)
{
    int s = udp_bound(addr, ackport);
    struct sockaddr_in to = { .sin_family = AF_INET,
                              .sin_port = htons(dport),
                              .sin_addr = addr_of(daddr) };
    char *buf = calloc(1, size);
    long sent = 0, acked = 0, base = 0, stalls = 0, last = now_ms();

    while (acked < n) {
        struct pollfd p = { .fd = s, .events = POLLIN };
        uint32_t a;

        while (sent < n && sent - acked < window) {
            memcpy(buf, &sent, 4);
            if (sendto(s, buf, size, 0, (struct sockaddr *)&to,
                       sizeof(to)) < 0 && errno != ENOBUFS) {
                perror("netpeer: sendto");
                return 1;
            }
            sent++;
        }
        if (poll(&p, 1, 200) <= 0) {
            if (now_ms() - last >= 200) {
                /* lost: the guest's count restarts from what it has */
                stalls++;
                if (stalls > 50 || sent == n)
                    break;
                base += sent - acked;
                acked = sent;
                last = now_ms();
            }
            continue;
        }
        while (recv(s, &a, sizeof(a), MSG_DONTWAIT) == sizeof(a)) {
            if ((long)a + base > acked)
                acked = (long)a + base;
            last = now_ms();
        }
    }
    printf("sent=%ld acked=%ld stalls=%ld\n", sent, acked - base, stalls);
    return 0;
}

int main(int argc, char **argv)
{
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "sink"))
        return sink(argc == 6 ? argv[5] : "127.0.0.1", atoi(argv[2]),
                    atol(argv[3]), atoi(argv[4]));
    if (argc >= 7 && argc <= 9 && !strcmp(argv[1], "source"))
        return source(argc >= 8 ? argv[7] : "127.0.0.1", atoi(argv[2]),
                      argc == 9 ? argv[8] : "127.0.0.1", atoi(argv[3]),
                      atol(argv[4]), atol(argv[5]), atol(argv[6]));
    fprintf(stderr, "usage: netpeer sink PORT N IDLE_MS [ADDR] | "
            "netpeer source DPORT ACKPORT N WINDOW SIZE [DADDR [ADDR]]\n");
    return 2;
}
