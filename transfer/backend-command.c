/* backend-command.c — the PhEDEx "Command" backend: a site's own copy tool
 * runs once per file as `COMMAND... FROM_PFN TO_PFN`, in its own process
 * group, with the size-scaled timeout; its output goes into the transfer
 * log.  stat, remove, rename and checksum go to the backend of the PFN's
 * scheme, so verify reads the copy back (the bytes never passed through
 * us). */
#include "config.h"
#include "transfer-private.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_MAX (64 * 1024)

static void
child_setup (gpointer unused)
{
  setpgid (0, 0);
}

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

static gboolean
command_copy (const PxTransferRequest *req, PxTransferResult *res, GError **error)
{
  const PxTransferConfig *cfg = px_transfer_config ();
  if (!cfg->command || !cfg->command[0])
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "no transfer command configured");
      return FALSE;
    }
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  for (char **c = cfg->command; *c; c++)
    g_ptr_array_add (argv, *c);
  g_ptr_array_add (argv, (char *) req->source);
  g_ptr_array_add (argv, (char *) req->destination);
  g_ptr_array_add (argv, NULL);

  GPid pid;
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT, "cannot make a pipe: %s", g_strerror (errno));
      return FALSE;
    }
  int out = pipefd[0];
  g_autoptr(GError) e = NULL;
  /* stdout and stderr both into the log; stdin from /dev/null. */
  gboolean spawned = g_spawn_async_with_pipes_and_fds (NULL, (const char *const *) argv->pdata, NULL,
                                                       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD
                                                         | G_SPAWN_STDIN_FROM_DEV_NULL,
                                                       child_setup, NULL, -1, pipefd[1], pipefd[1], NULL, NULL, 0,
                                                       &pid, NULL, NULL, NULL, &e);
  close (pipefd[1]);
  if (!spawned)
    {
      close (out);
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "cannot run transfer command '%s': %s",
                   cfg->command[0], e->message);
      return FALSE;
    }
  gint64 deadline = req->timeout > 0 ? g_get_monotonic_time () + (gint64) (req->timeout * G_USEC_PER_SEC) : 0;
  g_autoptr(GString) output = g_string_new (NULL);
  int status = 0;
  gboolean open_out = TRUE;
  for (;;)
    {
      if (open_out)
        {
          struct pollfd p = { out, POLLIN, 0 };
          if (poll (&p, 1, 100) > 0)
            {
              char buf[4096];
              ssize_t n = read (out, buf, sizeof buf);
              if (n > 0 && output->len < LOG_MAX)
                g_string_append_len (output, buf, MIN ((gsize) n, LOG_MAX - output->len));
              else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                open_out = FALSE;
            }
        }
      else
        g_usleep (20000);
      pid_t w = waitpid (pid, &status, WNOHANG);
      if (w == pid)
        break;
      if (req->cancelled && req->cancelled ())
        {
          kill_group (pid);
          close (out);
          g_spawn_close_pid (pid);
          g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_CANCELLED, "transfer command cancelled");
          return FALSE;
        }
      if (deadline && g_get_monotonic_time () > deadline)
        {
          kill_group (pid);
          close (out);
          g_spawn_close_pid (pid);
          g_string_append (res->log, g_strchomp (output->str));
          g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT,
                       "transfer command '%s' killed after the %.0f s timeout", cfg->command[0], req->timeout);
          return FALSE;
        }
    }
  close (out);
  g_spawn_close_pid (pid);
  g_string_append (res->log, g_strchomp (output->str));
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      int code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
      /* 126/127: the shell's "cannot execute" / "not found": retrying will not help. */
      g_set_error (error, PX_TRANSFER_ERROR,
                   code == 126 || code == 127 ? PX_TRANSFER_ERROR_PERMANENT : PX_TRANSFER_ERROR_TRANSIENT,
                   "transfer command '%s' exited with status %d", cfg->command[0], code);
      return FALSE;
    }
  /* The bytes did not pass through us: size from the destination, no checksum. */
  const PxTransferBackend *be = px_transfer_backend_for (req->destination, error);
  if (!be || !be->stat (req->destination, &res->bytes, error))
    {
      g_prefix_error (error, "transfer command succeeded but the copy cannot be checked: ");
      return FALSE;
    }
  res->have_checksum = FALSE;
  if (res->log->len)
    g_string_append (res->log, "; ");
  g_string_append_printf (res->log, "command copied %" G_GUINT64_FORMAT " bytes", res->bytes);
  return TRUE;
}

#define DELEGATE(call, pfn, ...) \
  const PxTransferBackend *be = px_transfer_backend_for (pfn, error); \
  return be && be->call (__VA_ARGS__)

static gboolean
command_stat (const char *pfn, guint64 *bytes, GError **error)
{
  DELEGATE (stat, pfn, pfn, bytes, error);
}

static gboolean
command_remove (const char *pfn, GError **error)
{
  DELEGATE (remove, pfn, pfn, error);
}

static gboolean
command_rename (const char *from, const char *to, GError **error)
{
  DELEGATE (rename, to, from, to, error);
}

static gboolean
command_checksum (const char *pfn, PxChecksum *sum, const char **how, GError **error)
{
  DELEGATE (checksum, pfn, pfn, sum, how, error);
}

static const char *const command_schemes[] = { NULL };

const PxTransferBackend px_transfer_command = {
  .name = "command",
  .schemes = command_schemes,
  .copy = command_copy,
  .stat = command_stat,
  .remove = command_remove,
  .rename = command_rename,
  .checksum = command_checksum,
};
