/* pool.h — a node's replicas as a POOL XML file catalogue, the format CMS
 * jobs read to open files (<POOLFILECATALOG><File ID=GUID><physical><pfn>
 * <logical><lfn>).  Written with libxml2's streaming writer to a temporary
 * file renamed into place, so readers never see half a catalogue. */
#pragma once

#include <glib.h>
#include "lfn2pfn/tfc.h"

/* The File ID of LFN: a name-based (version 5) UUID, so every export gives a
 * file the same GUID without storing one. */
char *px_pool_guid (const char *lfn);

/* Write the LFNS (NULL-terminated) of NODE with PFNs from TFC's PROTOCOL
 * rules to PATH ("-" = stdout).  An LFN the catalogue cannot map is left
 * out and counted in *UNMAPPED.  FALSE with an error if PATH cannot be written. */
gboolean px_pool_write (const char *path, const char *const *lfns, const PxTfc *tfc, const char *protocol,
                        const char *node, guint *written, guint *unmapped, GError **error);

/* ---- reading (catalog/pool-read.c) ---- */
#define PX_POOL_ERROR (px_pool_error_quark ())
GQuark px_pool_error_quark (void);
typedef enum
{
  PX_POOL_ERROR_PARSE,   /* not well-formed XML, or unreadable */
  PX_POOL_ERROR_INVALID, /* well-formed, but not a POOL catalogue */
} PxPoolErrorCode;

/* One <File>: its ID and the names of its <pfn>s and <lfn>s, in order
 * (either may be empty: CMSSW writes <logical/>). */
typedef struct
{
  char *guid;
  char **pfns; /* NULL-terminated */
  char **lfns; /* NULL-terminated */
} PxPoolFile;

void px_pool_file_free (PxPoolFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxPoolFile, px_pool_file_free)

/* Read SIZE bytes of DATA as a POOL XML file catalogue: a GPtrArray of
 * PxPoolFile in input order (freeing it frees them).  NAME stands for the
 * file in messages ("cat.xml:7: <pfn> needs a name attribute").  <META> and
 * <metadata> are allowed and skipped; any other element, a File without an
 * ID or an ID given twice is an error. */
GPtrArray *px_pool_parse (const char *data, gsize size, const char *name, GError **error);
/* The same from PATH. */
GPtrArray *px_pool_parse_file (const char *path, GError **error);

typedef struct _PxTmdb PxTmdb;
/* Export NODE's good replicas with the storage.xml its agents uploaded. */
gboolean px_pool_export_node (PxTmdb *db, const char *node, const char *protocol, const char *path, guint *written,
                              guint *unmapped, GError **error);
