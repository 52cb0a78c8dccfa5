/* backend-null.c — the test double, steered by the URL's query like gfal2's
 * mock plugin:
 *   null:///abs/path?time=S&fail=N&corrupt=N&truncate=B&size=B
 * path      copy this local file (omit with size= to generate bytes)
 * size=B    generate B pseudo-random bytes (seeded by the path) instead
 * time=S    take S seconds (fractions allowed), cancellable
 * fail=N    fail attempts 1..N with a transient error ('always': every one)
 * corrupt=N corrupt one byte in flight on attempts 1..N ('always')
 * truncate=B stop after B bytes (a short copy) on every attempt
 * The destination must be local; it receives real bytes. */
#include "config.h"
#include "transfer-private.h"
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

typedef struct
{
  char *path;
  gint64 size;
  double time;
  int fail;     /* attempts that fail; G_MAXINT = always */
  int corrupt;
  gint64 truncate;
} NullUrl;

static int
parse_count (const char *v)
{
  return strcmp (v, "always") == 0 ? G_MAXINT : atoi (v);
}

static gboolean
parse_url (const char *pfn, NullUrl *u, GError **error)
{
  memset (u, 0, sizeof *u);
  u->size = -1;
  u->truncate = -1;
  if (g_ascii_strncasecmp (pfn, "null://", 7) != 0)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "'%s' is not a null:// URL", pfn);
      return FALSE;
    }
  const char *rest = pfn + 7;
  const char *q = strchr (rest, '?');
  g_autofree char *path = q ? g_strndup (rest, q - rest) : g_strdup (rest);
  u->path = g_uri_unescape_string (path, NULL);
  if (q)
    {
      g_auto(GStrv) kv = g_strsplit (q + 1, "&", -1);
      for (guint i = 0; kv[i]; i++)
        {
          char *eq = strchr (kv[i], '=');
          if (!eq)
            continue;
          *eq = '\0';
          const char *v = eq + 1;
          if (strcmp (kv[i], "size") == 0) u->size = g_ascii_strtoll (v, NULL, 10);
          else if (strcmp (kv[i], "time") == 0) u->time = g_ascii_strtod (v, NULL);
          else if (strcmp (kv[i], "fail") == 0) u->fail = parse_count (v);
          else if (strcmp (kv[i], "corrupt") == 0) u->corrupt = parse_count (v);
          else if (strcmp (kv[i], "truncate") == 0) u->truncate = g_ascii_strtoll (v, NULL, 10);
          else
            {
              g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                           "null: unknown parameter '%s' in '%s' (known: size, time, fail, corrupt, truncate)",
                           kv[i], pfn);
              g_free (u->path);
              return FALSE;
            }
        }
    }
  return TRUE;
}

static gboolean
null_copy (const PxTransferRequest *req, PxTransferResult *res, GError **error)
{
  NullUrl u;
  if (!parse_url (req->source, &u, error))
    return FALSE;
  g_autofree char *src = u.path;
  g_autofree char *dst = px_transfer_local_path (req->destination);
  if (!dst)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                   "null: destination '%s' must be a local path", req->destination);
      return FALSE;
    }
  for (double waited = 0; waited < u.time; waited += 0.05)
    {
      if (req->cancelled && req->cancelled ())
        {
          g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_CANCELLED, "null: copy to '%s' cancelled", dst);
          return FALSE;
        }
      if (req->timeout > 0 && waited >= req->timeout)
        {
          g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT,
                       "null: copy to '%s' timed out after %.1f s (timeout %.1f s)", dst, waited, req->timeout);
          return FALSE;
        }
      g_usleep (50000);
    }
  if (req->attempt <= u.fail)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT,
                   "null: scripted failure on attempt %d (fail=%s)", req->attempt,
                   u.fail == G_MAXINT ? "always" : "N");
      return FALSE;
    }
  PxStreamFaults f = { .corrupt = req->attempt <= u.corrupt, .truncate_at = u.truncate, .generate = u.size,
                       .seed = g_str_hash (src) };
  return px_transfer_stream_local (src, dst, req, &f, res, error);
}

static gboolean
null_stat (const char *pfn, guint64 *bytes, GError **error)
{
  NullUrl u;
  if (!parse_url (pfn, &u, error))
    return FALSE;
  g_autofree char *path = u.path;
  if (u.size >= 0)
    {
      *bytes = (guint64) u.size;
      return TRUE;
    }
  return px_transfer_file.stat (path, bytes, error);
}

static gboolean
null_remove (const char *pfn, GError **error)
{
  return TRUE;
}

static gboolean
null_rename (const char *from, const char *to, GError **error)
{
  return TRUE;
}

static gboolean
null_checksum (const char *pfn, PxChecksum *sum, const char **how, GError **error)
{
  NullUrl u;
  if (!parse_url (pfn, &u, error))
    return FALSE;
  g_autofree char *path = u.path;
  return px_transfer_file.checksum (path, sum, how, error);
}

static const char *const null_schemes[] = { "null", NULL };

const PxTransferBackend px_transfer_null = {
  .name = "null",
  .schemes = null_schemes,
  .copy = null_copy,
  .stat = null_stat,
  .remove = null_remove,
  .rename = null_rename,
  .checksum = null_checksum,
};
