/* phedex inject --node NODE FILE.xml — register files already present at
 * NODE, from the PhEDEx injection format (read by catalog/inject.c).
 * Everything is checked first (XML, sizes, checksums, files present at the
 * node, conflicts with the catalogue) and applied in one transaction: bad
 * input changes nothing. */
#include "cli.h"
#include "catalog/inject.h"
#include "lfn2pfn/tfc.h"
#include "transfer/transfer.h"
#include <string.h>
#include <unistd.h>

/* Progress on a terminal (stderr), at most five updates a second: a million
 * files take a while to check and load. */
static void
progress (const char *phase, guint done, guint total)
{
  static gint64 last;
  static int tty = -1;
  if (tty < 0)
    tty = isatty (STDERR_FILENO);
  gint64 now = g_get_monotonic_time ();
  if (!tty || (done < total && now - last < 200000))
    return;
  last = now;
  if (total)
    fprintf (stderr, "\rphedex inject: %s %u/%u files (%.0f%%)\033[K", phase, done, total, 100.0 * done / total);
  else
    fprintf (stderr, "\rphedex inject: %s\033[K", phase);
  if (done == total && total)
    fputc ('\n', stderr);
}

static void
progress_end (void)
{
  if (isatty (STDERR_FILENO))
    fputs ("\r\033[K", stderr);
}

/* The records as COPY rows for the px_inject table. */
static GString *
copy_rows (const PxInject *in)
{
  GString *copy = g_string_new (NULL);
  for (guint i = 0; i < px_inject_count (in); i++)
    {
      const PxInjectFile *f = px_inject_file (in, i);
      char bytes[24];
      g_snprintf (bytes, sizeof bytes, "%" G_GUINT64_FORMAT, f->bytes);
      const char *fields[] = { f->dataset, f->dataset_open ? "t" : "f", f->dbs, f->block, f->block_open ? "t" : "f",
                               f->lfn, bytes, f->checksum };
      for (gsize k = 0; k < G_N_ELEMENTS (fields); k++)
        {
          if (k)
            g_string_append_c (copy, '\t');
          px_tmdb_copy_field (copy, fields[k]);
        }
      g_string_append_c (copy, '\n');
    }
  return copy;
}

/* Every file must be at the node with its size: checked through the node's
 * catalogue with its first local protocol. */
static gboolean
check_present (const char *node, const char *tfc_text, const char *tfc_path, const PxInject *in, GError **error)
{
  g_autoptr(PxTfc) tfc = tfc_path ? px_tfc_load_file (tfc_path, error)
                                  : px_tfc_load_data (tfc_text, strlen (tfc_text), "storage.xml (TMDB)", error);
  if (!tfc)
    return FALSE;
  static const char *const local[] = { "direct", "file" };
  const char *proto = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (local) && !proto; i++)
    if (px_tfc_has_protocol (tfc, PX_TFC_LFN_TO_PFN, local[i]))
      proto = local[i];
  if (!proto)
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                   "the storage.xml of %s has no 'direct' or 'file' rules to find the files with; use --no-check "
                   "to inject without checking", node);
      return FALSE;
    }
  g_autoptr(PxTfcMapper) m = px_tfc_mapper_new (tfc, PX_TFC_LFN_TO_PFN, proto, node, FALSE, error);
  g_autoptr(GString) pfn = g_string_new (NULL);
  g_autoptr(GString) bad = g_string_new (NULL);
  guint nbad = 0;
  guint total = px_inject_count (in);
  for (guint i = 0; i < total; i++)
    {
      const PxInjectFile *f = px_inject_file (in, i);
      const char *lfn = f->lfn;
      g_autoptr(GError) e = NULL;
      guint64 size = 0;
      const PxTransferBackend *be = NULL;
      if (px_tfc_mapper_map (m, lfn, pfn, NULL, NULL) != PX_TFC_MATCH)
        e = g_error_new (PX_TFC_ERROR, PX_TFC_ERROR_NO_MATCH, "no %s rule maps it", proto);
      else if ((be = px_transfer_backend_for (pfn->str, &e)) && be->stat (pfn->str, &size, &e)
               && size != f->bytes)
        e = g_error_new (PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "'%s' has %" G_GUINT64_FORMAT
                         " bytes, the injection says %" G_GUINT64_FORMAT, pfn->str, size,
                         f->bytes);
      if (e && ++nbad <= 5)
        g_string_append_printf (bad, "\n  %s: %s", lfn, e->message);
      progress ("checking", i + 1, total);
    }
  if (nbad)
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                   "%u of %u files are not present at %s as described:%s%s", nbad, total, node, bad->str,
                   nbad > 5 ? "\n  ..." : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
report_rows (PxTmdb *tmdb, const char *stmt, const char *what, GError **error)
{
  g_autoptr(PxRows) r = px_tmdb_exec (tmdb, stmt, 0, NULL, error);
  if (!r)
    return FALSE;
  if (px_rows_count (r) == 0)
    return TRUE;
  g_autoptr(GString) s = g_string_new (what);
  for (guint i = 0; i < px_rows_count (r); i++)
    {
      g_string_append (s, "\n  ");
      if (strcmp (stmt, "inject_conflicts") == 0)
        g_string_append_printf (s, "%s: catalogue has %s bytes, %s in block %s; input has %s bytes, %s in block %s",
                                px_rows_get (r, i, 0), px_rows_get (r, i, 1), px_rows_get (r, i, 2),
                                px_rows_get (r, i, 5), px_rows_get (r, i, 3), px_rows_get (r, i, 4),
                                px_rows_get (r, i, 6));
      else if (strcmp (stmt, "inject_block_conflicts") == 0)
        g_string_append_printf (s, "block %s belongs to dataset %s, not %s", px_rows_get (r, i, 0),
                                px_rows_get (r, i, 1), px_rows_get (r, i, 2));
      else
        g_string_append (s, px_rows_get (r, i, 0));
    }
  g_set_error_literal (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED, s->str);
  return FALSE;
}

/* Returns PX_EXIT_OK, or PX_EXIT_FAILURE with ERROR set (or the message
 * already printed when ERROR is left NULL). */
static int
inject (const char *db, const char *node, const char *tfc, gboolean no_check, gboolean json, const char *file,
        GError **error)
{
  g_autoptr(PxInject) in = px_inject_parse_file (file, error);
  if (!in)
    return PX_EXIT_FAILURE;
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("inject", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(PxRows) nid = px_tmdb_run (tmdb, "node_id", error, node);
  if (!nid)
    return PX_EXIT_FAILURE;
  if (px_rows_count (nid) == 0)
    {
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED, "unknown node '%s' (see 'phedex node list')", node);
      return PX_EXIT_FAILURE;
    }
  if (!no_check)
    {
      g_autofree char *arr = g_strdup_printf ("{%s}", px_rows_get (nid, 0, 0));
      g_autoptr(PxRows) t = px_tmdb_run (tmdb, "node_tfcs", error, arr);
      if (!t)
        return PX_EXIT_FAILURE;
      if (!tfc && !px_rows_get (t, 0, 2))
        {
          g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED,
                       "node %s has no storage.xml in the TMDB yet to find the files with: start its agents, or pass "
                       "--tfc FILE (or --no-check)", node);
          return PX_EXIT_FAILURE;
        }
      if (!check_present (node, px_rows_get (t, 0, 2), tfc, in, error))
        return PX_EXIT_FAILURE;
    }
  progress ("loading into the TMDB and checking for conflicts...", 0, 0);
  g_autoptr(GString) copy = copy_rows (in);
  if (!px_tmdb_begin (tmdb, error)
      || !px_tmdb_exec_sql (tmdb, "CREATE TEMP TABLE px_inject (dataset text, dataset_open boolean, dbs text, "
                                  "block text, block_open boolean, lfn text, bytes bigint, checksum text)", error)
      || !px_tmdb_copy_in (tmdb, "COPY px_inject FROM STDIN", copy, error)
      || !report_rows (tmdb, "inject_duplicates", "the input names these files more than once:", error)
      || !report_rows (tmdb, "inject_conflicts", "these files are already in the catalogue with other attributes:", error)
      || !report_rows (tmdb, "inject_block_conflicts", "blocks already in another dataset:", error))
    {
      px_tmdb_rollback (tmdb);
      return PX_EXIT_FAILURE;
    }
  progress ("applying...", 0, 0);
  g_autoptr(PxRows) applied = px_tmdb_exec (tmdb, "inject_apply", 0, NULL, error);
  g_autoptr(PxRows) reps = applied ? px_tmdb_run (tmdb, "inject_replicas", error, px_rows_get (nid, 0, 0)) : NULL;
  g_autoptr(PxRows) counts = reps ? px_tmdb_exec (tmdb, "inject_block_counts", 0, NULL, error) : NULL;
  if (!counts || !px_tmdb_commit (tmdb, error))
    {
      px_tmdb_rollback (tmdb);
      return PX_EXIT_FAILURE;
    }
  progress_end ();
  g_autofree char *b = px_cli_bytes (px_rows_get_int (applied, 0, 1));
  if (json)
    printf ("{\"node\": \"%s\", \"files_in_input\": %u, \"new_files\": %s, \"new_bytes\": %s, \"blocks\": %s, "
            "\"new_replicas\": %s}\n", node, px_inject_count (in), px_rows_get (applied, 0, 0), px_rows_get (applied, 0, 1),
            px_rows_get (applied, 0, 2), px_rows_get (reps, 0, 0));
  else
    printf ("injected %s new files (%s) in %s blocks at %s; %s new replicas (%u files in input)\n",
            px_rows_get (applied, 0, 0), b, px_rows_get (applied, 0, 2), node, px_rows_get (reps, 0, 0), px_inject_count (in));
  return PX_EXIT_OK;
}

int
px_cmd_inject (int argc, char **argv)
{
  g_autofree char *db = NULL, *node = NULL, *tfc = NULL;
  gboolean no_check = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "node", 'n', 0, G_OPTION_ARG_STRING, &node, "the node where the files are (required)", "NODE" },
    { "tfc", 0, 0, G_OPTION_ARG_FILENAME, &tfc, "the node's storage.xml (default: the one its agents uploaded)", "FILE" },
    { "no-check", 0, 0, G_OPTION_ARG_NONE, &no_check, "do not check that the files are present at the node", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
    { NULL }
  };
  if (!px_cli_parse ("inject", "FILE.xml", "Register files present at NODE (PhEDEx injection XML). All or nothing.",
                     entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (!node || argc != 2)
    {
      px_cli_error ("inject", "--node and one FILE.xml are required\nTry 'phedex inject -h' for usage.");
      return PX_EXIT_USAGE;
    }
  g_autoptr(GError) error = NULL;
  int status = inject (db, node, tfc, no_check, json, argv[1], &error);
  if (status != PX_EXIT_OK)
    progress_end ();
  if (status != PX_EXIT_OK && error)
    px_cli_error ("inject", "%s; nothing injected", error->message);
  return status;
}
