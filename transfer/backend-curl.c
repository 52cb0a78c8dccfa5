/* backend-curl.c — STUB, being written (see #4).  Every call fails PERMANENT. */
#include "config.h"
#include "transfer-private.h"

static gboolean
unbuilt (GError **error)
{
  g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "the curl backend is not built yet");
  return FALSE;
}

static gboolean
b_copy (const PxTransferRequest *req, PxTransferResult *res, GError **error)
{
  return unbuilt (error);
}
static gboolean
b_stat (const char *pfn, guint64 *bytes, GError **error)
{
  return unbuilt (error);
}
static gboolean
b_remove (const char *pfn, GError **error)
{
  return unbuilt (error);
}
static gboolean
b_rename (const char *from, const char *to, GError **error)
{
  return unbuilt (error);
}
static gboolean
b_checksum (const char *pfn, PxChecksum *sum, const char **how, GError **error)
{
  return unbuilt (error);
}

static const char *const schemes[] = { "http", "https", "dav", "davs", NULL };
const PxTransferBackend px_transfer_curl = {
  .name = "curl", .schemes = schemes, .copy = b_copy, .stat = b_stat, .remove = b_remove,
  .rename = b_rename, .checksum = b_checksum,
};
