#include "config.h"
#include "transfer.h"
#include <string.h>

G_DEFINE_QUARK (px-transfer-error-quark, px_transfer_error)

static const PxTransferBackend *const backends[] = {
  &px_transfer_file,
  &px_transfer_null,
  &px_transfer_gridftp,
  &px_transfer_curl,
};

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

static char *
scheme_of (const char *pfn)
{
  if (pfn[0] == '/')
    return g_strdup ("");
  const char *colon = strstr (pfn, "://");
  if (!colon)
    return NULL;
  return g_ascii_strdown (pfn, colon - pfn);
}

const PxTransferBackend *
px_transfer_backend_for (const char *pfn, GError **error)
{
  g_autofree char *scheme = scheme_of (pfn);
  if (scheme)
    for (gsize i = 0; i < G_N_ELEMENTS (backends); i++)
      for (const char *const *s = backends[i]->schemes; *s; s++)
        if (strcmp (*s, scheme) == 0)
          return backends[i];
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
  if (g_ascii_strncasecmp (pfn, "file://", 7) == 0)
    {
      const char *p = pfn + 7;
      if (*p != '/')
        {
          /* file://host/path: only localhost is local */
          if (g_ascii_strncasecmp (p, "localhost/", 10) != 0)
            return NULL;
          p += 9;
        }
      return g_uri_unescape_string (p, NULL);
    }
  return NULL;
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
