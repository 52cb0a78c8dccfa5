/* transfer.h — moving bytes.  One table of backends, each a const struct of
 * function pointers, chosen by the PFN's URL scheme (gfal2 plugins, curl
 * protocol handlers).  Backends stream bytes through a PxChecksum so the
 * destination's checksum is known without a second read. */
#pragma once

#include <glib.h>
#include "common/px-checksum.h"

#define PX_TRANSFER_ERROR (px_transfer_error_quark ())
GQuark px_transfer_error_quark (void);
typedef enum
{
  PX_TRANSFER_ERROR_TRANSIENT, /* try again later (server down, timeout, disk full) */
  PX_TRANSFER_ERROR_PERMANENT, /* will not work by retrying (no such source, permission) */
  PX_TRANSFER_ERROR_CHECKSUM,  /* bytes arrived but differ */
  PX_TRANSFER_ERROR_CANCELLED, /* the agent is draining */
} PxTransferError;

typedef struct
{
  const char *source;      /* PFN */
  const char *destination; /* PFN to write (a temporary name) */
  guint64 expected_bytes;  /* from the catalogue */
  int attempt;             /* 1 for the first try (the null backend scripts faults by it) */
  /* Polled between chunks; TRUE stops the copy with _CANCELLED. */
  gboolean (*cancelled) (void);
} PxTransferRequest;

typedef struct
{
  guint64 bytes;       /* bytes written */
  gboolean have_checksum;
  PxChecksum checksum; /* of the bytes written, when have_checksum */
  GString *log;        /* what happened, for the errors table */
} PxTransferResult;

typedef struct
{
  const char *name;
  const char *const *schemes; /* URL schemes served; "" = a plain absolute path */
  /* Copy source to destination, creating parent directories; on failure
   * nothing complete-looking is left at destination. */
  gboolean (*copy) (const PxTransferRequest *req, PxTransferResult *res, GError **error);
  /* Size of PFN; PERMANENT error when it does not exist. */
  gboolean (*stat) (const char *pfn, guint64 *bytes, GError **error);
  /* Remove PFN; a missing file is success. */
  gboolean (*remove) (const char *pfn, GError **error);
  /* Rename within one storage (publish). */
  gboolean (*rename) (const char *from, const char *to, GError **error);
  /* Read PFN and checksum it (verify without a streamed checksum). */
  gboolean (*checksum) (const char *pfn, PxChecksum *sum, GError **error);
} PxTransferBackend;

extern const PxTransferBackend px_transfer_file;
extern const PxTransferBackend px_transfer_null;

/* The backend serving PFN, or NULL with a PERMANENT error. */
const PxTransferBackend *px_transfer_backend_for (const char *pfn, GError **error);
/* Choose the backend for a copy: the destination's unless it is a plain
 * local file, then the source's (a null:// source steers a local write). */
const PxTransferBackend *px_transfer_backend_for_copy (const char *from, const char *to, GError **error);
/* The local path of a file:// URL or absolute path, else NULL. */
char *px_transfer_local_path (const char *pfn);

void px_transfer_result_init (PxTransferResult *res);
void px_transfer_result_clear (PxTransferResult *res);
