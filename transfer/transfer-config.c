/* transfer-config.c — the [transfer] group of a site's config: its keys,
 * bound to PxTransferSettings, and turned into the PxTransferConfig every
 * backend reads.  The agents load the file; what the keys mean lives here. */
#include "config.h"
#include "transfer.h"
#include <string.h>

const PxConfigKey px_transfer_config_keys[] = {
#define F(m) PX_CONFIG_FIELD (PxTransferSettings, m)
  { "transfer", "command", PX_CONFIG_STRING, "", TRUE,
    "copy every file with this site tool, run as 'CMD FROM_PFN TO_PFN' (the PhEDEx Command backend); empty: "
    "the backend for the PFN's URL scheme (file, gridftp, curl)", F (command) },
  { "transfer", "checksums", PX_CONFIG_LIST, "adler32", TRUE,
    "checksums computed on the bytes of a copy (as they stream, or read back from a local destination): "
    "adler32 (always; the CMS checksum of record) and optionally cksum (SIMD like adler32: doubles the "
    "checksum's CPU, still far below the copy's)", F (checksums) },
  { "transfer", "gridftp-streams", PX_CONFIG_INT, "4", TRUE, "parallel TCP streams per GridFTP copy (1: stream mode)",
    F (gridftp_streams) },
  { "transfer", "gridftp-tcp-buffer", PX_CONFIG_COUNT, "0", TRUE,
    "TCP buffer size in bytes for GridFTP data channels; 0: the system's autotuning", F (gridftp_tcp_buffer) },
  { "transfer", "ca-dir", PX_CONFIG_STRING, "", TRUE,
    "CA certificates for https/davs (a hashed directory or a PEM bundle); empty: the system's", F (ca_dir) },
  { "transfer", "cert", PX_CONFIG_STRING, "", TRUE, "client certificate (PEM) for https/davs; empty: none", F (cert) },
  { "transfer", "key", PX_CONFIG_STRING, "", TRUE, "client key (PEM) for https/davs; empty: the key is in cert",
    F (key) },
#undef F
  { NULL }
};

static char *
empty_null (const char *s)
{
  return s && *s ? (char *) s : NULL;
}

gboolean
px_transfer_configure_from (const PxConfig *cfg, GError **error)
{
  PxTransferSettings set;
  px_config_bind (cfg, px_transfer_config_keys, &set);
  g_auto(GStrv) command = NULL;
  if (*set.command)
    {
      g_autoptr(GError) e = NULL;
      if (!g_shell_parse_argv (set.command, NULL, &command, &e))
        {
          g_set_error (error, PX_CONFIG_ERROR, PX_CONFIG_ERROR_INVALID, "%s: [transfer] command = '%s': %s",
                       px_config_path (cfg), set.command, e->message);
          return FALSE;
        }
    }
  guint algos = 0;
  for (char **c = set.checksums; *c; c++)
    if (strcmp (*c, "adler32") == 0)
      algos |= PX_CHECKSUM_ADLER32;
    else if (strcmp (*c, "cksum") == 0)
      algos |= PX_CHECKSUM_CKSUM;
    else
      {
        g_set_error (error, PX_CONFIG_ERROR, PX_CONFIG_ERROR_INVALID,
                     "%s: [transfer] checksums: unknown algorithm '%s' (known: adler32, cksum)", px_config_path (cfg),
                     *c);
        return FALSE;
      }
  PxTransferConfig tc = {
    .checksums = algos,
    .gridftp_streams = (int) set.gridftp_streams,
    .gridftp_tcp_buffer = (guint64) set.gridftp_tcp_buffer,
    .ca_dir = empty_null (set.ca_dir),
    .cert = empty_null (set.cert),
    .key = empty_null (set.key),
    .command = command,
  };
  px_transfer_configure (&tc);
  return TRUE;
}
