/* inject.h — the PhEDEx injection XML, read and checked without a database:
 *   <data version="2.0"><dbs name=".."><dataset name=".." is-open="y|n">
 *     <block name=".." is-open="y|n"><file name="LFN" bytes="N" checksum="adler32:..,cksum:.."/>
 * Every file comes out as one record with its block and dataset; sizes are
 * whole numbers and checksums are normalised (px_checksum_normalise).  Blocks
 * without files are allowed and give no record.  `phedex inject` loads the
 * records into the TMDB. */
#pragma once

#include <glib.h>

#define PX_INJECT_ERROR (px_inject_error_quark ())
GQuark px_inject_error_quark (void);
typedef enum
{
  PX_INJECT_ERROR_PARSE,   /* not well-formed XML, or unreadable */
  PX_INJECT_ERROR_INVALID, /* well-formed, but not a valid injection */
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
} PxInjectFile;

typedef struct _PxInject PxInject;

/* Read PATH; messages name it and the line ("in.xml:12: <file> needs a bytes
 * attribute").  An injection without any <file> is an error. */
PxInject *px_inject_parse_file (const char *path, GError **error);
/* The same from SIZE bytes of DATA; NAME stands for the file in messages. */
PxInject *px_inject_parse_data (const char *data, gsize size, const char *name, GError **error);
void px_inject_free (PxInject *inject);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxInject, px_inject_free)

guint px_inject_count (const PxInject *inject);
/* File I (< px_inject_count), in input order; owned by INJECT. */
const PxInjectFile *px_inject_file (const PxInject *inject, guint i);
