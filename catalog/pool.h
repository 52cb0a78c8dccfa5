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

typedef struct _PxTmdb PxTmdb;
/* Export NODE's good replicas with the storage.xml its agents uploaded. */
gboolean px_pool_export_node (PxTmdb *db, const char *node, const char *protocol, const char *path, guint *written,
                              guint *unmapped, GError **error);
