/* transfer.h — moving bytes.  One table of backends, each a const struct of
 * function pointers, chosen by the PFN's URL scheme (gfal2 plugins, curl
 * protocol handlers).  Backends stream bytes through a PxChecksum so the
 * destination's checksum is known without a second read. */
#pragma once

#include <glib.h>
#include "common/px-checksum.h"
#include "common/px-config.h"

#define PX_TRANSFER_ERROR (px_transfer_error_quark ())
GQuark px_transfer_error_quark (void);
typedef enum
{
  PX_TRANSFER_ERROR_TRANSIENT, /* try again later (server down, timeout, disk full) */
  PX_TRANSFER_ERROR_PERMANENT, /* will not work by retrying (no such source, permission) */
  PX_TRANSFER_ERROR_CHECKSUM,  /* bytes arrived but differ */
  PX_TRANSFER_ERROR_CANCELLED, /* the agent is draining */
} PxTransferError;

/* Settings shared by every backend (the [transfer] group of site.conf, or
 * `phedex transfer` options).  Set once before transfers start and again on
 * reload between cycles; backends only read it. */
typedef struct
{
  int gridftp_streams;         /* parallel data streams (MODE E) per gridftp copy; 1 = stream mode */
  guint64 gridftp_tcp_buffer;  /* TCP buffer bytes for gridftp; 0 = system default (autotuning) */
  char *ca_dir;                /* CA certificates for https/davs (NULL: libcurl's default) */
  char *cert, *key;            /* client certificate and key for https/davs (NULL: none) */
  gboolean insecure;           /* https without peer verification (test servers only) */
  char **command;              /* the command backend's argv prefix (NULL: not configured) */
  guint checksums;             /* PxChecksumAlgos computed on streamed bytes (0: adler32 only) */
} PxTransferConfig;

/* The [transfer] group of a site config, as px_config_bind fills it. */
typedef struct
{
  const char *command;
  char **checksums;
  gint64 gridftp_streams, gridftp_tcp_buffer;
  const char *ca_dir, *cert, *key;
} PxTransferSettings;
extern const PxConfigKey px_transfer_config_keys[];
/* Apply the [transfer] settings of CFG (load, and again on reload). */
gboolean px_transfer_configure_from (const PxConfig *cfg, GError **error);

/* Copy CFG (deep) as the settings every backend reads. */
void px_transfer_configure (const PxTransferConfig *cfg);
const PxTransferConfig *px_transfer_config (void);
/* Start a checksum of the algorithms the config asks for (adler32, the CMS
 * checksum of record, always; cksum when configured: it costs as much again). */
void px_transfer_checksum_init (PxChecksum *sum);

typedef struct
{
  const char *source;      /* PFN */
  const char *destination; /* PFN to write (a temporary name) */
  guint64 expected_bytes;  /* from the catalogue */
  int attempt;             /* 1 for the first try (the null backend scripts faults by it) */
  /* Polled between chunks; TRUE stops the copy with _CANCELLED. */
  gboolean (*cancelled) (void);
  double timeout;          /* seconds for the whole copy; 0 = none.  Expiry is a TRANSIENT error. */
  /* Optional: called with the bytes moved so far (performance markers, chunks). */
  void (*progress) (guint64 bytes, gpointer data);
  gpointer progress_data;
} PxTransferRequest;

typedef struct
{
  guint64 bytes;       /* bytes written */
  gboolean have_checksum;
  PxChecksum checksum; /* of the bytes written, when have_checksum */
  /* How the checksum was obtained: "streamed" (computed on the bytes as they
   * passed through us), "server" (the storage computed it, e.g. GridFTP
   * CKSM) or "read-back" (read the destination again). */
  const char *checksum_source;
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
  /* Checksum PFN: read it, or ask the server (verify without a streamed
   * checksum).  *how (static string) says which: "read-back" or "server". */
  gboolean (*checksum) (const char *pfn, PxChecksum *sum, const char **how, GError **error);
} PxTransferBackend;

extern const PxTransferBackend px_transfer_file;
extern const PxTransferBackend px_transfer_null;
extern const PxTransferBackend px_transfer_gridftp; /* gsiftp://, ftp:// (globus-gass-copy) */
extern const PxTransferBackend px_transfer_curl;    /* http(s)://, dav(s):// (libcurl, WebDAV) */
extern const PxTransferBackend px_transfer_command; /* external command per file */

/* The backends chosen by URL scheme, NULL-terminated: every one
 * (transfer/transfer-backends.c), or the local ones alone in the `phedex`
 * launcher (cli/launcher.c), which defines its own so that linking it never
 * pulls libcurl or Globus.  The command backend is chosen by config, not by
 * scheme. */
extern const PxTransferBackend *const px_transfer_backends[];

/* ---- operations: the backend is chosen here, once, per operation (gfal2's
 * gfal_find_plugin / perform_copy), never by another backend ----
 * A plain absolute path or a file:// URL is the file backend's; a URL goes to
 * the backend of its scheme.  A copy goes to the site's command when one is
 * configured; else to the backend that reaches the remote end (a local
 * destination pulls with the source's backend, a remote destination pushes
 * or copies third-party with its own); two local files go to the file
 * backend.  *BACKEND (may be NULL) gets the chosen backend's name. */
gboolean px_transfer_copy (const PxTransferRequest *req, PxTransferResult *res, const char **backend, GError **error);
gboolean px_transfer_stat (const char *pfn, guint64 *bytes, GError **error);
gboolean px_transfer_remove (const char *pfn, GError **error);
/* Within one storage: FROM and TO must belong to the same backend. */
gboolean px_transfer_rename (const char *from, const char *to, GError **error);
gboolean px_transfer_checksum (const char *pfn, PxChecksum *sum, const char **how, GError **error);

/* The backend serving PFN, or NULL with a PERMANENT error. */
const PxTransferBackend *px_transfer_backend_for (const char *pfn, GError **error);

/* Before a short-lived process (a `phedex` command) exits: let the GridFTP
 * backend's library finish closing its connections.  A no-op when it was
 * never used. */
void px_transfer_gridftp_shutdown (void);
/* Choose the backend for a copy: the command backend when configured; else
 * the destination's unless it is a plain local file, then the source's (a
 * null:// source steers a local write, a remote source pulls). */
const PxTransferBackend *px_transfer_backend_for_copy (const char *from, const char *to, GError **error);
/* The local path of a file:// URL (no host or localhost) or absolute path,
 * else NULL (parsed with GUri). */
char *px_transfer_local_path (const char *pfn);
/* PFN parsed with GUri (G_URI_FLAGS_ENCODED: the path stays as written), or
 * NULL with a PERMANENT error naming it. */
GUri *px_transfer_parse_url (const char *pfn, GError **error);

void px_transfer_result_init (PxTransferResult *res);
void px_transfer_result_clear (PxTransferResult *res);
