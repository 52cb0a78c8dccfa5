/* px-spawn.h — run a site's external command (copy tool, validation or
 * deletion hook) in its own process group with a timeout, its stdout and
 * stderr captured together for the logs. */
#pragma once

#include <glib.h>

typedef enum
{
  PX_SPAWN_EXITED,    /* *status holds the exit status */
  PX_SPAWN_SIGNALLED, /* killed by a signal not ours; *status = 128 + signal */
  PX_SPAWN_TIMEOUT,   /* we killed it after TIMEOUT seconds */
  PX_SPAWN_CANCELLED, /* we killed it because CANCELLED() said so */
  PX_SPAWN_FAILED,    /* could not start it; the error says why */
} PxSpawnOutcome;

/* Run ARGV (searched in PATH, stdin from /dev/null).  TIMEOUT in seconds (0:
 * none); CANCELLED polled every 100 ms (may be NULL).  OUTPUT (may be NULL)
 * gets at most 64 KiB of what the command printed, without a trailing
 * newline. */
PxSpawnOutcome px_spawn_run (const char *const *argv, double timeout, gboolean (*cancelled) (void), int *status,
                             GString *output, GError **error);
