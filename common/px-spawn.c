#include "px-spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUTPUT_MAX (64 * 1024)

static void
child_setup (gpointer unused)
{
  setpgid (0, 0); /* so a timeout kills the whole tool, helpers included */
}

/* SIGTERM the group, then SIGKILL after a second; reaps the child. */
static void
kill_group (GPid pid)
{
  kill (-pid, SIGTERM);
  for (int i = 0; i < 20; i++)
    {
      if (waitpid (pid, NULL, WNOHANG) == pid)
        return;
      g_usleep (50000);
    }
  kill (-pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

PxSpawnOutcome
px_spawn_run (const char *const *argv, double timeout, gboolean (*cancelled) (void), int *status, GString *output,
              GError **error)
{
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    {
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "cannot make a pipe: %s", g_strerror (errno));
      return PX_SPAWN_FAILED;
    }
  GPid pid;
  gboolean spawned = g_spawn_async_with_pipes_and_fds (NULL, argv, NULL,
                                                       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD
                                                         | G_SPAWN_STDIN_FROM_DEV_NULL,
                                                       child_setup, NULL, -1, pipefd[1], pipefd[1], NULL, NULL, 0,
                                                       &pid, NULL, NULL, NULL, error);
  close (pipefd[1]);
  if (!spawned)
    {
      close (pipefd[0]);
      return PX_SPAWN_FAILED;
    }
  gint64 deadline = timeout > 0 ? g_get_monotonic_time () + (gint64) (timeout * G_USEC_PER_SEC) : 0;
  gboolean reading = TRUE;
  PxSpawnOutcome outcome;
  int wstatus = 0;
  for (;;)
    {
      struct pollfd p = { pipefd[0], POLLIN, 0 };
      if (reading && poll (&p, 1, 100) > 0)
        {
          char buf[4096];
          ssize_t n = read (pipefd[0], buf, sizeof buf);
          if (n > 0 && output && output->len < OUTPUT_MAX)
            g_string_append_len (output, buf, MIN ((gsize) n, OUTPUT_MAX - output->len));
          else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            reading = FALSE;
        }
      else if (!reading)
        g_usleep (20000);
      if (waitpid (pid, &wstatus, WNOHANG) == pid)
        {
          outcome = WIFEXITED (wstatus) ? PX_SPAWN_EXITED : PX_SPAWN_SIGNALLED;
          *status = WIFEXITED (wstatus) ? WEXITSTATUS (wstatus) : 128 + WTERMSIG (wstatus);
          break;
        }
      if (cancelled && cancelled ())
        {
          kill_group (pid);
          outcome = PX_SPAWN_CANCELLED;
          *status = -1;
          break;
        }
      if (deadline && g_get_monotonic_time () > deadline)
        {
          kill_group (pid);
          outcome = PX_SPAWN_TIMEOUT;
          *status = -1;
          break;
        }
    }
  /* What is still in the pipe; non-blocking, since a helper the command
   * left behind may hold the pipe open. */
  fcntl (pipefd[0], F_SETFL, O_NONBLOCK);
  char buf[4096];
  ssize_t n;
  while (reading && output && output->len < OUTPUT_MAX && (n = read (pipefd[0], buf, sizeof buf)) > 0)
    g_string_append_len (output, buf, MIN ((gsize) n, OUTPUT_MAX - output->len));
  close (pipefd[0]);
  g_spawn_close_pid (pid);
  while (output && output->len && g_ascii_isspace (output->str[output->len - 1]))
    g_string_truncate (output, output->len - 1);
  return outcome;
}
