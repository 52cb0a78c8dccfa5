/* backend-command.c — the PhEDEx "Command" backend: a site's own copy tool
 * runs once per file as `COMMAND... FROM_PFN TO_PFN`, in its own process
 * group, with the size-scaled timeout; its output goes into the transfer
 * log.  stat, remove, rename and checksum go to the backend of the PFN's
 * scheme, so verify reads the copy back (the bytes never passed through
 * us). */
#include "config.h"
#include "transfer-private.h"
#include "common/px-spawn.h"

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

  int status = 0;
  g_autoptr(GError) e = NULL;
  switch (px_spawn_run ((const char *const *) argv->pdata, req->timeout, req->cancelled, &status, res->log, &e))
    {
    case PX_SPAWN_FAILED:
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "cannot run transfer command '%s': %s",
                   cfg->command[0], e->message);
      return FALSE;
    case PX_SPAWN_CANCELLED:
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_CANCELLED, "transfer command cancelled");
      return FALSE;
    case PX_SPAWN_TIMEOUT:
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT,
                   "transfer command '%s' killed after the %.0f s timeout", cfg->command[0], req->timeout);
      return FALSE;
    case PX_SPAWN_EXITED:
    case PX_SPAWN_SIGNALLED:
      if (status == 0)
        break;
      /* 126/127: the shell's "cannot execute" / "not found": retrying will not help. */
      g_set_error (error, PX_TRANSFER_ERROR,
                   status == 126 || status == 127 ? PX_TRANSFER_ERROR_PERMANENT : PX_TRANSFER_ERROR_TRANSIENT,
                   "transfer command '%s' exited with status %d", cfg->command[0], status);
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
