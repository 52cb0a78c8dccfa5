#include "config.h"
#include "transfer.h"
#include <string.h>

G_DEFINE_QUARK (px-transfer-error-quark, px_transfer_error)

static PxTransferConfig config = { .gridftp_streams = 1 };

void
px_transfer_configure (const PxTransferConfig *cfg)
{
  g_free (config.ca_dir);
  g_free (config.cert);
  g_free (config.key);
  g_strfreev (config.command);
  config = *cfg;
  config.ca_dir = g_strdup (cfg->ca_dir);
  config.cert = g_strdup (cfg->cert);
  config.key = g_strdup (cfg->key);
  config.command = g_strdupv (cfg->command);
}

const PxTransferConfig *
px_transfer_config (void)
{
  return &config;
}

void
px_transfer_checksum_init (PxChecksum *sum)
{
  px_checksum_init (sum);
  sum->algos = PX_CHECKSUM_ADLER32 | (config.checksums & PX_CHECKSUM_CKSUM);
}

/* "" for a plain absolute path, else the URL's scheme (lower case), or NULL. */
static char *
scheme_of (const char *pfn)
{
  if (pfn[0] == '/')
    return g_strdup ("");
  return g_strdup (g_uri_peek_scheme (pfn));
}

GUri *
px_transfer_parse_url (const char *pfn, GError **error)
{
  g_autoptr(GError) e = NULL;
  GUri *u = g_uri_parse (pfn, G_URI_FLAGS_ENCODED | G_URI_FLAGS_SCHEME_NORMALIZE, &e);
  if (!u)
    g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "'%s' is not a URL: %s", pfn, e->message);
  return u;
}

const PxTransferBackend *
px_transfer_backend_for (const char *pfn, GError **error)
{
  g_autofree char *scheme = scheme_of (pfn);
  if (scheme)
    for (const PxTransferBackend *const *be = px_transfer_backends; *be; be++)
      for (const char *const *s = (*be)->schemes; *s; s++)
        if (strcmp (*s, scheme) == 0)
          return *be;
  g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
               "no transfer backend for '%s' (scheme '%s'; served: file://, plain paths, gsiftp://, ftp://, "
               "http(s)://, dav(s)://, null://)", pfn,
               scheme ? scheme : "?");
  return NULL;
}

const PxTransferBackend *
px_transfer_backend_for_copy (const char *from, const char *to, GError **error)
{
  if (config.command && config.command[0])
    return &px_transfer_command;
  const PxTransferBackend *dst = px_transfer_backend_for (to, error);
  if (!dst)
    return NULL;
  if (dst != &px_transfer_file)
    return dst;
  return px_transfer_backend_for (from, error);
}

char *
px_transfer_local_path (const char *pfn)
{
  if (pfn[0] == '/')
    return g_strdup (pfn);
  if (g_strcmp0 (g_uri_peek_scheme (pfn), "file") != 0)
    return NULL;
  g_autoptr(GUri) u = g_uri_parse (pfn, G_URI_FLAGS_NONE, NULL);
  if (!u)
    return NULL;
  const char *host = g_uri_get_host (u);
  if (host && *host && g_ascii_strcasecmp (host, "localhost") != 0)
    return NULL; /* file://host/path: only localhost is local */
  return g_strdup (g_uri_get_path (u));
}

gboolean
px_transfer_copy (const PxTransferRequest *req, PxTransferResult *res, const char **backend, GError **error)
{
  const PxTransferBackend *be = px_transfer_backend_for_copy (req->source, req->destination, error);
  if (backend)
    *backend = be ? be->name : "none";
  return be && be->copy (req, res, error);
}

gboolean
px_transfer_stat (const char *pfn, guint64 *bytes, GError **error)
{
  const PxTransferBackend *be = px_transfer_backend_for (pfn, error);
  return be && be->stat (pfn, bytes, error);
}

gboolean
px_transfer_remove (const char *pfn, GError **error)
{
  const PxTransferBackend *be = px_transfer_backend_for (pfn, error);
  return be && be->remove (pfn, error);
}

gboolean
px_transfer_rename (const char *from, const char *to, GError **error)
{
  const PxTransferBackend *a = px_transfer_backend_for (from, error);
  const PxTransferBackend *b = a ? px_transfer_backend_for (to, error) : NULL;
  if (!b)
    return FALSE;
  if (a != b)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                   "cannot rename '%s' to '%s': they are on different storage (%s, %s)", from, to, a->name, b->name);
      return FALSE;
    }
  return a->rename (from, to, error);
}

gboolean
px_transfer_checksum (const char *pfn, PxChecksum *sum, const char **how, GError **error)
{
  const PxTransferBackend *be = px_transfer_backend_for (pfn, error);
  return be && be->checksum (pfn, sum, how, error);
}

void
px_transfer_result_init (PxTransferResult *res)
{
  memset (res, 0, sizeof *res);
  res->log = g_string_new (NULL);
}

void
px_transfer_result_clear (PxTransferResult *res)
{
  if (res->log)
    g_string_free (res->log, TRUE);
  res->log = NULL;
}
