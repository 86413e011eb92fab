#ifndef RECONCILER_CLIBGIT2_SHIM_H
#define RECONCILER_CLIBGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/stream.h>

/*
 * The reconciler's replacement for libgit2's plain socket stream (registered with
 * git_stream_register(GIT_STREAM_STANDARD, ...), implemented in Sources/Git/SocketStream.swift).
 *
 * The first four fields mirror libgit2's private `git_socket_stream` (streams/socket.h, unchanged
 * from 0.28 to 1.9): the SSH transport reaches into it with GIT_CONTAINER_OF to hand the socket `s`
 * to libssh2, so this layout must stay exactly so. `context` is ours.
 */
typedef struct {
    git_stream parent;
    char *host;
    char *port;
    int s;
    void *context;
} reconciler_socket_stream;

#endif
