#ifndef RECONCILER_CLIBGIT2_SHIM_H
#define RECONCILER_CLIBGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/stream.h>

/*
 * reconciler_socket_stream below copies the layout of a private libgit2 struct, so it is only right for the libgit2
 * versions it was checked against. Another version must be checked by hand before it is built with: compare
 * `git_socket_stream` in libgit2's src/libgit2/streams/socket.h (src/streams/socket.h before 1.4) with the first
 * four fields below, then widen this range. Checked: 1.5 (built and tested against a real sshd on this project's
 * machines) through 1.9 (the struct read unchanged in libgit2's sources).
 */
#define RECONCILER_LIBGIT2_CHECKED_MIN 105
#define RECONCILER_LIBGIT2_CHECKED_MAX 109
#if !defined(LIBGIT2_VER_MAJOR) || !defined(LIBGIT2_VER_MINOR)
#error "reconciler: <git2.h> does not define LIBGIT2_VER_MAJOR/LIBGIT2_VER_MINOR; cannot check the libgit2 version the private git_socket_stream layout in shim.h was checked against"
#elif (LIBGIT2_VER_MAJOR * 100 + LIBGIT2_VER_MINOR) < RECONCILER_LIBGIT2_CHECKED_MIN || (LIBGIT2_VER_MAJOR * 100 + LIBGIT2_VER_MINOR) > RECONCILER_LIBGIT2_CHECKED_MAX
#error "reconciler: this libgit2 version is outside 1.5-1.9, the versions whose private git_socket_stream layout Sources/CLibGit2/shim.h copies; compare libgit2's src/libgit2/streams/socket.h with reconciler_socket_stream in shim.h, then widen RECONCILER_LIBGIT2_CHECKED_MIN/MAX"
#endif

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
