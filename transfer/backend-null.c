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
  g_autoptr(GUri) uri = g_strcmp0 (g_uri_peek_scheme (pfn), "null") == 0 ? g_uri_parse (pfn, G_URI_FLAGS_NONE, NULL)
                                                                        : NULL;
  if (!uri)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "'%s' is not a null:// URL", pfn);
      return FALSE;
    }
  u->path = g_strdup (g_uri_get_path (uri));
  const char *query = g_uri_get_query (uri);
  if (query)
    {
      g_autoptr(GHashTable) params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
      if (!params)
        {
          g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "null: bad query in '%s'", pfn);
          g_free (u->path);
          return FALSE;
        }
      GHashTableIter it;
      gpointer key, value;
      g_hash_table_iter_init (&it, params);
      while (g_hash_table_iter_next (&it, &key, &value))
        {
          const char *k = key, *v = value;
          if (strcmp (k, "size") == 0) u->size = g_ascii_strtoll (v, NULL, 10);
          else if (strcmp (k, "time") == 0) u->time = g_ascii_strtod (v, NULL);
          else if (strcmp (k, "fail") == 0) u->fail = parse_count (v);
          else if (strcmp (k, "corrupt") == 0) u->corrupt = parse_count (v);
          else if (strcmp (k, "truncate") == 0) u->truncate = g_ascii_strtoll (v, NULL, 10);
          else
            {
              g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                           "null: unknown parameter '%s' in '%s' (known: size, time, fail, corrupt, truncate)",
                           k, pfn);
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
