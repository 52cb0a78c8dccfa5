/* inject.h — the PhEDEx injection XML, read and checked without a database:
 *   <data version="2.0"><dbs name=".."><dataset name=".." is-open="y|n">
 *     <block name=".." is-open="y|n"><file name="LFN" bytes="N" checksum="adler32:..,cksum:.."/>
 * Every file comes out as one record with its block and dataset; sizes are
 * whole numbers and checksums are normalised (px_checksum_normalise).  Blocks
 * without files are allowed and give no record.  `phedex inject` loads the
 * records into the TMDB. */
#pragma once

#include <glib.h>
#include "tmdb/tmdb.h"
#include "lfn2pfn/tfc.h"

#define PX_INJECT_ERROR (px_inject_error_quark ())
GQuark px_inject_error_quark (void);
typedef enum
{
  PX_INJECT_ERROR_PARSE,   /* not well-formed XML, or unreadable */
  PX_INJECT_ERROR_INVALID, /* well-formed, but not a valid injection */
  PX_INJECT_ERROR_NOT_PRESENT, /* files not at the node as described (or no storage.xml to look) */
  PX_INJECT_ERROR_CONFLICT,    /* duplicates, or conflicts with the catalogue */
} PxInjectErrorCode;

typedef struct
{
  const char *dbs;
  const char *dataset;
  gboolean dataset_open;
  const char *block;
  gboolean block_open;
  const char *lfn;      /* starts with '/' */
  guint64 bytes;
  const char *checksum; /* canonical: "adler32:xxxxxxxx[,cksum:N]" */
  const char *guid;     /* the file's GUID (job reports), or NULL */
} PxInjectFile;

typedef struct _PxInject PxInject;

/* Read PATH; messages name it and the line ("in.xml:12: <file> needs a bytes
 * attribute").  An injection without any <file> is an error. */
PxInject *px_inject_parse_file (const char *path, GError **error);
/* The same from SIZE bytes of DATA; NAME stands for the file in messages. */
PxInject *px_inject_parse_data (const char *data, gsize size, const char *name, GError **error);
void px_inject_free (PxInject *inject);
/* An empty injection to fill with px_inject_add (the hand-off builds one
 * from job reports). */
PxInject *px_inject_new (void);
/* Add a copy of F (its strings are copied). */
void px_inject_add (PxInject *inject, const PxInjectFile *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxInject, px_inject_free)

guint px_inject_count (const PxInject *inject);
/* File I (< px_inject_count), in input order; owned by INJECT. */
const PxInjectFile *px_inject_file (const PxInject *inject, guint i);

/* ---- loading into the TMDB (catalog/inject-load.c) ---- */
typedef struct
{
  int node_id;
  const char *node;
  gboolean check;         /* check every file is at the node with its size first */
  const char *tfc_path;   /* the node's storage.xml for the check; NULL: the one in the TMDB */
  /* Optional: PHASE, with DONE of TOTAL files (0, 0 for a phase without a count). */
  void (*progress) (const char *phase, guint done, guint total, gpointer data);
  gpointer progress_data;
} PxInjectLoad;

typedef struct
{
  guint files_in_input;
  gint64 new_files, new_bytes, blocks, new_replicas;
} PxInjectResult;

/* The storage.xml of node NODE_ID (NODE names it in messages): the file
 * PATH when given, else the one its agents uploaded to the TMDB. */
PxTfc *px_inject_node_tfc (PxTmdb *db, int node_id, const char *node, const char *path, GError **error);

/* Check IN at the node and against the catalogue, then register its
 * datasets, blocks, files and the node's replicas, all in one transaction:
 * on any failure nothing is written. */
gboolean px_inject_load (PxTmdb *db, const PxInjectLoad *load, const PxInject *in, PxInjectResult *result,
                         GError **error);
/* The same without the presence check, inside the caller's transaction (the
 * hand-off writes its own records in the same one); on failure the caller
 * rolls back. */
gboolean px_inject_apply (PxTmdb *db, const PxInjectLoad *load, const PxInject *in, PxInjectResult *result,
                          GError **error);
