/* phedex unmerged [hold|release] --node NODE — the unmerged files at a node
 * the delete agent cleans up: files AND bytes per state and refusal reason,
 * the oldest one left, the time from merge report to deletion; an
 * operator's holds. */
#include "cli-table.h"
#include "cli-json.h"
#include <string.h>

static const PxTableColumn summary_columns[] = {
  { "state", "STATE", PX_TABLE_TEXT, .sql = "category" },
  { "files", "FILES", PX_TABLE_INT },
  { "bytes", "BYTES", PX_TABLE_BYTES },
  { "bytes_unknown", "SIZE UNKNOWN", PX_TABLE_INT },
  { NULL }
};

static const PxTableColumn list_columns[] = {
  { "lfn", "LFN", PX_TABLE_TEXT },
  { "state", "STATE", PX_TABLE_TEXT },
  { "reason", "REASON", PX_TABLE_TEXT },
  { "bytes", "BYTES", PX_TABLE_BYTES },
  { NULL }
};

static gboolean
hold_or_release (PxCli *cli, gboolean hold, int argc, char **argv, GError **error)
{
  g_autofree char *lfn = NULL, *dir = NULL, *reason = NULL;
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "the node (required)"),
    { "lfn", 0, 0, G_OPTION_ARG_STRING, &lfn, "one unmerged file", "LFN" },
    { "dir", 0, 0, G_OPTION_ARG_STRING, &dir, "every unmerged file under this directory", "DIR" },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, "why (required to hold)", "TEXT" },
    { NULL }
  };
  if (!px_cli_parse (cli, "", hold ? "Keep unmerged files at NODE: the delete agent refuses them ('held: REASON') "
                     "until released." : "End the holds on exactly this LFN or directory at NODE.",
                     entries, &argc, &argv, error))
    return FALSE;
  if (!cli->node || (!lfn == !dir) || (hold && (!reason || !*reason)) || argc > 1)
    return px_cli_usage (cli, error, hold ? "--node, one of --lfn or --dir, and --reason are required"
                                          : "--node and one of --lfn or --dir are required");
  g_autofree char *d = dir && !g_str_has_suffix (dir, "/") ? g_strconcat (dir, "/", NULL) : g_strdup (dir);
  if ((lfn && lfn[0] != '/') || (d && d[0] != '/'))
    return px_cli_usage (cli, error, "an LFN or directory starts with /");
  if (hold)
    {
      g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_unmerged_hold, error, PX_INT (cli->node_id), PX_TEXT (lfn),
                                           PX_TEXT (d), PX_TEXT (reason));
      if (!r || !px_cli_audit (cli, "unmerged hold", error, "lfn", lfn, "dir", d, "reason", reason, NULL))
        return FALSE;
      printf ("held %s at %s: %s\n", lfn ? lfn : d, cli->node, reason);
      return TRUE;
    }
  g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_unmerged_release, error, PX_INT (cli->node_id), PX_TEXT (lfn),
                                       PX_TEXT (d));
  if (!r)
    return FALSE;
  gint64 n = px_rows_int (r, 0, "released");
  if (n == 0)
    return px_cli_fail (error, "no active hold on exactly %s at %s", lfn ? lfn : d, cli->node);
  if (!px_cli_audit (cli, "unmerged release", error, "lfn", lfn, "dir", d, NULL))
    return FALSE;
  printf ("released %" G_GINT64_FORMAT " hold%s on %s at %s\n", n, n == 1 ? "" : "s", lfn ? lfn : d, cli->node);
  return TRUE;
}

gboolean
px_cmd_unmerged (PxCli *cli, int argc, char **argv, GError **error)
{
  if (argc > 1 && (strcmp (argv[1], "hold") == 0 || strcmp (argv[1], "release") == 0))
    return hold_or_release (cli, strcmp (argv[1], "hold") == 0, argc - 1, argv + 1, error);
  if (argc > 1 && strcmp (argv[1], "scan") == 0)
    return px_cmd_unmerged_scan (cli, argc - 1, argv + 1, error);
  gboolean list = FALSE, all = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "the node (required)"),
    { "list", 'l', 0, G_OPTION_ARG_NONE, &list, "list the files not deleted, with state and reason", NULL },
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "with --list: the deleted ones too", NULL },
    PX_CLI_JSON_ENTRY (cli, "JSON output"),
    { NULL }
  };
  if (!px_cli_parse (cli, "[hold|release|scan]", "Show the unmerged files at NODE the delete agent cleans up: files "
                     "and bytes per state (pending, no-merge-record, merged-not-verified, no-custodial-copy, held, "
                     "failed, deleting, deleted), the oldest file left, the time from merge report to deletion and the "
                     "orphans the last 'phedex unmerged scan' found. "
                     "'hold' and 'release' (see 'phedex unmerged hold -h') keep files; 'scan' lists orphans.", entries, &argc, &argv, error))
    return FALSE;
  if (!cli->node || argc > 1)
    return px_cli_usage (cli, error, argc > 1 ? "unknown subcommand '%s'" : "--node is required",
                         argc > 1 ? argv[1] : "");
  if (list)
    {
      g_autoptr(PxRows) rows = px_tmdb_query (cli->db, px_sql_unmerged_list, error, PX_INT (cli->node_id),
                                              PX_BOOL (all));
      if (!rows)
        return FALSE;
      g_autoptr(PxTable) t = px_table_new (list_columns);
      px_table_add_rows (t, rows);
      px_table_print (t, cli->json);
      return TRUE;
    }
  g_autoptr(PxRows) rows = px_tmdb_query (cli->db, px_sql_unmerged_summary, error, PX_INT (cli->node_id));
  g_autoptr(PxRows) times = rows ? px_tmdb_query (cli->db, px_sql_unmerged_times, error, PX_INT (cli->node_id)) : NULL;
  g_autoptr(PxRows) scan = times ? px_tmdb_query (cli->db, px_sql_unmerged_scan_last, error, PX_INT (cli->node_id))
                                 : NULL;
  if (!scan)
    return FALSE;
  gboolean scanned = px_rows_count (scan) > 0;
  g_autoptr(PxTable) t = px_table_new (summary_columns);
  px_table_add_rows (t, rows);
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_string (&j, "node", cli->node);
      px_json_table (&j, "states", t);
      px_json_string (&j, "oldest_lfn", px_rows_text (times, 0, "oldest_lfn"));
      if (px_rows_is_null (times, 0, "oldest_age"))
        px_json_null (&j, "oldest_age");
      else
        px_json_int (&j, "oldest_age", px_rows_int (times, 0, "oldest_age"));
      if (px_rows_is_null (times, 0, "p50"))
        px_json_null (&j, "merge_to_delete_p50"), px_json_null (&j, "merge_to_delete_p95");
      else
        {
          px_json_int (&j, "merge_to_delete_p50", px_rows_int (times, 0, "p50"));
          px_json_int (&j, "merge_to_delete_p95", px_rows_int (times, 0, "p95"));
        }
      if (!scanned)
        px_json_null (&j, "orphans");
      else
        {
          px_json_begin_object (&j, "orphans");
          px_json_int (&j, "files", px_rows_int (scan, 0, "orphan_files"));
          px_json_int (&j, "bytes", px_rows_int (scan, 0, "orphan_bytes"));
          if (px_rows_is_null (scan, 0, "oldest_age"))
            px_json_null (&j, "oldest_age");
          else
            px_json_int (&j, "oldest_age", px_rows_int (scan, 0, "oldest_age"));
          px_json_string (&j, "scanned", px_rows_text (scan, 0, "scanned_utc"));
          px_json_string (&j, "source", px_rows_text (scan, 0, "source"));
          px_json_int (&j, "listed", px_rows_int (scan, 0, "listed"));
          px_json_end (&j);
        }
      px_json_end (&j);
      px_json_print (&j);
      return TRUE;
    }
  printf ("unmerged files at %s\n", cli->node);
  px_table_print (t, FALSE);
  if (!px_rows_is_null (times, 0, "oldest_age"))
    {
      g_autofree char *age = px_table_seconds (px_rows_int (times, 0, "oldest_age"));
      printf ("oldest not deleted: %s (%s)\n", px_rows_text (times, 0, "oldest_lfn"), age);
    }
  if (!px_rows_is_null (times, 0, "p50"))
    {
      g_autofree char *p50 = px_table_seconds (px_rows_int (times, 0, "p50"));
      g_autofree char *p95 = px_table_seconds (px_rows_int (times, 0, "p95"));
      printf ("merge report to deletion: p50 %s, p95 %s\n", p50, p95);
    }
  if (!scanned)
    printf ("orphans: never scanned (phedex unmerged scan --node %s)\n", cli->node);
  else
    {
      g_autofree char *b = px_cli_bytes (px_rows_int (scan, 0, "orphan_bytes"));
      g_autofree char *ago = px_table_seconds (px_rows_int (scan, 0, "age"));
      printf ("orphans: %" G_GINT64_FORMAT " (%s)", px_rows_int (scan, 0, "orphan_files"), b);
      if (!px_rows_is_null (scan, 0, "oldest_age"))
        {
          g_autofree char *old = px_table_seconds (px_rows_int (scan, 0, "oldest_age"));
          printf (", the oldest %s old", old);
        }
      printf (", at the last scan (%s, %s ago, of the %s)\n", px_rows_text (scan, 0, "scanned_utc"), ago,
              px_rows_text (scan, 0, "source"));
    }
  return TRUE;
}
