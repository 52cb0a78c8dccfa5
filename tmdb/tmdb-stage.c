/* tmdb-stage.c — bulk input staged in a session's temporary table with
 * COPY, then applied by set-based statements (inject_*): the DDL and the
 * COPY format are the TMDB's business, not the callers'. */
#include "config.h"
#include "tmdb.h"

struct _PxTmdbInjectRows
{
  GString *copy;
};

PxTmdbInjectRows *
px_tmdb_inject_rows_new (void)
{
  PxTmdbInjectRows *r = g_new0 (PxTmdbInjectRows, 1);
  r->copy = g_string_new (NULL);
  return r;
}

void
px_tmdb_inject_rows_free (PxTmdbInjectRows *rows)
{
  if (!rows)
    return;
  g_string_free (rows->copy, TRUE);
  g_free (rows);
}

void
px_tmdb_inject_rows_add (PxTmdbInjectRows *rows, const char *dataset, gboolean dataset_open, const char *dbs,
                         const char *block, gboolean block_open, const char *lfn, guint64 bytes, const char *checksum,
                         const char *guid)
{
  char size[24];
  g_snprintf (size, sizeof size, "%" G_GUINT64_FORMAT, bytes);
  const char *fields[] = { dataset, dataset_open ? "t" : "f", dbs, block, block_open ? "t" : "f", lfn, size, checksum, guid };
  for (gsize k = 0; k < G_N_ELEMENTS (fields); k++)
    {
      if (k)
        g_string_append_c (rows->copy, '\t');
      px_tmdb_copy_field (rows->copy, fields[k]);
    }
  g_string_append_c (rows->copy, '\n');
}

gboolean
px_tmdb_inject_stage (PxTmdb *db, const PxTmdbInjectRows *rows, GError **error)
{
  return px_tmdb_exec_sql (db, "CREATE TEMP TABLE px_inject (dataset text, dataset_open boolean, dbs text, "
                               "block text, block_open boolean, lfn text, bytes bigint, checksum text, guid text) "
                               "ON COMMIT DROP", error)
         && px_tmdb_copy_in (db, "COPY px_inject FROM STDIN", rows ? rows->copy : NULL, error);
}
