#ifndef RECONCILER_CLIBGIT2_SHIM_H
#define RECONCILER_CLIBGIT2_SHIM_H
#include <git2.h>
#endif
