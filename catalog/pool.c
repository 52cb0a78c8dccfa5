#include "config.h"
#include "pool.h"
#include "common/px-common.h"
#include "tmdb/tmdb.h"
#include <libxml/xmlwriter.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Namespace of phedex's file GUIDs (a fixed random UUID). */
static const guint8 guid_namespace[16] = { 0x6b, 0x1f, 0x43, 0x2e, 0x9d, 0x0a, 0x4c, 0x57,
                                           0xa3, 0x88, 0x21, 0x5e, 0x70, 0xc4, 0x19, 0xd2 };

char *
px_pool_guid (const char *lfn)
{
  g_autoptr(GChecksum) sha = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha, guid_namespace, sizeof guid_namespace);
  g_checksum_update (sha, (const guchar *) lfn, (gssize) strlen (lfn));
  guint8 d[20];
  gsize len = sizeof d;
  g_checksum_get_digest (sha, d, &len);
  d[6] = (guint8) ((d[6] & 0x0f) | 0x50); /* version 5 */
  d[8] = (guint8) ((d[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  return g_strdup_printf ("%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", d[0], d[1], d[2],
                          d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]);
}

static gboolean
write_file (xmlTextWriterPtr w, const char *guid, const char *pfn, const char *lfn)
{
  return xmlTextWriterStartElement (w, BAD_CAST "File") >= 0
         && xmlTextWriterWriteAttribute (w, BAD_CAST "ID", BAD_CAST guid) >= 0
         && xmlTextWriterStartElement (w, BAD_CAST "physical") >= 0
         && xmlTextWriterStartElement (w, BAD_CAST "pfn") >= 0
         && xmlTextWriterWriteAttribute (w, BAD_CAST "filetype", BAD_CAST "ROOT_All") >= 0
         && xmlTextWriterWriteAttribute (w, BAD_CAST "name", BAD_CAST pfn) >= 0
         && xmlTextWriterEndElement (w) >= 0 && xmlTextWriterEndElement (w) >= 0
         && xmlTextWriterStartElement (w, BAD_CAST "logical") >= 0
         && xmlTextWriterStartElement (w, BAD_CAST "lfn") >= 0
         && xmlTextWriterWriteAttribute (w, BAD_CAST "name", BAD_CAST lfn) >= 0
         && xmlTextWriterEndElement (w) >= 0 && xmlTextWriterEndElement (w) >= 0
         && xmlTextWriterEndElement (w) >= 0;
}

gboolean
px_pool_write (const char *path, const char *const *lfns, const PxTfc *tfc, const char *protocol, const char *node,
               guint *written, guint *unmapped, GError **error)
{
  *written = *unmapped = 0;
  g_autoptr(PxTfcMapper) m = px_tfc_mapper_new (tfc, PX_TFC_LFN_TO_PFN, protocol, node, FALSE, error);
  if (!m)
    return FALSE;
  gboolean to_stdout = strcmp (path, "-") == 0;
  g_autofree char *tmp = to_stdout ? g_strdup ("-") : g_strdup_printf ("%s.tmp.%d", path, (int) getpid ());
  xmlTextWriterPtr w = xmlNewTextWriterFilename (tmp, 0);
  if (!w)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write the POOL catalogue to '%s'", tmp);
      return FALSE;
    }
  xmlTextWriterSetIndent (w, 1);
  gboolean ok = xmlTextWriterStartDocument (w, "1.0", "UTF-8", "no") >= 0
                && xmlTextWriterWriteComment (w, BAD_CAST " Edited By POOL: written by phedex ") >= 0
                && xmlTextWriterWriteDTD (w, BAD_CAST "POOLFILECATALOG", NULL, BAD_CAST "InMemory", NULL) >= 0
                && xmlTextWriterStartElement (w, BAD_CAST "POOLFILECATALOG") >= 0;
  g_autoptr(GString) pfn = g_string_new (NULL);
  for (const char *const *l = lfns; ok && *l; l++)
    {
      if (px_tfc_mapper_map (m, *l, pfn, NULL, NULL) != PX_TFC_MATCH)
        {
          ++*unmapped;
          continue;
        }
      g_autofree char *guid = px_pool_guid (*l);
      ok = write_file (w, guid, pfn->str, *l);
      ++*written;
    }
  ok = ok && xmlTextWriterEndDocument (w) >= 0;
  xmlFreeTextWriter (w); /* flushes and closes */
  if (ok && !to_stdout && rename (tmp, path) < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot move '%s' to '%s': %s", tmp, path,
                   g_strerror (errno));
      unlink (tmp);
      return FALSE;
    }
  if (!ok)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write the POOL catalogue to '%s'%s", path,
                   to_stdout ? "" : " (disk full?)");
      if (!to_stdout)
        unlink (tmp);
      return FALSE;
    }
  return TRUE;
}

gboolean
px_pool_export_node (PxTmdb *db, const char *node, const char *protocol, const char *path, guint *written,
                     guint *unmapped, GError **error)
{
  g_autoptr(PxRows) n = px_tmdb_query (db, px_sql_catalog_node, error, PX_TEXT (node));
  if (!n)
    return FALSE;
  if (px_rows_count (n) == 0)
    {
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED, "unknown node '%s' (see 'phedex nodes')", node);
      return FALSE;
    }
  if (px_rows_is_null (n, 0, "tfc"))
    {
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED,
                   "node '%s' has no storage.xml in the TMDB yet (its agents upload it when they start)", node);
      return FALSE;
    }
  const char *text = px_rows_text (n, 0, "tfc");
  g_autofree char *what = g_strdup_printf ("storage.xml of %s (from the TMDB)", node);
  g_autoptr(PxTfc) tfc = px_tfc_load_data (text, strlen (text), what, error);
  g_autoptr(PxRows) r = tfc ? px_tmdb_query (db, px_sql_catalog_lfns, error, PX_INT (px_rows_int (n, 0, "id"))) : NULL;
  if (!r)
    return FALSE;
  guint count = px_rows_count (r);
  g_autofree const char **lfns = g_new (const char *, count + 1);
  for (guint i = 0; i < count; i++)
    lfns[i] = px_rows_text (r, i, "lfn");
  lfns[count] = NULL;
  return px_pool_write (path, lfns, tfc, protocol, node, written, unmapped, error);
}
