/* phedex inject --node NODE FILE.xml — register files already present at
 * NODE, from the PhEDEx injection format (read by catalog/inject.c).
 * Everything is checked first (XML, sizes, checksums, files present at the
 * node, conflicts with the catalogue) and applied in one transaction: bad
 * input changes nothing. */
#include "cli-json.h"
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

/* Fail with WHAT and one line per row when statement ST returns rows. */
static gboolean
report_rows (PxTmdb *tmdb, const PxTmdbStatement *st, const char *what, GError **error)
{
  g_autoptr(PxRows) r = px_tmdb_query_params (tmdb, st, 0, NULL, error);
  if (!r)
    return FALSE;
  if (px_rows_count (r) == 0)
    return TRUE;
  g_autoptr(GString) s = g_string_new (what);
  for (guint i = 0; i < px_rows_count (r); i++)
    {
      g_string_append (s, "\n  ");
      if (st == &px_sql_inject_conflicts)
        g_string_append_printf (s, "%s: catalogue has %s bytes, %s in block %s; input has %s bytes, %s in block %s",
                                px_rows_text (r, i, "lfn"), px_rows_text (r, i, "known_bytes"),
                                px_rows_text (r, i, "known_checksum"), px_rows_text (r, i, "known_block"),
                                px_rows_text (r, i, "bytes"), px_rows_text (r, i, "checksum"),
                                px_rows_text (r, i, "block"));
      else if (st == &px_sql_inject_block_conflicts)
        g_string_append_printf (s, "block %s belongs to dataset %s, not %s", px_rows_text (r, i, "block"),
                                px_rows_text (r, i, "known_dataset"), px_rows_text (r, i, "dataset"));
      else
        g_string_append (s, px_rows_text (r, i, "lfn"));
    }
  return px_cli_fail (error, "%s", s->str);
}

/* Check IN against the node and the catalogue, then load it, all or
 * nothing. */
static gboolean
inject (PxCli *cli, const char *tfc, gboolean no_check, const PxInject *in, GError **error)
{
  PxTmdb *tmdb = cli->db;
  const char *node = cli->node;
  if (!no_check)
    {
      g_autoptr(PxTmdbArray) ids = px_tmdb_array_new ();
      px_tmdb_array_int (ids, cli->node_id);
      g_autoptr(PxRows) t = px_tmdb_query (tmdb, px_sql_node_tfcs, error, PX_ARRAY (ids));
      if (!t)
        return FALSE;
      const char *text = px_rows_text (t, 0, "tfc");
      if (!tfc && !text)
        return px_cli_fail (error, "node %s has no storage.xml in the TMDB yet to find the files with: start its "
                            "agents, or pass --tfc FILE (or --no-check)", node);
      if (!check_present (node, text, tfc, in, error))
        return FALSE;
    }
  progress ("loading into the TMDB and checking for conflicts...", 0, 0);
  g_autoptr(GString) copy = copy_rows (in);
  if (!px_tmdb_begin (tmdb, error)
      || !px_tmdb_exec_sql (tmdb, "CREATE TEMP TABLE px_inject (dataset text, dataset_open boolean, dbs text, "
                                  "block text, block_open boolean, lfn text, bytes bigint, checksum text)", error)
      || !px_tmdb_copy_in (tmdb, "COPY px_inject FROM STDIN", copy, error)
      || !report_rows (tmdb, &px_sql_inject_duplicates, "the input names these files more than once:", error)
      || !report_rows (tmdb, &px_sql_inject_conflicts, "these files are already in the catalogue with other attributes:",
                       error)
      || !report_rows (tmdb, &px_sql_inject_block_conflicts, "blocks already in another dataset:", error))
    {
      px_tmdb_rollback (tmdb);
      return FALSE;
    }
  progress ("applying...", 0, 0);
  g_autoptr(PxRows) applied = px_tmdb_query0 (tmdb, px_sql_inject_apply, error);
  g_autoptr(PxRows) reps = applied ? px_tmdb_query (tmdb, px_sql_inject_replicas, error, PX_INT (cli->node_id)) : NULL;
  g_autoptr(PxRows) counts = reps ? px_tmdb_query0 (tmdb, px_sql_inject_block_counts, error) : NULL;
  if (!counts || !px_tmdb_commit (tmdb, error))
    {
      px_tmdb_rollback (tmdb);
      return FALSE;
    }
  progress_end ();
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_string (&j, "node", node);
      px_json_int (&j, "files_in_input", px_inject_count (in));
      px_json_int (&j, "new_files", px_rows_int (applied, 0, "files"));
      px_json_int (&j, "new_bytes", px_rows_int (applied, 0, "bytes"));
      px_json_int (&j, "blocks", px_rows_int (applied, 0, "blocks"));
      px_json_int (&j, "new_replicas", px_rows_int (reps, 0, "replicas"));
      px_json_end (&j);
      px_json_print (&j);
    }
  else
    {
      g_autofree char *b = px_cli_bytes (px_rows_int (applied, 0, "bytes"));
      printf ("injected %s new files (%s) in %s blocks at %s; %s new replicas (%u files in input)\n",
              px_rows_text (applied, 0, "files"), b, px_rows_text (applied, 0, "blocks"), node,
              px_rows_text (reps, 0, "replicas"), px_inject_count (in));
    }
  return TRUE;
}

/* "...; nothing injected", with the error's domain and code. */
static gboolean
nothing_injected (GError **error)
{
  if (error && *error)
    {
      g_autoptr(GError) e = g_steal_pointer (error);
      g_set_error (error, e->domain, e->code, "%s; nothing injected", e->message);
    }
  return FALSE;
}

gboolean
px_cmd_inject (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *tfc = NULL;
  gboolean no_check = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "the node where the files are (required)"),
    { "tfc", 0, 0, G_OPTION_ARG_FILENAME, &tfc, "the node's storage.xml (default: the one its agents uploaded)", "FILE" },
    { "no-check", 0, 0, G_OPTION_ARG_NONE, &no_check, "do not check that the files are present at the node", NULL },
    PX_CLI_JSON_ENTRY (cli, "JSON output"),
    { NULL }
  };
  if (!px_cli_parse (cli, "FILE.xml", "Register files present at NODE (PhEDEx injection XML). All or nothing.",
                     entries, &argc, &argv, error))
    return FALSE;
  if (!cli->node || argc != 2)
    return px_cli_usage (cli, error, "--node and one FILE.xml are required");
  /* A bad file is refused before anything connects (PX_CLI_DEFER). */
  g_autoptr(PxInject) in = px_inject_parse_file (argv[1], error);
  if (!in)
    return nothing_injected (error);
  if (!px_cli_setup (cli, error))
    return FALSE;
  if (!inject (cli, tfc, no_check, in, error))
    {
      progress_end ();
      return nothing_injected (error);
    }
  return TRUE;
}
