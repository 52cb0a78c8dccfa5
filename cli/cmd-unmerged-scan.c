/* phedex unmerged scan --node N [--dump FILE] [--delete-orphans --older-than
 * AGE [--yes]] — orphans: files under an unmerged base of the node with no
 * merge record and no hold, from the node's storage (a local listing, the
 * bases mapped through its storage.xml) or a storage dump (object stores
 * that cannot list), with bytes and age.  Never deleted by age alone: only
 * with --delete-orphans --older-than AGE, which lists what it would delete
 * (a dry run) unless --yes, and re-reads merges and holds right before.
 * If the listing fails part-way, nothing is deleted. */
#include "catalog/inject.h"
#include "cli-json.h"
#include "catalog/jobreport.h"
#include "lfn2pfn/tfc.h"
#include <errno.h>
#include "transfer/transfer.h"
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

typedef struct
{
  char *lfn;
  gint64 bytes, mtime;
  gboolean gone; /* deleted by this scan */
} Entry;

static void
entry_clear (gpointer p)
{
  g_free (((Entry *) p)->lfn);
}

static const char *const local_protocols[] = { "direct", "file", NULL };

/* Every file under directory PDIR (LFN LDIR), recursively; FALSE on any error. */
static gboolean
walk (const char *ldir, const char *pdir, const char *const *bases, GArray *out, GError **error)
{
  g_autoptr(GDir) d = g_dir_open (pdir, 0, error);
  if (!d)
    return FALSE;
  for (const char *n; (n = g_dir_read_name (d));)
    {
      g_autofree char *p = g_build_filename (pdir, n, NULL);
      g_autofree char *l = g_build_filename (ldir, n, NULL);
      GStatBuf st;
      if (g_lstat (p, &st) != 0)
        return g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot stat %s: %s", p,
                            g_strerror (errno)), FALSE;
      if (S_ISDIR (st.st_mode))
        {
          if (!walk (l, p, bases, out, error))
            return FALSE;
        }
      else if (S_ISREG (st.st_mode) && px_jobreport_under_bases (l, bases))
        {
          Entry e = { g_steal_pointer (&l), st.st_size, st.st_mtime };
          g_array_append_val (out, e);
        }
    }
  return TRUE;
}

/* The listing of the node's storage under BASES (each walked from its part
 * before any '*'). */
static gboolean
list_storage (const PxTfc *tfc, const char *node, const char *const *bases, GArray *out, GError **error)
{
  const char *proto = px_tfc_pick_protocol (tfc, NULL, local_protocols, error);
  if (!proto)
    return FALSE;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (const char *const *b = bases; *b; b++)
    {
      g_autofree char *top = g_strdup (*b);
      char *star = strchr (top, '*');
      if (star)
        *star = '\0';
      char *slash = strrchr (top, '/');
      if (slash && slash != top)
        *slash = '\0';
      if (!g_hash_table_add (seen, g_strdup (top)))
        continue;
      g_autofree char *pfn = px_tfc_map_one (tfc, PX_TFC_LFN_TO_PFN, proto, node, FALSE, top, NULL, error);
      if (!pfn)
        return FALSE;
      const char *path = g_str_has_prefix (pfn, "file://") ? pfn + strlen ("file://") : pfn;
      if (path[0] != '/')
        return g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s maps to %s, not local storage: list it "
                            "into a dump and pass --dump", top, pfn), FALSE;
      if (!g_file_test (path, G_FILE_TEST_IS_DIR))
        continue; /* nothing written under this base */
      if (!walk (top, path, bases, out, error))
        return FALSE;
    }
  return TRUE;
}

/* A dump: one file a line, "LFN BYTES MTIME" (MTIME in Unix seconds). */
static gboolean
read_dump (const char *file, const char *const *bases, GArray *out, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (file, &text, NULL, error))
    return FALSE;
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) f = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
      if (!f[0] || !*f[0] || f[0][0] == '#')
        continue;
      char *e1 = NULL, *e2 = NULL;
      gint64 bytes = f[1] ? g_ascii_strtoll (f[1], &e1, 10) : -1;
      gint64 mtime = f[1] && f[2] ? g_ascii_strtoll (f[2], &e2, 10) : -1;
      if (f[0][0] != '/' || !e1 || *e1 || !e2 || *e2 || bytes < 0)
        return g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%u: not 'LFN BYTES MTIME'", file, i + 1),
               FALSE;
      if (!px_jobreport_under_bases (f[0], bases))
        continue;
      Entry e = { g_strdup (f[0]), bytes, mtime };
      g_array_append_val (out, e);
    }
  return TRUE;
}

/* "90", "90s", "30m", "12h", "7d" as seconds; -1 if not one. */
static gint64
parse_age (const char *s)
{
  char *end = NULL;
  gint64 v = s ? g_ascii_strtoll (s, &end, 10) : -1;
  if (!s || end == s || v < 0)
    return -1;
  gint64 unit = !*end || strcmp (end, "s") == 0 ? 1 : strcmp (end, "m") == 0 ? 60 : strcmp (end, "h") == 0 ? 3600
                : strcmp (end, "d") == 0 ? 86400 : -1;
  return unit < 0 ? -1 : v * unit;
}

/* The orphans among ENTRIES (no merge record, no hold at the node). */
static PxRows *
orphans_of (PxCli *cli, GArray *entries, GError **error)
{
  g_autoptr(PxTmdbArray) lfns = px_tmdb_array_new ();
  for (guint i = 0; i < entries->len; i++)
    px_tmdb_array_text (lfns, g_array_index (entries, Entry, i).lfn);
  return px_tmdb_query (cli->db, px_sql_unmerged_orphans, error, PX_INT (cli->node_id), PX_ARRAY (lfns));
}

gboolean
px_cmd_unmerged_scan (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *dump = NULL, *tfc_path = NULL, *older = NULL;
  g_auto(GStrv) bases_opt = NULL;
  gboolean del = FALSE, yes = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "the node (required)"),
    { "dump", 0, 0, G_OPTION_ARG_FILENAME, &dump, "a storage dump ('LFN BYTES MTIME' a line) instead of listing the "
      "storage", "FILE" },
    { "tfc", 0, 0, G_OPTION_ARG_FILENAME, &tfc_path, "the node's storage.xml (default: the one its agents uploaded)",
      "FILE" },
    { "unmerged-base", 0, 0, G_OPTION_ARG_STRING_ARRAY, &bases_opt, "an LFN base of unmerged files (as phedex "
      "handoff)", "BASE" },
    { "delete-orphans", 0, 0, G_OPTION_ARG_NONE, &del, "delete orphans older than --older-than (a dry run "
      "without --yes)", NULL },
    { "older-than", 0, 0, G_OPTION_ARG_STRING, &older, "with --delete-orphans: only files this old (90s, 30m, 12h, "
      "7d)", "AGE" },
    { "yes", 0, 0, G_OPTION_ARG_NONE, &yes, "with --delete-orphans: really delete", NULL },
    PX_CLI_JSON_ENTRY (cli, "JSON output"),
    { NULL }
  };
  if (!px_cli_parse (cli, "", "List the orphans at NODE: files under an unmerged base with no merge record and no "
                     "hold, with bytes and age. Nothing is deleted except with --delete-orphans --older-than AGE "
                     "--yes.", entries, &argc, &argv, error))
    return FALSE;
  gint64 min_age = older ? parse_age (older) : -1;
  if (!cli->node || argc != 1 || (del && min_age < 0) || (!del && (older || yes)))
    return px_cli_usage (cli, error, "--node is required; --delete-orphans needs --older-than AGE (90s, 30m, 12h, "
                         "7d)");
  const char *const *bases = bases_opt ? (const char *const *) bases_opt : px_jobreport_default_unmerged_bases;
  g_autoptr(GArray) found = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_array_set_clear_func (found, entry_clear);
  g_autoptr(PxTfc) tfc = !dump || del ? px_inject_node_tfc (cli->db, cli->node_id, cli->node, tfc_path, error) : NULL;
  if ((!dump || del) && !tfc)
    return FALSE;
  g_autoptr(GError) le = NULL;
  if (!(dump ? read_dump (dump, bases, found, &le) : list_storage (tfc, cli->node, bases, found, &le)))
    return px_cli_fail (error, "the listing of %s failed, nothing deleted: %s", dump ? dump : cli->node, le->message);
  g_autoptr(PxRows) orph = orphans_of (cli, found, error);
  if (!orph)
    return FALSE;
  g_autoptr(GHashTable) is_orphan = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < px_rows_count (orph); i++)
    g_hash_table_add (is_orphan, (gpointer) px_rows_text (orph, i, "lfn"));
  gint64 now = g_get_real_time () / G_USEC_PER_SEC, files = 0, bytes = 0, dfiles = 0, dbytes = 0;
  g_auto(PxJson) j;
  px_json_init (&j, PX_JSON_SPACED);
  px_json_begin_object (&j, NULL);
  px_json_string (&j, "node", cli->node);
  px_json_begin_array (&j, "orphans");
  g_autoptr(GPtrArray) doomed = g_ptr_array_new ();
  for (guint i = 0; i < found->len; i++)
    {
      Entry *e = &g_array_index (found, Entry, i);
      if (!g_hash_table_contains (is_orphan, e->lfn))
        continue;
      gint64 age = e->mtime >= 0 ? now - e->mtime : -1;
      gboolean go = del && age >= min_age;
      files++, bytes += e->bytes;
      if (go)
        g_ptr_array_add (doomed, e), dfiles++, dbytes += e->bytes;
      if (cli->json)
        {
          px_json_begin_object (&j, NULL);
          px_json_string (&j, "lfn", e->lfn);
          px_json_int (&j, "bytes", e->bytes);
          px_json_int (&j, "age", age);
          px_json_bool (&j, "delete", go);
          px_json_end (&j);
        }
      else
        printf ("%s%s\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "s\n", go ? (yes ? "delete " : "would delete ") : "",
                e->lfn, e->bytes, age);
    }
  px_json_end (&j);
  /* Deleting: merges and holds read again right before. */
  gint64 gone = 0, gone_bytes = 0, failed = 0;
  if (del && yes && doomed->len)
    {
      g_autoptr(GArray) again = g_array_new (FALSE, TRUE, sizeof (Entry));
      for (guint i = 0; i < doomed->len; i++)
        {
          Entry *e = doomed->pdata[i];
          Entry c = { e->lfn, e->bytes, e->mtime };
          g_array_append_val (again, c);
        }
      g_autoptr(PxRows) still = orphans_of (cli, again, error);
      if (!still)
        return FALSE;
      g_autoptr(GHashTable) ok = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < px_rows_count (still); i++)
        g_hash_table_add (ok, (gpointer) px_rows_text (still, i, "lfn"));
      const char *proto = px_tfc_pick_protocol (tfc, NULL, local_protocols, error);
      if (!proto)
        return FALSE;
      for (guint i = 0; i < doomed->len; i++)
        {
          Entry *e = doomed->pdata[i];
          g_autoptr(GError) re = NULL;
          if (!g_hash_table_contains (ok, e->lfn))
            continue;
          g_autofree char *pfn = px_tfc_map_one (tfc, PX_TFC_LFN_TO_PFN, proto, cli->node, FALSE, e->lfn, NULL, &re);
          if (pfn && px_transfer_remove (pfn, &re))
            gone++, gone_bytes += e->bytes, e->gone = TRUE;
          else
            {
              failed++;
              px_cli_warn (cli, "cannot delete orphan %s: %s", e->lfn, re ? re->message : "no PFN");
            }
        }
    }
  /* What is left is on record for 'phedex unmerged' and the status page. */
  gint64 oldest = -1;
  for (guint i = 0; i < found->len; i++)
    {
      Entry *e = &g_array_index (found, Entry, i);
      if (!e->gone && e->mtime >= 0 && g_hash_table_contains (is_orphan, e->lfn))
        oldest = MAX (oldest, now - e->mtime);
    }
  /* Only a manager role (or the owner) may record it; a site role's scan
   * still lists and deletes, and says why it is not on record. */
  g_autoptr(GError) rec_error = NULL;
  g_autoptr(PxRows) rec = px_tmdb_query (cli->db, px_sql_unmerged_scan_record, &rec_error, PX_INT (cli->node_id),
                                         PX_TEXT (dump ? "dump" : "storage"), PX_INT ((gint64) found->len),
                                         PX_INT (files - gone), PX_INT (bytes - gone_bytes),
                                         oldest >= 0 ? PX_INT (oldest) : PX_NULL);
  if (!rec)
    px_cli_warn (cli, "this scan is not recorded for 'phedex unmerged' (a manager role records it): %s", rec_error->message);
  px_json_int (&j, "orphan_files", files);
  px_json_int (&j, "orphan_bytes", bytes);
  px_json_int (&j, "to_delete", dfiles);
  px_json_int (&j, "to_delete_bytes", dbytes);
  px_json_int (&j, "deleted", gone);
  px_json_int (&j, "deleted_bytes", gone_bytes);
  px_json_end (&j);
  if (cli->json)
    px_json_print (&j);
  else
    {
      g_autofree char *b = px_cli_bytes (bytes), *db = px_cli_bytes (dbytes), *gb = px_cli_bytes (gone_bytes);
      printf ("%" G_GINT64_FORMAT " orphans (%s) at %s", files, b, cli->node);
      if (del && !yes)
        printf ("; dry run: %" G_GINT64_FORMAT " (%s) older than %s would be deleted (--yes to delete)", dfiles, db,
                older);
      else if (del)
        printf ("; deleted %" G_GINT64_FORMAT " (%s)", gone, gb);
      printf ("\n");
    }
  if (failed)
    return px_cli_fail (error, "%" G_GINT64_FORMAT " orphans could not be deleted", failed);
  return TRUE;
}
