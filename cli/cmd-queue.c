/* phedex queue [--node N] [--from N] — the open tasks per link and priority. */
#include "cli-table.h"

static const PxTableColumn columns[] = {
  { "from", "FROM", PX_TABLE_TEXT, .sql = "from_name" },
  { "to", "TO", PX_TABLE_TEXT, .sql = "to_name" },
  { "priority", "PRIO", PX_TABLE_TEXT },
  { "queued_files", "QUEUED", PX_TABLE_INT },
  { "queued_bytes", NULL, PX_TABLE_BYTES, PX_TABLE_JSON_ONLY },
  { "active_files", "ACTIVE", PX_TABLE_INT },
  { "active_bytes", NULL, PX_TABLE_BYTES, PX_TABLE_JSON_ONLY },
  { "verifying_files", "VERIFYING", PX_TABLE_INT },
  { "verifying_bytes", NULL, PX_TABLE_BYTES, PX_TABLE_JSON_ONLY },
  { "oldest_queued", "OLDEST QUEUED", PX_TABLE_SECONDS, .sql = "oldest" },
  { NULL }
};

gboolean
px_cmd_queue (PxCli *cli, int argc, char **argv, GError **error)
{
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "only links into this node"),
    PX_CLI_FROM_ENTRY (cli, "only links out of this node"),
    PX_CLI_JSON_ENTRY (cli, "JSON output: an array of objects with the columns' keys"),
    { NULL }
  };
  if (!px_cli_parse (cli, "", "Show the transfers in the queue per link and priority: queued, active, and "
                     "copied but not yet verified and published (files, bytes), and how long the oldest queued one "
                     "has waited.", entries, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return px_cli_usage (cli, error, "unexpected argument '%s'", argv[1]);
  g_autoptr(PxRows) rows = px_tmdb_query (cli->db, px_sql_report_queue, error, PX_TEXT (cli->node),
                                          PX_TEXT (cli->from));
  if (!rows)
    return FALSE;
  /* People see "3 (1.2 MB)" where JSON has files and bytes apart. */
  static const struct { const char *files, *bytes; } counts[] = {
    { "queued_files", "queued_bytes" }, { "active_files", "active_bytes" }, { "verifying_files", "verifying_bytes" },
  };
  g_autoptr(PxTable) t = px_table_new (columns);
  for (guint i = 0; i < px_rows_count (rows); i++)
    {
      px_table_add_row (t, rows, i);
      for (gsize c = 0; c < G_N_ELEMENTS (counts); c++)
        {
          g_autofree char *b = px_cli_bytes (px_rows_int (rows, i, counts[c].bytes));
          g_autofree char *h = px_rows_int (rows, i, counts[c].files)
                                   ? g_strdup_printf ("%s (%s)", px_rows_text (rows, i, counts[c].files), b)
                                   : g_strdup ("0");
          px_table_set_human (t, counts[c].files, h);
        }
    }
  px_table_print (t, cli->json);
  return TRUE;
}
