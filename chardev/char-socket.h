/*
 * The socket chardev's state, shared by its run-time half (char-socket.c:
 * peers, input, output) and its opening half (char-socket-open.c).
 */
#ifndef CHARDEV_CHAR_SOCKET_H
#define CHARDEV_CHAR_SOCKET_H

#include "chardev/char.h"

#include <sys/socket.h>

typedef struct SocketChardev {
    int listen_fd;          /* -1: a client socket (server=off) */
    int fd;                 /* the peer, -1 if none (under write_lock) */
    bool dead;              /* a writer gave up on the peer (under write_lock) */
    bool is_tcp;
    bool nodelay;
    GByteArray *outbuf;     /* not yet taken by the peer (under write_lock) */
    bool out_kick;          /* an idle to arm out_watch is queued (lock) */
    guint listen_watch, read_watch, out_watch;   /* main loop only */
    char *addr;             /* "unix:/p", "tcp:127.0.0.1:4444" */
    char *unlink_path;      /* the socket file we bound, removed at exit */
} SocketChardev;

extern const ChardevOps socket_chr_ops;

/* "unix:/p", "tcp:h:p", "tcp:[v6]:p" */
char *sockaddr_to_str(const struct sockaddr *sa, socklen_t len);
/* filename for query-chardev, with or without a peer (peer_fd < 0) */
void socket_update_filename(Chardev *chr, int peer_fd);
/* Main loop (or start-up): fd is the peer now; OPENED goes out. */
void socket_connected(Chardev *chr, int fd);
/* Watch the listening socket for the next client. */
void socket_arm_listen(Chardev *chr);

#endif
